"""What a user waits for, in a real browser: Debian's Chromium (Playwright) against the app's server.

Prints, for a server started on a temporary data directory as ``./dev app`` starts it (``python app.py``:
it warms up, then serves; ``--launch streamlit``: ``streamlit run app.py``, cold), the seconds until it
answers its health check, and:

* every page, cold (first visit after the server started: the browser opens the app, then the
  sidebar link is clicked; Predict is the app's root) and warm (visited again);
* the review queue: seconds from a one-key decision to the next item on screen (p50 / p95 over
  ``--decisions``) and to the decision stored by the server (the browser holds the next items, so
  the two differ), and the same from Enter (save an edited item). "On screen" is timed in the page:
  from the page handling the key to the first animation frame after the annotator shows another item; Playwright's
  own view (polling each frame, one round trip to the browser) is printed beside it: a frame that a
  long task of the browser holds back shows there as a late item that was drawn already;
* New text (the pool, ``--pool`` sentences: lower-cased copies of the test split's without their last token, ranked with the
  shipped models before the server starts, or with ``--unranked`` tagged by the page as they come up): the same
  timings for ``a`` (add as shown) and an edit;
* the idle server's CPU share over ``--idle`` seconds.

A page is "on screen" when its title is shown and Streamlit reports the script finished
(``data-test-script-state="notRunning"``).

    python benchmarks/browser_loop.py [--decisions 50] [--pool 300] [--unranked] [--idle 30] [--launch app|streamlit] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
PAGES = ["Predict", "Error analysis", "Review queue", "Annotate", "New text", "Retrain", "Registry"]
TIMEOUT_MS = 600_000
ANNOTATOR = ".ka[data-state='ready']"  # the keyboard annotator, ready for a key
# In the page: the milliseconds from handling the last key to the first animation frame after the annotator's item changed
# (the page's clock: a key event's own timeStamp is not the time Playwright sent it).
FRAME_CLOCK = """
window.__keyAt = null; window.__drawn = [];
window.addEventListener('keydown', () => { window.__keyAt = performance.now(); }, true);
new MutationObserver(() => {  // a frame asked for before the last key (a reply's redraw) does not count for it
  const at = window.__keyAt;
  if (at !== null) requestAnimationFrame(() => { if (at === window.__keyAt) window.__drawn.push(performance.now() - at); });
})
  .observe(document, { subtree: true, attributes: true, attributeFilter: ['data-item'] });
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data: Path, launch: str = "app") -> tuple[subprocess.Popen, str]:
    """The server on a free port over the data directory ``data``: ``python app.py`` (``launch="app"``) or ``streamlit run app.py``."""
    port = free_port()
    env = {**os.environ, "NER_DATA_DIR": str(data), "NER_DB_URL": f"sqlite:///{data / 'db.sqlite'}", "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, str(ROOT / "app.py")] if launch == "app" else [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
    proc = subprocess.Popen(
        [*command, "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("the server did not start within 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL to the whole process group after 10 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def wait_done(page, title: str) -> None:
    """Until the page's title is shown and the script has finished."""
    page.get_by_role("heading", name=title).first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-test-script-state]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }",
        timeout=TIMEOUT_MS, polling=50,
    )


