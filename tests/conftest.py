import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.hookimpl(trylast=True)  # after tests/browser/conftest.py has marked its tests
def pytest_collection_modifyitems(config, items):
    """Every test carries one of pytest.ini's markers (unit, app, browser, slow), so that ``./test.sh -m unit``
    and the others select what they say; a test without one stops the run, named."""
    import configparser

    ini = configparser.ConfigParser()
    ini.read(config.inipath)  # pytest.ini's own markers, not the plugins'
    kinds = [line.split(":", 1)[0].strip() for line in ini["pytest"]["markers"].splitlines() if line.strip()]
    unmarked = [item.nodeid for item in items if not any(item.get_closest_marker(k) for k in kinds)]
    if unmarked:
        raise pytest.UsageError(f"tests without a marker ({', '.join(kinds)}): {', '.join(unmarked)}")


@pytest.fixture(scope="session")
def features():
    """The default (hed) VGG-16 feature extractor, loaded once for the whole test session."""
    from nst.optimize import get_features

    return get_features("hed", "avg")


@pytest.fixture(scope="session")
def content_image():
    from nst.images import load_image, resize_to

    return resize_to(load_image(ROOT / "assets" / "content_chelsea.jpg"), 64)


@pytest.fixture(scope="session")
def style_image():
    from nst.images import load_image, resize_to

    return resize_to(load_image(ROOT / "assets" / "style_swirls.png"), 64)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def wait_until(condition, timeout: float = 60.0, what: str = "the condition", step: float = 0.05):
    """Return ``condition()``'s first truthy value, checking every ``step`` seconds; fail after ``timeout``.

    For tests that wait on something another thread or process makes (rows in losses.csv, the run
    queue's state, an app's script state) instead of sleeping a fixed time.
    """
    import threading
    import time

    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        pause.wait(step)


def losses_rows(run_dir) -> list[dict]:
    """The rows of a run's losses.csv so far (none before it exists)."""
    import csv

    path = Path(run_dir) / "losses.csv"
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def wait_for_rows(proc, run_dir, count: int, timeout: float = 120.0) -> list[dict]:
    """Wait until the still-running CLI ``proc`` has written ``count`` rows to ``run_dir``/losses.csv."""
    def ready():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        rows = losses_rows(run_dir)
        return rows if len(rows) >= count else None

    return wait_until(ready, timeout, f"{count} rows in {run_dir}/losses.csv")
