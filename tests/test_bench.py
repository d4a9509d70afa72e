"""`python -m nst.bench --quick` runs and prints every figure the Performance section quotes."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_quick_prints_the_figures():
    """Minutes on two cores: only under the slow marker (./test.sh -m "not slow" leaves it out)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    proc = subprocess.run([sys.executable, "-m", "nst.bench", "--quick"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"matmul .*: [\d.]+ GFLOP/s", out)
    for row in ("plain loop (keras-io Adam)", "engine Adam step", "engine L-BFGS iteration"):
        # name, size, seconds per iteration, GFLOP/s, peak RSS in MB
        assert re.search(re.escape(row) + r".*\d+x\d+\s+[\d.]+\s+[\d.]+\s+\d+", out), row
    assert "faster per iteration than the plain loop" in out
    assert re.search(r"floor: the convolutions alone\s+\d+x\d+\s+[\d.]+\s+[\d.]+", out)
    assert re.search(r"a 1.4x step would have to take [\d.]+ s", out)
    # the arithmetic table: every conv layer after block1_conv1 through the deepest one the
    # loss needs, four timings each and Winograd's error against the direct convolution
    rows = re.findall(r"^  (block\d_conv\d)\s+\d+x\d+x\d+((?:\s+[\d.]+\s+\d+){4})\s+([\d.e+-]+)$", out, re.M)
    assert [r[0] for r in rows] == ["block1_conv2", "block2_conv1", "block2_conv2", "block3_conv1",
                                    "block3_conv2", "block3_conv3"]
    assert all(float(r[2]) < 1e-4 for r in rows), rows
    assert re.search(r"big run at \d+ px", out)
    assert re.search(r"target loss = plain loop's loss after \d+ Adam iterations: [\d.e+]+", out)
    assert re.search(r"engine L-BFGS, 1 scale\s+\d+ its\s+\d+ evals\s+[\d.]+ s\s+[\d.]+x", out)
    assert re.search(r"first image\s+[\d.]+ s\s+finished\s+[\d.]+ s", out)
    assert "status finished" in out


@pytest.mark.unit
def test_bench_only_refuses_an_unknown_part():
    proc = subprocess.run([sys.executable, "-m", "nst.bench", "--only", "per-iteration,nonsense"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "nonsense" in proc.stderr
