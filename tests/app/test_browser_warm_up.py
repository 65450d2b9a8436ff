"""``python app.py`` (what ``./dev app`` runs): the server warms up before it answers, and the first visits use
what it loaded and tagged (pages/warm_up.py), in Debian's Chromium."""
import re
import shutil
import time
from pathlib import Path

import pytest
from processes import CHROMIUM, launch_chromium, script_done, streamlit_app

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]


def tagging_logged(log: Path) -> int:
    """How often the server logged tagging a corpus for Error analysis (pages/models.py)."""
    return len(re.findall(r"tagged \d+ sentences with", log.read_text()))


def test_the_server_warms_up_first_and_the_first_visits_use_it(small_run, small_corpus, tmp_path):
    from playwright.sync_api import sync_playwright

    base, _, _ = small_run
    shutil.copytree(base / "ckpt", tmp_path / "checkpoints")
    env = {"NER_CHECKPOINTS": str(tmp_path / "checkpoints"), "NER_DATA_DIR": str(tmp_path / "data"),
           "NER_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "NER_CORPUS": str(small_corpus)}
    log = tmp_path / "server.log"
    with streamlit_app(env, warm_up=True, log=log) as url:
        started = log.read_text()  # all written before the server answered its health check
        for step in ("imports", "the model (voted)", "the test split tagged for Error analysis", "the review queue of the train split"):
            assert f"warm-up: {step}" in started
        assert "warm-up done" in started and "missing ScriptRunContext" not in started
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(url + "/errors")  # the first visit by a link: the app's own navigation, not pages/ as a folder
            page.get_by_text("Scores by type").wait_for()
            script_done(page)
            links = [" ".join(t.split()) for t in page.locator("[data-testid=stSidebarNav] a").all_inner_texts()]
            assert "analytics Error analysis" in links and "flag Review queue" in links and len(links) == 11
            assert tagging_logged(log) == 0  # the test split: tagged by the warm-up, not again
            page.goto(url)
            page.get_by_text("detector P(weak entity)").first.wait_for()  # Predict, with the warmed pipeline
            page.goto(url + "/errors")
            page.get_by_text("Scores by type").wait_for()
            script_done(page)
            page.get_by_text("val", exact=True).click()  # a split the warm-up did not tag: tagged now, and logged
            deadline = time.time() + 120  # the page already shows "Scores by type": wait for the server's log instead
            while tagging_logged(log) == 0 and time.time() < deadline:
                time.sleep(0.2)
            script_done(page)
            browser.close()
        assert tagging_logged(log) == 1


def test_a_warm_up_that_fails_still_lets_the_server_start(tmp_path):
    """A missing corpus stops the warm-up, not the server: the pages then say what is wrong."""
    env = {"NER_DATA_DIR": str(tmp_path / "data"), "NER_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "NER_CORPUS": str(tmp_path / "missing.csv")}
    from playwright.sync_api import sync_playwright

    log = tmp_path / "server.log"
    with streamlit_app(env, warm_up=True, log=log) as url, sync_playwright() as p:
        text = log.read_text()
        assert "warm-up stopped" in text and "missing.csv" in text and "warm-up done" not in text
        browser = launch_chromium(p)
        page = browser.new_page()
        page.goto(url + "/errors")  # helper-78: a traceback (CorpusError) on the first pages
        page.get_by_role("heading", name="No corpus on this machine").wait_for(timeout=120_000)
        page.get_by_text("missing.csv").first.wait_for()
        browser.close()
