"""The command line as a demanding shell user meets it (issue 12): nothing hangs, nothing is lost,
exit codes tell the truth, bad input is one ``error:`` line. Subprocess tests where the process
itself is the point (signals, FIFOs, closed descriptors, a full disk); the rest call ``main``
in this process, which is much faster. Every run is tiny (64 px, a few iterations, one scale)."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from nst import pipeline
from nst.weights import npz_key

from .conftest import ROOT, wait_for_rows

pytestmark = pytest.mark.unit

CONTENT = ROOT / "assets" / "content_chelsea.jpg"
STYLE = ROOT / "assets" / "style_swirls.png"
TINY = ["--size", "64", "-n", "2", "--scales", "1"]


def cli(*args, timeout=180, **kw):
    return subprocess.run([sys.executable, "-m", "nst", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, **kw)


def run_main(capfd, *args):
    from nst.__main__ import main

    code = main([str(a) for a in args])
    out, err = capfd.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err[-2000:]
    return lines[0]


# --- 1. FIFOs and devices ---------------------------------------------------------------------------
def test_a_fifo_or_device_as_input_is_refused_at_once(tmp_path, capfd):
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    proc = cli("stylize", fifo, STYLE, "--out", tmp_path / "d", timeout=60)  # hung before the fix
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "pipe (FIFO), not a regular file" in one_error_line(proc.stderr)
    # /dev/zero has st_size 0 and never ends: it was read until memory ran out
    code, _, err = run_main(capfd, "stylize", CONTENT, "/dev/zero", "--out", tmp_path / "d")
    assert code == 2 and "a device, not a regular file" in one_error_line(err)
    code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, "--init-image", fifo, "--out", tmp_path / "d")
    assert code == 2 and "pipe (FIFO)" in one_error_line(err)
    assert not pipeline.existing_runs(tmp_path / "d")


# --- 2. SIGTERM, SIGHUP; losses.csv as the run goes -----------------------------------------------
def test_sigterm_stops_like_ctrl_c_and_losses_are_written_as_the_run_goes(tmp_path):
    signum, code = signal.SIGTERM, 143
    out = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "nst", "stylize", CONTENT, STYLE, "--size", "64", "-n", "5000",
                             "--scales", "1", "--optimizer", "adam", "-q", "--out", out],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run = out / "gen_0"
    try:
        wait_for_rows(proc, run, 3)  # losses.csv grows while the run goes (so SIGKILL loses only the last moment)
        assert json.loads((run / "params.json").read_text())["status"] == "running"
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == code, stderr[-2000:]
    assert "Traceback" not in stderr and "stopped (SIG" in stderr
    params = json.loads((run / "params.json").read_text())
    assert params["status"] == "stopped" and 0 < params["iterations_done"] < 5000
    # the studio's vocabulary (tests/test_studio.py): a status from nst.optimize.STATUSES and the reason
    assert params["reason"] == "signal SIGTERM"
    assert params["message"].startswith(f"Stopped (signal SIGTERM) at iteration {params['iterations_done']} of 5000")
    rows = list(csv.DictReader(open(run / "losses.csv")))
    # one row per iteration: the stopped run does not repeat its last row
    assert [int(r["iteration"]) for r in rows] == list(range(1, params["iterations_done"] + 1))
    assert Image.open(run / "result.png").size == (64, 43)
    assert not list(run.glob(".*tmp*"))


def test_a_second_signal_quits_at_once_and_the_folder_says_stopped_with_the_reason(tmp_path, capfd, monkeypatch):
    """The second signal raises inside the run (here from a stand-in engine, at its third iteration): the folder
    keeps its rows and says "stopped", with the reason, in the same words as a first signal or the Stop button."""
    import nst.optimize
    from nst.__main__ import Interrupted
    from nst.optimize import Progress

    def engine(content, styles, config, *args, **kwargs):
        for n in (1, 2):
            yield Progress(iteration=n, total_iterations=int(config.iterations), losses={"total": 5.0 - n},
                           elapsed=0.1 * n, shape=(43, 64))
        raise Interrupted(signal.SIGTERM)

    monkeypatch.setattr(nst.optimize, "stylize", engine)
    code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, *TINY, "-q", "--out", tmp_path / "d")
    run = tmp_path / "d" / "gen_0"
    assert code == 143 and f"interrupted (SIGTERM): {run} keeps its losses so far and says 'stopped'" in err, err
    params = json.loads((run / "params.json").read_text())
    assert params["status"] == "stopped" and params["reason"] == "signal SIGTERM: quit at once"
    assert params["iterations_done"] == 2 and params["message"].startswith("Stopped (signal SIGTERM: quit at once)")
    assert [int(r["iteration"]) for r in csv.DictReader(open(run / "losses.csv"))] == [1, 2]
    assert not list(run.glob(".*tmp*"))


def test_sighup_while_the_network_loads_writes_nothing_and_says_so(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "nst", "stylize", CONTENT, STYLE, *TINY, "--out",
                             tmp_path / "data"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # TensorFlow is still importing (a closed SSH session sends SIGHUP)
    proc.send_signal(signal.SIGHUP)
    _, stderr = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the machine was fast enough to finish before the signal")
    assert proc.returncode == 129 and "Traceback" not in stderr, stderr[-2000:]
    assert "before a run started: nothing was written" in stderr and "keeps its losses" not in stderr
    assert not pipeline.existing_runs(tmp_path / "data")


# --- 3. a full disk -------------------------------------------------------------------------------------
def mount_tmpfs(mount, options: str):
    """A tmpfs mounted at the new folder ``mount`` with ``options``; the test is skipped where that cannot be
    done (it needs root, as in CI; for others chmod does not stop root either)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (no CAP_SYS_ADMIN in this container)")
    return mount


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KB tmpfs (root only, as in CI)."""
    mount = mount_tmpfs(tmp_path / "disk", "size=256k")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_is_one_error_line_and_a_marked_folder(tmp_path, small_disk, capfd):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.open(CONTENT).save(folder / "content_a.jpg")
    Image.open(STYLE).save(folder / "style_a.png")
    Image.open(STYLE).transpose(Image.FLIP_LEFT_RIGHT).save(folder / "style_b.png")
    out = small_disk / "data"
    # the disk fills during the first pair (a snapshot every iteration)
    proc = cli("batch", folder, "--size", "64", "-n", "300", "--scales", "1", "--optimizer", "adam",
               "--snapshot-every", "1", "-q", "--out", out)
    assert proc.returncode == 2, proc.stderr[-2000:]
    line = one_error_line(proc.stderr)
    assert "gen_0: cannot write the results (no space left on device)" in line, line
    assert "The 1 pair after it did not run." in line
    params = json.loads((out / "gen_0" / "params.json").read_text())
    assert params["status"] == "failed" and "no space left" in params["message"]
    assert not list((out / "gen_0").glob(".*tmp*")), "temporary files are removed"
    assert [p.name for p in pipeline.existing_runs(out)] == ["gen_0"]
    # a disk that is already full is caught before any work: the check writes a real probe
    for name in os.listdir(small_disk):
        subprocess.run(["rm", "-rf", str(small_disk / name)])
    with open(small_disk / "fill", "wb") as fh:
        try:
            fh.write(b"\0" * 1_000_000)
        except OSError:
            pass
    code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, *TINY, "--out", small_disk / "data2")
    assert code == 2
    assert one_error_line(err).endswith("cannot write results there (no space left on device).")
    assert not pipeline.existing_runs(small_disk / "data2")


# --- 4. weight files ----------------------------------------------------------------------------------------
def _npz(path, weights, layers=2, change=None, **extra):
    arrays = {}
    for name in list(weights.kernels)[:layers]:
        w, b = weights.kernels[name]
        arrays[f"{npz_key(name)}_W"], arrays[f"{npz_key(name)}_b"] = w.copy(), b.copy()  # never the fixture's
    if change:
        change(arrays)
    arrays.update(extra)
    np.savez(path, **arrays)
    return path


def test_bad_weight_files_are_refused_before_any_run_folder(tmp_path, capfd, features):
    w = features.weights
    two = ["--content-layers", "block1_conv2", "--style-layers", "block1_conv1"]
    cases = [
        (_npz(tmp_path / "shape.npz", w, change=lambda a: a.update(conv1_2_W=a["conv1_2_W"][..., :32])),
         two, r"conv1_2_W has shape \(3, 3, 64, 32\).*VGG-16 needs \(3, 3, 64, 64\)"),
        (_npz(tmp_path / "partial.npz", w, layers=2), [], "hold block1_conv1 to block1_conv2 only; this run needs"),
        (_npz(tmp_path / "mean.npz", w, mean_rgb=np.array([1.0, 2.0, 3.0, 4.0])), two,
         "mean_rgb must be 3 finite numbers"),
        (_npz(tmp_path / "nan.npz", w, change=lambda a: a["conv1_1_W"].__setitem__((0, 0, 0, 0), np.nan)), two,
         "conv1_1 holds NaN or infinite numbers"),
        (tmp_path / "absent.npz", two, r"No weight file at .*absent.npz \(the --npz path\)"),
    ]
    import re

    for path, extra, match in cases:
        code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, *TINY, "--npz", path, *extra,
                                "--out", tmp_path / "d")
        assert code == 2, err
        assert re.search(match, one_error_line(err)), err
    assert not pipeline.existing_runs(tmp_path / "d")


# --- 7. exit codes tell the truth ------------------------------------------------------------------------
def test_a_diverged_run_exits_non_zero_and_a_blown_up_image_is_warned(tmp_path, capfd, features):
    boom = _npz(tmp_path / "boom.npz", features.weights,
                change=lambda a: a.update(conv1_2_W=a["conv1_2_W"] * np.float32(1e30)))
    code, out, err = run_main(capfd, "stylize", CONTENT, STYLE, *TINY, "--npz", boom, "--content-layers",
                              "block1_conv2", "--style-layers", "block1_conv1", "--out", tmp_path / "d")
    assert code == 1, err
    assert "NaN or infinite" in err and "diverged: the last good image is in" in err and "Traceback" not in err
    assert json.loads((tmp_path / "d" / "gen_0" / "params.json").read_text())["status"] == "diverged"
    code, out, err = run_main(capfd, "stylize", CONTENT, STYLE, *TINY, "--optimizer", "adam", "--lr", "1e12",
                              "--out", tmp_path / "d")
    assert code == 0 and "warning: the result is almost" in err and "lower --lr" in err, err


# --- 5. batch and stylize give the same pixels ----------------------------------------------------------------
def test_batch_gives_the_same_pixels_as_stylize(tmp_path, capfd):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.open(CONTENT).save(folder / "content_cat.png")
    Image.open(STYLE).save(folder / "style_swirls.png")
    settings = [*TINY, "--style-scale", "1.5", "-q"]
    assert run_main(capfd, "stylize", folder / "content_cat.png", folder / "style_swirls.png", *settings,
                    "--out", tmp_path / "a")[0] == 0
    assert run_main(capfd, "batch", folder, *settings, "--out", tmp_path / "b")[0] == 0
    a = np.asarray(Image.open(tmp_path / "a" / "gen_0" / "result.png"))
    b = np.asarray(Image.open(tmp_path / "b" / "gen_0" / "result.png"))
    np.testing.assert_array_equal(a, b)


# --- 6. closed stderr / stdout ----------------------------------------------------------------------------------
def test_closed_stderr_still_runs(tmp_path):
    for redirect, out in (("2>&-", "e"),):  # as under cron and some daemons
        cmd = f"exec {sys.executable} -m nst stylize {CONTENT} {STYLE} {' '.join(TINY)} --out {tmp_path / out} {redirect}"
        proc = subprocess.run(["sh", "-c", cmd], cwd=ROOT, capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, (redirect, proc.stdout, proc.stderr)
        assert (tmp_path / out / "gen_0" / "result.png").exists()
        assert json.loads((tmp_path / out / "gen_0" / "params.json").read_text())["status"] == "finished"


# --- smaller ones ---------------------------------------------------------------------------------------------
def test_setting_errors_name_the_flag_in_one_line(tmp_path, capfd):
    cases = [
        (["--style-layers", "block1_conv1,block1_conv1", "--layer-weights", "1,2"], "names block1_conv1 twice"),
        (["--style-layers", ""], "--style-layers needs at least one layer name"),
        (["--content-layers", " , "], "--content-layers needs at least one layer name"),
        (["--style-scale", "9"], "--style-scale must be between"),
        (["--snapshot-every", "-3"], "--snapshot-every must be"),
        (["--tv", "-1"], "--tv must be"),
        (["--style-layers", "block9_conv1"], "unknown layer 'block9_conv1'. The layers are block1_conv1, "),
        (["--blend", "-1,2"], "--blend weights must be numbers between 0"),  # not taken for an option
        (["--layer-weights", "-1,2"], "--layer-weights has 2 values for"),
        (["--out", ""], "--out needs a folder name"),
        (["-o", "x.bmp"], "has no known image extension"),
        (["--print-every", "0"], "--print-every must be 1 or more"),
        (["--optimizer", "adam", "--lr", "0"], "--lr (Adam's learning rate) must be above 0"),
        (["--style-scale", "2", "--style-size", "100"], "give one"),
    ]
    for extra, match in cases:
        args = ["stylize", CONTENT, STYLE, *extra]
        if "--out" not in extra:
            args += ["--out", tmp_path / "d"]
        code, _, err = run_main(capfd, *args)
        assert code == 2, (extra, err)
        assert match in one_error_line(err), (extra, err)
    assert not (tmp_path / "d").exists() or not pipeline.existing_runs(tmp_path / "d")
    assert not list(ROOT.glob("gen_*")), "--out '' must not write into the current folder"


def test_a_metadata_chunk_over_pillows_limit_is_named(tmp_path, capfd):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "a" * 3_000_000, zip=True)  # 3 MB of text, compressed to a few KB
    Image.open(STYLE).save(tmp_path / "meta.png", pnginfo=info)
    code, _, err = run_main(capfd, "stylize", tmp_path / "meta.png", STYLE, "--out", tmp_path / "d")
    assert code == 2
    line = one_error_line(err)
    assert "metadata (text) chunk larger than Pillow reads safely" in line and "damaged" not in line


def test_batch_reads_tiff_and_gif_and_names_what_it_skips(tmp_path, capfd):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.open(CONTENT).save(folder / "content_a.tif")
    Image.open(STYLE).convert("P").save(folder / "style_a.gif")
    (folder / "style_b.heic").write_bytes(b"not supported")
    os.mkfifo(folder / "content_pipe.png")
    os.symlink(folder / "gone.png", folder / "content_link.png")
    code, out, err = run_main(capfd, "batch", folder, "--size", "32", "-n", "1", "--scales", "1", "-q",
                              "--out", tmp_path / "d")
    assert code == 1, err  # done, but not everything
    warnings = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 3, err
    assert any("style_b.heic: not a known image type" in w for w in warnings)
    assert any("content_pipe.png: not a regular file" in w for w in warnings)
    assert any("content_link.png: a broken link" in w for w in warnings)
    assert "content_a.tif x style_a.gif" in out


def test_what_ran_is_recorded_and_snapshots_match_the_result(tmp_path, capfd):
    code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, "--preset", "article", "--size", "64", "-n", "4",
                            "--scales", "3", "--min-size", "32", "--style-scale", "0.1", "--snapshot-every", "1", "-q",
                            "--out", tmp_path / "d")
    assert code == 0, err
    params = json.loads((tmp_path / "d" / "gen_0" / "params.json").read_text())
    plan = params["plan"]
    assert [step["size"] for step in plan] == sorted({step["size"] for step in plan}) and plan[-1]["size"] == 64
    assert sum(step["iterations"] for step in plan) == 4 and all(step["style_size"] >= 16 for step in plan)
    assert "the style image is only 16 px across" in err, err
    if len(plan) < 3:
        assert "--scales 3 gives" in err
    result = Image.open(tmp_path / "d" / "gen_0" / "result.png").size
    snapshots = sorted((tmp_path / "d" / "gen_0").glob("snapshot_*.png"))
    assert snapshots and all(Image.open(p).size == result for p in snapshots)
    # the command line, versions, absolute paths and a SHA-256 of every input
    assert params["inputs"]["content"] == str(CONTENT) and os.path.isabs(params["inputs"]["styles"][0])
    import hashlib

    assert params["inputs"]["content_sha256"] == hashlib.sha256(CONTENT.read_bytes()).hexdigest()
    assert params["versions"]["tensorflow"] and params["versions"]["numpy"]
    assert params["command"].startswith("python") and "--min-size 32" in params["command"]


def test_an_engine_failure_is_one_line_and_a_failed_folder(tmp_path, capfd, monkeypatch):
    import nst.optimize

    def broken(*args, **kwargs):
        raise RuntimeError("something inside TensorFlow went wrong")
        yield

    monkeypatch.setattr(nst.optimize, "stylize", broken)
    code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, *TINY, "-q", "--out", tmp_path / "d")
    assert code == 3 and "the run failed inside the engine (RuntimeError: something" in one_error_line(err)
    assert json.loads((tmp_path / "d" / "gen_0" / "params.json").read_text())["status"] == "failed"


def test_a_plan_with_fewer_scales_than_asked_is_noted():
    from nst.__main__ import plan_notes
    from nst.config import preset
    from nst.optimize import scale_plan

    config = preset("article", size=128, scales=3)
    plan = scale_plan(config)
    notes = plan_notes(config, plan)
    assert len(plan) < 3 and any(f"--scales 3 gives {len(plan)} scales" in n for n in notes), notes
    assert not plan_notes(preset("article", size=256, scales=2), scale_plan(preset("article", size=256, scales=2)))


def test_samples_on_a_read_only_folder_fails_at_once(tmp_path, capfd):
    """It used to draw for 9 s and then fail; the folder is probed first."""
    ro = mount_tmpfs(tmp_path / "ro", "ro,size=64k")
    try:
        start = time.monotonic()
        code, _, err = run_main(capfd, "samples", "--out", ro)
        assert code == 2 and "cannot write the samples there (read-only file system)" in one_error_line(err)
        assert time.monotonic() - start < 3
    finally:
        subprocess.run(["umount", "-l", str(ro)], capture_output=True)
    (tmp_path / "afile").write_text("x")
    code, _, err = run_main(capfd, "samples", "--out", tmp_path / "afile" / "sub")
    assert code == 2 and "cannot write the samples there" in one_error_line(err)


def test_version_is_quick():
    start = time.monotonic()
    proc = cli("--version", timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("python -m nst ") and "tensorflow" in proc.stdout
    assert time.monotonic() - start < 10


def test_bench_says_slower_when_it_is_slower_and_hides_retracing_warnings():
    from nst import bench

    assert bench.faster(1.22) == "1.22x faster" and bench.faster(0.92) == "1.09x slower"
    text = open(bench.__file__).read()
    assert "]:.2f}x faster" not in text and "retracing" in text  # every ratio goes through faster
