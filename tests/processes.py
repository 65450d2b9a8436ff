"""Processes the tests start: ``streamlit run`` and Debian's Chromium, and stopping them for sure
(SIGTERM to the process group, a grace period, then SIGKILL)."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextmanager
def streamlit_app(env: dict[str, str], start_within: float = 120, warm_up: bool = False, log: Path | None = None,
                  port: int | None = None) -> Iterator[str]:
    """``streamlit run app.py`` (``warm_up``: ``python app.py``, as ``./dev app``) on ``port`` (default: a free local
    one), with ``env`` over this process's environment (``NER_MODEL`` dropped unless given), its output to ``log``
    (default: none); yields the app's URL; the server is stopped for sure."""
    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    full = {k: v for k, v in os.environ.items() if k != "NER_MODEL"} | {"HF_HUB_OFFLINE": "1"} | env
    command = [sys.executable, str(ROOT / "app.py")] if warm_up else [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
    output = open(log, "w") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(
        [*command, "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=full, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + start_within
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        stop(proc)
        if log is not None:
            output.close()


def shot(page, name: str) -> None:
    """A full-page screenshot to ``docs/NAME`` when ``NER_SCREENSHOTS=1`` (the README's pictures)."""
    if os.environ.get("NER_SCREENSHOTS"):
        (ROOT / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "docs" / name), full_page=True)


def script_done(page, timeout_ms: float = 120_000) -> None:
    """Until Streamlit says the page's script has finished its run (a click lands on a settled page)."""
    page.wait_for_function("() => document.querySelector('[data-test-script-state]')?.getAttribute('data-test-script-state')"
                           " === 'notRunning'", timeout=timeout_ms, polling=50)


def settled_box(page, locator) -> dict:
    """The box of ``locator`` once two readings 300 ms apart agree: the grid is clicked by position, and the page above
    it (the entity views, drawn as HTML) may still move it down on a slow first load."""
    box = locator.bounding_box()
    for _ in range(20):
        page.wait_for_timeout(300)
        again, box = box, locator.bounding_box()
        if again == box:
            break
    return box


def launch_chromium(playwright):
    """Debian's Chromium, headless, with the flags this machine's closed network needs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@contextmanager
def chromium_page(width: int = 1400, height: int = 1000) -> Iterator:
    """A page of Debian's Chromium (Playwright), its actions waiting up to two minutes; the browser closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(120_000)
            yield page
        finally:
            browser.close()


def sign_in(page, name: str, password: str) -> None:
    """Fill in and send the app's sign-in form."""
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def stop(proc: subprocess.Popen, grace: float = 10) -> None:
    """Stop ``proc`` (started with ``start_new_session=True``) and everything in its process group."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # also the group's other members (a pool worker left behind)
    except ProcessLookupError:
        pass
    proc.wait()


def stop_jobs() -> None:
    """Stop every job process this test process started (``ner_core.workbench.jobs``)."""
    from ner_core.workbench.jobs import _children

    for job_id, proc in list(_children.items()):
        stop(proc)
        del _children[job_id]


def wait_for_job(job: str, timeout: float, poll: float = 0.2) -> dict:
    """The status of ``job`` once it has ended; fails the test after ``timeout`` seconds."""
    from ner_core.workbench.jobs import job_status

    deadline = time.time() + timeout
    while time.time() < deadline:
        status = job_status(job)
        if status["state"] not in ("starting", "running"):
            return status
        time.sleep(poll)
    raise AssertionError(f"job {job} still running after {timeout} s")
