"""The folder pipeline, data/gen_N results and the command line, end to end."""
import csv
import json
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from nst import pipeline
from nst.config import preset
from nst.optimize import stylize

from .conftest import ROOT

pytestmark = pytest.mark.unit


def make_folder(folder, n_content=2, n_style=2):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n_content):
        Image.fromarray(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)).save(folder / f"content_{i}.jpg")
    for i in range(n_style):
        Image.fromarray(rng.integers(0, 255, (50, 50, 3), dtype=np.uint8)).save(folder / f"style_{i}.png")
    (folder / "notes.txt").write_text("ignored")
    Image.new("RGB", (30, 30)).save(folder / "other.png")  # neither content_ nor style_
    return folder


def test_scan_inputs_finds_contents_and_styles(tmp_path):
    folder = make_folder(tmp_path / "in")
    contents, styles, _ = pipeline.scan_inputs(folder)
    assert [p.name for p in contents] == ["content_0.jpg", "content_1.jpg"]
    assert [p.name for p in styles] == ["style_0.png", "style_1.png"]


def test_run_numbers_are_never_reused(tmp_path):
    root = tmp_path / "data"
    a, b = pipeline.new_run_dir(root), pipeline.new_run_dir(root)
    assert (a.name, b.name) == ("gen_0", "gen_1")
    (root / "gen_7").mkdir()
    assert pipeline.new_run_dir(root).name == "gen_8"
    # many at once: every claim is a distinct folder
    claimed = []
    threads = [threading.Thread(target=lambda: claimed.append(pipeline.new_run_dir(root))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(claimed)) == 16


def test_recorder_writes_every_file(tmp_path, features, content_image, style_image):
    config = preset("article", size=32, iterations=4, snapshot_every=2)
    rec = pipeline.RunRecorder.create(config, tmp_path, content="c.jpg", styles=["s.png"])
    assert json.loads((rec.folder / "params.json").read_text())["status"] == "running"
    for event in stylize(content_image, style_image, config, features, image_every=2):
        rec.record(event)
    info = pipeline.read_run(rec.folder)
    assert info["params"]["status"] == "finished" and info["params"]["config"]["iterations"] == 4
    assert len(info["losses"]) == 4 and "style/block1_conv1" in info["losses"][0]
    assert [p.name for p in info["snapshots"]] == ["snapshot_0002.png"]
    assert Image.open(info["result"]).size == (32, 22)
    assert not list(rec.folder.glob(".*tmp*"))  # no temporary files left behind


def test_finish_partial_is_one_vocabulary_with_or_without_an_image(tmp_path):
    """RunRecorder.finish_partial, the one way a run that ends early is recorded (CLI signals, the studio's
    Stop and closed tabs): a status from nst.optimize.STATUSES, the reason, and a message made from both."""
    from nst.optimize import STATUSES, Progress

    config = preset("article", size=64, iterations=10)
    rec = pipeline.RunRecorder.create(config, tmp_path, final_shape=(43, 64), content="c.jpg", styles=["s.png"])
    final = rec.finish_partial("Stop button")  # before its first iteration
    params = pipeline.read_run(rec.folder)["params"]
    assert final.done and final.status == params["status"] == "stopped" and "stopped" in STATUSES
    assert params["reason"] == "Stop button" and params["iterations_done"] == 0
    assert params["message"] == "Stopped (Stop button) before its first iteration."
    assert not (rec.folder / "result.png").exists()

    rec = pipeline.RunRecorder.create(config, tmp_path, final_shape=(43, 64), content="c.jpg", styles=["s.png"])
    with pytest.raises(TypeError):
        Progress(3, 10, {"total": 2.0}, 0.5)  # keyword only: no positional mix-up of its many numbers
    coarse = Progress(iteration=3, total_iterations=10, losses={"total": 2.0}, elapsed=0.5, scale=0, scales=2,
                      shape=(22, 32), image=np.full((22, 32, 3), 90, np.uint8))
    rec.record(coarse)
    final = rec.finish_partial("tab closed", last=coarse)
    info = pipeline.read_run(rec.folder)
    assert info["params"]["status"] == "stopped" and info["params"]["reason"] == "tab closed"
    assert info["params"]["message"] == ("Stopped (tab closed) at iteration 3 of 10; the last image is kept. It ended "
                                         "at the coarse scale 1 of 2, so its 32x22 px image was enlarged to 64x43 px.")
    assert Image.open(info["result"]).size == (64, 43) and final.enlarged_from == (22, 32)
    assert [row["iteration"] for row in info["losses"]] == [3.0], "the last row is not repeated"

    rec = pipeline.RunRecorder.create(config, tmp_path, content="c.jpg", styles=["s.png"])
    diverged = Progress(iteration=2, total_iterations=10, losses={"total": 1.0}, elapsed=0.2, done=True,
                        status="diverged", message="The loss became NaN or infinite.")
    rec.finish_partial("signal SIGTERM", final=diverged)
    params = pipeline.read_run(rec.folder)["params"]
    assert params["status"] == "diverged" and params["message"] == "The loss became NaN or infinite."


def test_cli_help_explains_each_option(capsys):
    from nst.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["stylize", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--size", "--iterations", "--optimizer", "--preset", "--weights", "--out", "--preserve-color",
                   "--scales", "--style-scale", "--seed", "--init", "--blend", "--output", "--init-image",
                   "--print-every", "--from", "--style-size", "--min-size", "exit codes"):
        assert option in out, option
    from nst.config import DEFAULT_PRESET, PRESETS

    assert f"(default: {DEFAULT_PRESET})" in " ".join(out.split())  # the default comes from nst.config
    assert all(name in out for name in PRESETS)


def test_cli_batch_end_to_end(tmp_path):
    folder = make_folder(tmp_path / "in", 2, 1)
    proc = subprocess.run([sys.executable, "-m", "nst", "batch", str(folder), "--size", "32", "-n", "3",
                           "--out", str(tmp_path / "data"), "--snapshot-every", "2"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path.parent)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = pipeline.existing_runs(tmp_path / "data")
    assert [p.name for p in runs] == ["gen_0", "gen_1"]
    for run in runs:
        assert Image.open(run / "result.png").size == (32, 21)
        params = json.loads((run / "params.json").read_text())
        assert params["status"] == "finished" and params["inputs"]["content"].endswith(".jpg")
        rows = list(csv.DictReader(open(run / "losses.csv")))
        assert len(rows) == 3 and float(rows[-1]["total"]) > 0
        assert (run / "snapshot_0002.png").exists()
    # not a terminal: plain progress lines (a bar's redraws would fill a log), each pair to its last iteration
    assert proc.stderr.count("iteration 3/3") == 2 and "\r" not in proc.stderr, proc.stderr


def test_cli_bad_inputs_end_with_one_line(tmp_path, capfd):
    from nst.__main__ import main

    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0broken")
    style = ROOT / "assets" / "style_swirls.png"
    cases = [
        (["stylize", str(tmp_path / "broken.jpg"), str(style)], "damaged|not an image"),
        (["stylize", str(tmp_path / "absent.jpg"), str(style)], "could not be found"),
        (["stylize", str(style), str(style), "--size", "5"], "--size must be"),
        (["batch", str(tmp_path)], "needs content_"),
        (["stylize", str(tmp_path), str(style)], "is a folder, not an image"),
        (["stylize", str(style), str(style), "--seed", "-1"], "--seed must be"),
        (["stylize", str(style), str(style), "--layer-weights", "inf,1,1,1,1"], "--layer-weights must be"),
        (["stylize", str(style), str(style), "--layer-weights", "a,b"], "--layer-weights takes numbers"),
        (["stylize", str(style), str(style), "--blend", "1,2"], "--blend has 2 weights for 1 style"),
        (["stylize", str(style), str(style), "--blend", "0"], "must not all be 0"),
        (["stylize", str(style), str(style), "--snapshot-every", "-2"], "--snapshot-every must be"),
        (["stylize", str(style), str(style), "--npz", "x.npz", "--weights", "hed"], "goes with --weights npz"),
        (["batch", str(make_folder(tmp_path / "in", 1, 1)), "--blend", "1,2"], "batch runs one style"),
    ]
    out = tmp_path / "d"
    import re

    for args, match in cases:  # in this process: each is a fraction of a second
        code = main([*args, "--out", str(out)])
        err = capfd.readouterr().err
        assert code == 2, (args, err[-2000:])
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (args, err[-2000:])
        assert re.search(match, lines[0]), lines[0]
    assert not pipeline.existing_runs(out), "a refused run must not leave a gen_N folder"
    # a real process: one line and nothing else, no traceback, no TensorFlow start-up chatter
    proc = subprocess.run([sys.executable, "-m", "nst", *cases[0][0], "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr[-2000:]
    # a results folder that cannot be one
    (tmp_path / "afile").write_text("x")
    for bad in (str(tmp_path / "afile"), "/dev/null", "/proc/nope"):
        code = main(["stylize", str(style), str(style), "--out", bad])
        err = capfd.readouterr().err
        assert code == 2 and err.startswith(f"error: --out {bad}: cannot write"), err
        assert len(err.strip().splitlines()) == 1


def test_cli_batch_skips_a_bad_file_and_runs_the_rest(tmp_path, capfd):
    from nst.__main__ import main

    folder = make_folder(tmp_path / "in", 1, 1)
    (folder / "content_x.jpg").write_text("not an image at all")
    Image.new("RGB", (40, 30), (200, 40, 40)).save(folder / "content_z é.png")
    code = main(["batch", str(folder), "--size", "32", "-n", "2", "--scales", "1", "-q",
                 "--out", str(tmp_path / "data")])
    err = capfd.readouterr().err
    assert code == 1, err[-2000:]  # partly done: the bad file was skipped
    warnings = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "content_x.jpg" in warnings[0], err
    runs = pipeline.existing_runs(tmp_path / "data")
    assert len(runs) == 2 and all((r / "result.png").exists() for r in runs)
    assert {json.loads((r / "params.json").read_text())["inputs"]["content"].rsplit("/", 1)[-1] for r in runs} \
        == {"content_0.jpg", "content_z é.png"}


def test_cli_ctrl_c_stops_and_keeps_the_image_and_losses(tmp_path):
    import signal

    from .conftest import wait_for_rows

    out = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "nst", "stylize", str(ROOT / "assets" / "content_chelsea.jpg"),
                             str(ROOT / "assets" / "style_swirls.png"), "--size", "64", "-n", "5000",
                             "--scales", "1", "--optimizer", "adam", "-q", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_rows(proc, out / "gen_0", 3)  # the run is iterating
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr and "stopped (Ctrl-C): kept the image so far" in stderr
    run = out / "gen_0"
    params = json.loads((run / "params.json").read_text())
    assert params["status"] == "stopped" and 0 < params["iterations_done"] < 5000
    rows = list(csv.DictReader(open(run / "losses.csv")))
    assert len(rows) == params["iterations_done"]  # one row per iteration, the last one not repeated
    assert Image.open(run / "result.png").size == (64, 43)
