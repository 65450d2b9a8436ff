"""Two app instances on one database (PostgreSQL when ``$NER_TEST_DB_URL`` is set, else SQLite), each
a `streamlit run` server with its own browser tab: a retrain started in one shows its progress in
the other, and the activation of its new models in one is seen by the other."""
import re
import shutil
from contextlib import ExitStack
from pathlib import Path

import pytest
from encoders import WITHOUT_ENCODER
from playwright.sync_api import expect
from processes import CHROMIUM, launch_chromium, script_done, shot, streamlit_app

from ner_core.workbench.jobs import job_status, latest_job

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]


@pytest.fixture(scope="module")
def instances(small_run, small_corpus, team_db_url, tmp_path_factory):
    """Two servers sharing the database, the data folder (registry checkpoints) and the shipped models (the
    Bi-LSTM-CRF family: the job retraining them is followed, not what it loads)."""
    base, _, _ = small_run
    tmp = tmp_path_factory.mktemp("instances")
    shutil.copytree(base / "ckpt", tmp / "checkpoints", ignore=WITHOUT_ENCODER)
    env = {"NER_CHECKPOINTS": str(tmp / "checkpoints"), "NER_DATA_DIR": str(tmp / "data"), "NER_DB_URL": team_db_url,
           "NER_CORPUS": str(small_corpus)}
    with ExitStack() as stack:
        yield [stack.enter_context(streamlit_app(env)) for _ in range(2)], env


def test_a_job_and_an_activation_in_one_instance_are_seen_in_the_other(instances, monkeypatch):
    from playwright.sync_api import sync_playwright

    (url_a, url_b), env = instances
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            tab_a, tab_b = (browser.new_page(viewport={"width": 1400, "height": 1000}) for _ in range(2))
            for tab in (tab_a, tab_b):
                tab.set_default_timeout(300_000)
            tab_c = browser.new_page(viewport={"width": 1400, "height": 1000})
            for tab, path in ((tab_b, "/retrain"), (tab_c, "/registry")):  # a fresh `streamlit run` server's first two
                tab.evaluate("url => location.assign(url)", url_b + path)  # visits, by links, at the same moment
            tab_b.get_by_text("No training or retraining job has run on this dataset yet.").wait_for()
            tab_c.get_by_text("Dataset default.").wait_for()
            for tab, title in ((tab_b, "model_training Retrain"), (tab_c, "inventory_2 Registry")):
                script_done(tab)
                links = [" ".join(t.split()) for t in tab.locator("[data-testid=stSidebarNav] a").all_inner_texts()]
                assert title in links and len(links) == 11, links  # the app's navigation, not pages/ as a folder of pages
            tab_c.close()

            tab_a.goto(url_a + "/retrain")
            tab_a.get_by_label("Epochs").fill("1")
            tab_a.get_by_label("Train on the first N training sentences (0 = all)").fill("100")
            tab_a.get_by_role("button", name="Start retraining").click()
            tab_b.get_by_text(re.compile(r"about .* left|time left not known yet")).first.wait_for()  # B follows A's job live
            tab_b.get_by_text("(not active)").wait_for()  # registered, seen from B
            entry = job_status(latest_job("default", "retrain"))["entry"]["id"]

            tab_a.get_by_text("(not active)").wait_for()
            shot(tab_a, "retrain.png")
            tab_a.get_by_text(f"Activate the new entry {entry}").click()
            tab_a.get_by_role("button", name="Apply").click()
            tab_a.get_by_text(f"The new entry {entry} is active.").wait_for()
            tab_b.get_by_text(f"The new entry {entry} is active.").wait_for()  # B's page refreshes itself every 2 s
            tab_a.goto(url_a + "/registry")
            tab_a.get_by_role("heading", name="Registry").wait_for()
            shot(tab_a, "registry.png")
            box = tab_a.get_by_role("combobox", name="Entry")
            expect(box).to_have_value(entry)
            tab_a.get_by_role("button", name="Roll back to the previously active").click()
            tab_a.get_by_text("Rolled back to shipped").wait_for()
            expect(box).to_have_value("shipped")  # helper-80: the box went on showing the entry rolled back, Activate greyed
            box.click()
            tab_a.get_by_role("option", name=entry).click()
            tab_a.get_by_role("button", name="Activate", exact=True).click()
            tab_a.get_by_text(f"Activated {entry}").wait_for()
            expect(box).to_have_value(entry)
        finally:
            browser.close()
