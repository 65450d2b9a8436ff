"""A database outage in a real browser (Debian's Chromium, `streamlit run`, PostgreSQL): Save while the database
refuses connections says that nothing was saved, and once it is back the unsaved grid edit and the sidebar's name
are on the page as they were, and the save goes through."""
import os
import socket
from pathlib import Path

import pytest
from conftest import fresh_database
from processes import CHROMIUM, ROOT, chromium_page, launch_chromium, script_done, streamlit_app
from test_browser_annotate import first_gold_to_org, open_annotate

from ner_core.storage.db import make_engine
from ner_core.storage.store import CorrectionStore

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]


@pytest.fixture(scope="module")
def server(small_corpus, tmp_path_factory):
    """A one-person app (no users: the name is typed in the sidebar) on a PostgreSQL database of its own."""
    tmp = tmp_path_factory.mktemp("outage")
    with fresh_database("postgresql", tmp) as url, streamlit_app(
            {"NER_MODEL": str(ROOT / "checkpoints" / "bilstm_crf"), "NER_DATA_DIR": str(tmp / "data"), "NER_DB_URL": url,
             "NER_CORPUS": str(small_corpus)}) as base:
        yield base, url


@pytest.fixture
def page(server):
    with chromium_page() as page:
        yield page


def reachable(url: str, on: bool) -> None:
    """Let the app's database take connections, or refuse them and end those it has (a server going down)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with psycopg.connect(os.environ["NER_TEST_DB_URL"], autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(on).lower()}')
        if not on:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


RECORD_STATES = """() => {  // every change of the app's connection and script states, in window.__states, with its time
  const app = document.querySelector("[data-test-connection-state]");
  window.__states = [];
  new MutationObserver(() => window.__states.push([app.dataset.testConnectionState, app.dataset.testScriptState, Date.now()]))
    .observe(app, { attributes: true });
}"""
SETTLED_AFTER_RECONNECT = """() => {  // connected again after a loss, a script run since, and no run for 2 s: the new session's
  // runs are done (under `streamlit run`, a deep link's first run reruns through app.py; until then the page shows the old
  // session's widgets, whose clicks the new session does not know)
  const states = window.__states, lost = states.findIndex(([connection]) => connection !== "CONNECTED");
  if (lost < 0 || !states.slice(lost).some(([connection, script]) => connection === "CONNECTED" && script === "running")) return false;
  const [connection, script, at] = states[states.length - 1];
  return connection === "CONNECTED" && script === "notRunning" && Date.now() - at > 2000;
}"""


def test_the_first_save_after_a_server_restart_saves(small_corpus, tmp_path):
    """A restart ends the tab's session; the new one knows no widget until it has run, and Streamlit drops a click's
    callback until then: the page reruns once the tab is connected again, so the first Save saves the grid's edit."""
    from playwright.sync_api import sync_playwright

    env = {"NER_MODEL": str(ROOT / "checkpoints" / "bilstm_crf"), "NER_DATA_DIR": str(tmp_path / "data"),
           "NER_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "NER_CORPUS": str(small_corpus), "USER": "ines"}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            with streamlit_app(env, port=port) as base:
                open_annotate(page, base, 3)
                first_gold_to_org(page)
                page.evaluate(RECORD_STATES)
            with streamlit_app(env, port=port):  # the tab reconnects, and its page reruns in the new session
                page.wait_for_function(SETTLED_AFTER_RECONNECT, polling=200)
                page.get_by_role("button", name="Save").click()
                page.get_by_text("Saved: 1 token(s) changed").wait_for()
        finally:
            browser.close()
    store = CorrectionStore(make_engine(env["NER_DB_URL"]), "default", small_corpus)
    assert store.tags(3)[0] == "B-org" and store.history(3)[0]["author"] == "ines"


def test_a_save_during_an_outage_keeps_the_edit_and_the_name(server, page, small_corpus):
    base, url = server
    open_annotate(page, base, 3)
    page.get_by_label("Your name").fill("ines")
    page.get_by_label("Your name").press("Enter")
    script_done(page)
    cells = first_gold_to_org(page)

    reachable(url, False)
    try:
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Nothing was saved: the database failed or cannot be reached").wait_for()
        page.get_by_text("The page cannot be drawn").wait_for()
        page.get_by_text("open the page again from the sidebar, not by a reload").wait_for()
        # helper-65: the page's leave guard was not drawn, so a reload, as the message said then, dropped the edit unasked
        page.wait_for_function("() => window.__nerUnsaved && window.__nerUnsaved.size > 0")
    finally:
        reachable(url, True)
    page.get_by_role("link", name="Annotate").click()
    page.get_by_text("Unsaved edits restored: 1 token(s); Save them or Discard (row").wait_for()
    script_done(page)
    assert cells.nth(2).inner_text() == "B-org" and page.get_by_label("Your name").input_value() == "ines"
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved: 1 token(s) changed").wait_for()
    engine = make_engine(url)
    store = CorrectionStore(engine, "default", small_corpus)
    assert store.tags(3)[0] == "B-org" and store.history(3)[0]["author"] == "ines"
    engine.dispose()


def test_keys_pressed_during_an_outage_stay_in_the_tab_and_are_stored_once_it_is_back(server, page, small_corpus):
    """helper-87: a traceback took the review queue's annotator away, and with it the resending of its decisions and
    the question before a leave: a tab closed then lost them."""
    from playwright.sync_api import expect

    from ner_core.quality.review_queue import KEPT, ReviewQueue

    base, url = server
    page.goto(base + "/review")
    page.locator(".ka[data-state='ready']").wait_for()
    item = int(page.locator(".ka").get_attribute("data-item"))
    page.evaluate("window.__sameTab = true")  # gone if the page reloads itself
    reachable(url, False)
    try:
        page.keyboard.press("g")
        expect(page.locator(".ka .status")).to_contain_text("Nothing can be read or saved: the database failed or cannot be reached")
        assert page.locator(".ka").get_attribute("data-pending") == "1"
        assert page.get_by_test_id("stException").count() == 0  # no traceback in the annotator's place
        second = page.locator(".ka[data-state='ready']").get_attribute("data-item")  # helper-88: the items held
        assert int(second) != item  # stay on screen, and a key decides the next one
        assert page.locator(".ka .legend .swatch").count() > 0  # helper-89: the legend and its type keys went too
        page.keyboard.press("g")
        expect(page.locator(".ka")).to_have_attribute("data-pending", "2")
        page.wait_for_timeout(25_000)  # helper-88: after 20 s the page reloaded itself and could not be drawn
        assert page.evaluate("window.__sameTab === true") and page.locator(".ka").count() == 1
        page.on("dialog", lambda dialog: dialog.accept())  # the reload asks first: yes
        page.reload()  # helper-89: a page reloaded now drew nothing of the decisions kept, and never came back by itself
        page.get_by_text("The page cannot be drawn").wait_for()
        expect(page.get_by_text("2 decisions made with keys are kept in this tab")).to_be_visible()
    finally:
        reachable(url, True)
    page.locator(".ka").wait_for()  # the page reloads itself until it can be drawn
    page.wait_for_function("() => document.querySelector('.ka')?.dataset.pending === '0'", timeout=120_000)  # resent
    engine = make_engine(url)
    decided = ReviewQueue(CorrectionStore(engine, "default", small_corpus)).decisions()
    assert [d["action"] for d in decided if d["item"] in (item, int(second))] == [KEPT, KEPT]  # each stored once
    engine.dispose()
