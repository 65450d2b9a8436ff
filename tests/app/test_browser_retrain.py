"""Training an imported dataset's first models from the Retrain page in a real browser (Debian's Chromium
against `streamlit run`): when the job ends, the whole page says so, not only its live job panel."""
import re
from pathlib import Path

import pytest
from processes import CHROMIUM, launch_chromium, script_done, streamlit_app
from test_pages_any_dataset import conll_text

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]
NO_MODEL = "This dataset has no trained model yet"


@pytest.fixture
def server(small_corpus, tmp_path):
    """A server whose database holds the dataset ``fresh`` (40 sentences), imported, with no model."""
    from ner_core.storage.datasets import import_dataset
    from ner_core.storage.db import make_engine

    env = {"NER_DATA_DIR": str(tmp_path / "data"), "NER_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "NER_CORPUS": str(small_corpus), "NER_CHECKPOINTS": str(tmp_path / "no-models")}
    engine = make_engine(env["NER_DB_URL"])
    import_dataset(engine, "fresh", conll_text(40, seed=5).encode(), "fresh.conll", tmp_path / "data" / "datasets", log=lambda _: None)
    engine.dispose()
    with streamlit_app(env) as url:
        yield url, env["NER_DB_URL"]


def test_the_first_models_trained_replace_the_no_model_notice(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(server[0])
            script_done(page)
            page.get_by_role("combobox", name="Dataset").click()
            page.get_by_role("option", name="fresh").click()
            script_done(page)
            page.get_by_role("link", name="Retrain").click()
            page.get_by_text(NO_MODEL).wait_for()
            script_done(page)
            assert not page.get_by_label("Weak tagger epochs (at most)", exact=True).count()  # no weak type: no weak tagger
            for label, value in (("Tagger epochs (at most)", "1"), ("Patience", "1"),
                                 ("Train on the first N training sentences (0 = all)", "20")):  # helper-97: no way to, before
                page.get_by_label(label, exact=True).fill(value)
            page.get_by_role("combobox", name="Tagger recipe").click()
            page.get_by_role("option", name="glove", exact=True).click()
            page.get_by_role("button", name="Train models").click()
            page.get_by_text(re.compile(r"train-method job .*: succeeded")).wait_for(timeout=300_000)  # seen by the live panel
            page.get_by_text(NO_MODEL).wait_for(state="detached", timeout=20_000)  # and by the rest of the page
            page.get_by_text("Nothing to compare with. The new models' micro F1 on the val split").wait_for()
            page.get_by_text(re.compile(r"The new entry r\S+ is active\. It was activated because the dataset had no model yet")).wait_for()
            from ner_core.storage.db import make_engine
            from ner_core.workbench.registry import load_index

            [entry] = load_index("fresh", make_engine(server[1]))["entries"]
            assert entry["spec"]["limit"] == 20
        finally:
            browser.close()
