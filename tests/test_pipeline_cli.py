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


def test_find_inputs_and_pairs(tmp_path):
    folder = make_folder(tmp_path / "in")
    contents, styles = pipeline.find_inputs(folder)
    assert [p.name for p in contents] == ["content_0.jpg", "content_1.jpg"]
    assert [p.name for p in styles] == ["style_0.png", "style_1.png"]
    got = list(pipeline.pairs(folder, 32))
    assert len(got) == 4
    assert got[0][2].shape == (21, 32, 3) and got[0][3].shape == (32, 32, 3)


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


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\win.ini", "/abs/path.png", "a b$c.png", "", "...."])
def test_upload_names_cannot_leave_the_folder(tmp_path, name):
    safe = pipeline.safe_name(name)
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".") and safe
    assert (tmp_path / safe).resolve().parent == tmp_path.resolve()


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


def test_cli_help_explains_each_option():
    out = subprocess.run([sys.executable, "-m", "nst", "stylize", "--help"], cwd=ROOT, capture_output=True,
                         text=True).stdout
    for option in ("--size", "--iterations", "--optimizer", "--preset", "--weights", "--out", "--preserve-color",
                   "--scales", "--style-scale", "--seed", "--init", "--blend"):
        assert option in out


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
    assert "100%" in proc.stderr  # the progress bar ran to the end


def test_cli_bad_inputs_end_with_one_line(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0broken")
    style = ROOT / "assets" / "style_swirls.png"
    cases = [
        (["stylize", str(tmp_path / "broken.jpg"), str(style)], "damaged|not an image"),
        (["stylize", str(tmp_path / "absent.jpg"), str(style)], "could not be found"),
        (["stylize", str(style), str(style), "--size", "5"], "size must be"),
        (["batch", str(tmp_path)], "needs content_"),
    ]
    for args, match in cases:
        proc = subprocess.run([sys.executable, "-m", "nst", *args, "--out", str(tmp_path / "d")], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2, (args, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr
        errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
        assert len(errors) == 1
        import re
        assert re.search(match, errors[0]), errors[0]
