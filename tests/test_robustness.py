"""Nothing is lost: killed writes, many runs in one process."""
import gc
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from nst import images as imgs

from .conftest import ROOT, wait_until

pytestmark = pytest.mark.unit


def test_a_write_killed_midway_leaves_the_old_file_or_none(tmp_path):
    target = tmp_path / "result.png"
    imgs.save_png(np.zeros((20, 20, 3), np.uint8), target)
    before = target.read_bytes()
    # a child process writes 300 MB through the same function and is killed while writing
    code = ("import sys; sys.path.insert(0, r'%s'); from nst.images import atomic_write_bytes; "
            "print('go', flush=True); atomic_write_bytes(r'%s', b'x' * (300 * 2**20))" % (ROOT, target))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert child.stdout.readline().strip() == b"go"
    wait_until(lambda: list(tmp_path.glob(".result.png.*.tmp")), 60, "the write to begin")
    child.send_signal(signal.SIGKILL)
    child.wait()
    after = target.read_bytes()
    assert after == before or len(after) == 300 * 2**20  # whole old file or whole new one, never half
    Image.open(target).verify() if after == before else None


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_memory_stays_flat_over_20_runs(features, content_image, style_image):
    """20 consecutive short runs in one process: the last 10 add less than 40 MB in all."""
    from nst.config import preset
    from nst.optimize import stylize

    readings = []
    for i in range(20):
        config = preset("article", size=48, iterations=4, optimizer="lbfgs" if i % 2 else "adam")
        for _ in stylize(content_image, style_image, config, features):
            pass
        gc.collect()
        readings.append(_rss_mb())
    growth = readings[-1] - readings[9]
    print("RSS MB after each run:", [round(r) for r in readings])
    assert growth < 40, f"memory grew {growth:.0f} MB over the last 10 runs: {readings}"


def test_no_temporary_files_after_saves(tmp_path):
    for i in range(5):
        imgs.save_png(np.full((8, 8, 3), i, np.uint8), tmp_path / "a.png")
    assert os.listdir(tmp_path) == ["a.png"]