def visit(page, name: str) -> float:
    started = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"]').get_by_text(name, exact=True).first.click()
    wait_done(page, name)  # each page's heading is its name
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children that are still running."""
    total = 0.0
    for task in [pid] + children(pid):
        try:
            fields = Path(f"/proc/{task}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError):
            pass
    return total


def children(pid: int) -> list[int]:
    try:
        found = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return found + [g for c in found for g in children(c)]


def page_loads(browser, url: str, pages: list[str]) -> dict[str, dict[str, float]]:
    """Cold then warm load of each page, in one fresh session per page (the server is shared)."""
    out: dict[str, dict[str, float]] = {}
    for name in pages:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url, timeout=TIMEOUT_MS)
        wait_done(page, "Predict")
        root = time.perf_counter() - started
        if name == "Predict":
            cold = root
            visit(page, "Registry")
        else:
            cold = visit(page, name)
            visit(page, "Registry" if name != "Registry" else "Predict")
        warm = visit(page, name)
        out[name] = {"cold_s": round(cold, 2), "warm_s": round(warm, 2)}
        print(f"{name:16s} cold {cold:6.2f} s   warm {warm:5.2f} s", flush=True)
        context.close()
    return out


def fill_pool(data: Path, sentences: int, ranked: bool = True) -> None:
    """A pool of ``sentences`` new sentences (the test split's, lower-cased and without their last token: the intake
    drops a corpus sentence in other capitals) in the server's database, ranked (else the page tags each with the model as
    it comes up)."""
    env = {"NER_DATA_DIR": str(data), "NER_DB_URL": f"sqlite:///{data / 'db.sqlite'}"}
    code = ("from ner_core.data.corpus import default_corpus_path, read_corpus, split_corpus\n"
            "from ner_core.storage.datasets import open_dataset\nfrom ner_core.storage.pool import Pool\n"
            "from ner_core.workbench.pool_rank import rank_dataset_pool\n"
            f"test = split_corpus(read_corpus(default_corpus_path())).test[:{sentences}]\n"
            "Pool(open_dataset('default')).add([[w.lower() for w in s.words[:-1]] for s in test], 'benchmark', 'bench')\n"
            + ("print(rank_dataset_pool('default'))" if ranked else ""))
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)


def keyboard_loop(browser, url: str, title: str, key: str, decisions: int) -> dict[str, float]:
    """On the keyboard annotator of page ``title``: seconds from a one-key decision (``key``) to the next item,
    and from an edit's Enter to the next."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.add_init_script(FRAME_CLOCK)
    page.goto(url, timeout=TIMEOUT_MS)
    wait_done(page, "Predict")
    visit(page, title)
    page.locator(ANNOTATOR).wait_for(timeout=TIMEOUT_MS)
    page.locator(".ka").focus()

    def press_and_wait(*keys: str) -> tuple[float, float, float]:
        """Seconds from the last key to the frame that draws the next item (in the page), to Playwright seeing it,
        and to the decision stored by the server."""
        before = page.locator(".ka").get_attribute("data-item")
        for key in keys[:-1]:
            page.keyboard.press(key)
        page.evaluate("() => { window.__drawn = []; window.__keyAt = null; }")
        started = time.perf_counter()
        page.keyboard.press(keys[-1])
        page.wait_for_function(
            "before => { const ka = document.querySelector('.ka');"
            " return ka && ka.dataset.item !== before && ka.dataset.state === 'ready' && window.__drawn.length > 0; }",
            arg=before, timeout=TIMEOUT_MS, polling="raf",
        )
        seen = time.perf_counter() - started
        drawn = page.evaluate("() => window.__drawn[0]") / 1000
        page.wait_for_function("() => document.querySelector('.ka').dataset.pending === '0'", timeout=TIMEOUT_MS, polling=10)
        return drawn, seen, time.perf_counter() - started

    timed = [press_and_wait(key) for _ in range(decisions)]
    saves = [press_and_wait("1", "Enter") for _ in range(5)]  # the selected token made type 1, saved
    context.close()
    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)

    shown, seen, stored = ([t[k] for t in timed] for k in range(3))
    result = {"decisions": len(timed), "next_p50_s": round(statistics.median(shown), 3), "next_p95_s": round(p95(shown), 3),
              "seen_p50_s": round(statistics.median(seen), 3), "seen_p95_s": round(p95(seen), 3),
              "stored_p50_s": round(statistics.median(stored), 3), "stored_p95_s": round(p95(stored), 3),
              "save_p50_s": round(statistics.median(t[0] for t in saves), 3),
              "save_stored_p50_s": round(statistics.median(t[2] for t in saves), 3)}
    print(f"{title}: decision -> next item on screen p50 {result['next_p50_s']} s, p95 {result['next_p95_s']} s "
          f"over {len(timed)} (as Playwright sees it: p50 {result['seen_p50_s']} s, p95 {result['seen_p95_s']} s); "
          f"-> stored by the server p50 {result['stored_p50_s']} s, p95 {result['stored_p95_s']} s; "
          f"Enter (edit) -> next p50 {result['save_p50_s']} s, stored {result['save_stored_p50_s']} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated page titles")
    parser.add_argument("--decisions", type=int, default=50)
    parser.add_argument("--pool", type=int, default=300, help="sentences in the pool for New text (0: skip it)")
    parser.add_argument("--unranked", action="store_true", help="leave the pool unranked: New text pre-annotates each sentence")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle CPU measurement")
    parser.add_argument("--launch", choices=("app", "streamlit"), default="app",
                        help="app: python app.py, as ./dev app (warms up first); streamlit: streamlit run app.py (cold)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results: dict[str, object] = {"machine": f"{os.cpu_count()} cores", "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        if args.pool and args.decisions:
            fill_pool(Path(tmp), args.pool, not args.unranked)
        started = time.perf_counter()
        proc, url = start_server(Path(tmp), args.launch)
        results["launch"] = args.launch
        results["server_ready_s"] = round(time.perf_counter() - started, 2)
        print(f"server answers its health check after {results['server_ready_s']} s", flush=True)
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            results["pages"] = page_loads(browser, url, [n.strip() for n in args.pages.split(",") if n.strip()])
            if args.decisions:
                results["review"] = keyboard_loop(browser, url, "Review queue", "g", args.decisions)
            if args.decisions and args.pool:
                results["pool"] = keyboard_loop(browser, url, "New text", "a", min(args.decisions, args.pool - 10))
            browser.close()
            time.sleep(5)
            before, started = cpu_seconds(proc.pid), time.perf_counter()
            time.sleep(args.idle)
            share = (cpu_seconds(proc.pid) - before) / (time.perf_counter() - started)
            results["idle_cpu_percent"] = round(100 * share, 2)
            print(f"idle server: {100 * share:.2f}% of one core over {args.idle:.0f} s", flush=True)
        finally:
            stop_server(proc)
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
