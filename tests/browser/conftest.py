"""Browser tests: the real app under `streamlit run`, driven by Playwright's Chromium.

One server for the whole session (runs recorded into a temporary NST_DATA_DIR),
the system's Chromium (never `playwright install`), and a helper that waits for
the app's own "script not running" signal as Streamlit's e2e tests do.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("NST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

if os.environ.get("CI"):  # in CI the browser tests must run: a missing piece fails them, never skips them
    from playwright import sync_api
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: test.sh installs it (apt-get install chromium)"
else:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (set NST_CHROMIUM)", allow_module_level=True)


def pytest_collection_modifyitems(items):
    """Every test under tests/browser/ is a ``browser`` test (./test.sh -m "not browser" leaves them out)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nst_data")


@pytest.fixture(scope="session")
def app_url(data_dir, tmp_path_factory):
    """`streamlit run app.py` on a free port; yields its URL once /_stcore/health answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path_factory.mktemp("server") / "streamlit.log", "w+")
    env = dict(os.environ, NST_DATA_DIR=str(data_dir), TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not _healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.seek(0)
            pytest.fail(f"streamlit did not start:\n{log.read()[-3000:]}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.seek(0)
    text = log.read()
    log.close()
    assert "Traceback" not in text, f"the server logged a traceback:\n{text[-4000:]}"


@pytest.fixture(scope="session")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    """A factory of fresh pages, each in its own context (its own Streamlit session)."""
    contexts = []

    def make():
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        try:
            ctx.close()
        except Exception:  # a test closed it already (a tab that went away)
            pass


@pytest.fixture
def page(new_page):
    return new_page()


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Until the app is connected and its script has finished (Streamlit's own e2e signal)."""
    app = page.get_by_test_id("stApp")
    sync_api.expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    page.wait_for_timeout(150)
    sync_api.expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


def assert_no_errors(page) -> None:
    """No exception box and no error alert anywhere on the page."""
    assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id("stException").first.inner_text()
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, errors.first.inner_text()
