"""Annotate in a real browser (Debian's Chromium via Playwright, `streamlit run`), signed in as an admin: the import
panel stays open at the first upload after a load, and an unsaved grid edit survives a visit to another page."""
import time
from pathlib import Path

import pytest
from processes import CHROMIUM, ROOT, chromium_page, script_done, settled_box, sign_in, streamlit_app

from ner_core.storage.db import make_engine
from ner_core.storage.store import CorrectionStore
from ner_core.storage.users import add_user

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]


@pytest.fixture(scope="module")
def server(small_corpus, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("annotate")
    url = f"sqlite:///{tmp / 'db.sqlite'}"
    engine = make_engine(url)
    add_user(engine, "ada", "admin", "ada-password")
    engine.dispose()
    with streamlit_app({"NER_MODEL": str(ROOT / "checkpoints" / "bilstm_crf"), "NER_DATA_DIR": str(tmp / "data"),
                        "NER_DB_URL": url, "NER_CORPUS": str(small_corpus)}) as base:
        yield base, url


@pytest.fixture(scope="module")
def page(server):
    with chromium_page() as page:
        page.goto(server[0])
        sign_in(page, "ada", "ada-password")
        page.get_by_text("Signed in as ada").wait_for()
        page.wait_for_function("() => document.cookie.includes('ner_session=')")
        yield page


def open_annotate(page, base: str, sentence: int) -> None:
    """A fresh load of Annotate (signed in by the cookie): a new session, in its first run."""
    page.goto(f"{base}/annotate?sentence={sentence}")
    page.get_by_text("Gold (current)").wait_for()
    script_done(page)


def first_gold_to_org(page):
    """Type B-org into the grid's first gold cell (not saved); the grid's cells."""
    cells = page.locator("[data-testid='stDataFrame'] [role='gridcell']")
    for _ in range(2):  # on a cold server and browser (CI's first run) the grid's cell editor can miss the first keys
        box = settled_box(page, page.locator("[data-testid='stDataFrame']").first)
        page.mouse.click(box["x"] + 80, box["y"] + 35 + 17)  # token 0's cell, then from the keyboard:
        for key in ("ArrowRight", "Enter", *"B-org", "Enter", "Escape"):  # its gold cell, its tags open, one chosen
            page.wait_for_timeout(200)  # each step drawn before the next
            page.keyboard.press(key)
        script_done(page)
        if cells.nth(2).inner_text() == "B-org":
            break
    assert cells.nth(2).inner_text() == "B-org"
    return cells


def test_the_import_panel_stays_open_at_the_first_upload_after_a_load(page, server, tmp_path):
    corpus = tmp_path / "biomed.conll"
    corpus.write_text("aspirin\tB-drug\ndaily\tO\n")
    open_annotate(page, server[0], 0)
    page.get_by_text("Import a corpus file as a new dataset").click()
    page.locator("[data-testid='stSidebar'] input[type=file]").first.set_input_files(str(corpus))
    page.get_by_text("biomed.conll").wait_for()
    page.wait_for_timeout(1500)  # the upload's rerun starts
    script_done(page)
    assert page.get_by_label("Dataset name").is_visible()  # the panel was drawn anew, closed, at this first rerun


def test_a_corpus_imported_with_its_dev_and_test_files_keeps_their_split(page, server, tmp_path):
    from ner_core.storage.datasets import list_datasets, open_dataset

    files = {}
    for part, words in (("train", [f"Drug{i}" for i in range(10)]), ("dev", ["Devol", "Devix"]), ("test", ["Testa"] * 3)):
        files[part] = tmp_path / f"pharma_{part}.conll"
        files[part].write_text("".join(f"{w}\tB-drug\nhelps\tO\n\n" for w in words))
    open_annotate(page, server[0], 0)
    panel = page.get_by_text("Import a corpus file as a new dataset")
    if not page.get_by_label("Dataset name").is_visible():
        panel.click()
    uploads = page.locator("[data-testid='stSidebar'] input[type=file]")
    for i, part in enumerate(("train", "dev", "test")):
        uploads.nth(i).set_input_files(str(files[part]))
        page.get_by_text(files[part].name).wait_for()
        script_done(page)
    page.get_by_label("Dataset name").fill("pharma")
    page.get_by_label("Dataset name").press("Tab")  # committed before the click (the click at once: the AppTest of it)
    script_done(page)
    page.get_by_role("button", name="Import").click()
    engine, deadline = make_engine(server[1]), time.time() + 120
    while "pharma" not in list_datasets(engine) and time.time() < deadline:  # the message may be redrawn away at once
        time.sleep(0.5)
    assert "pharma" in list_datasets(engine), page.locator("[data-testid='stSidebar']").inner_text()  # else: what it said
    assert [len(p) for p in open_dataset("pharma", engine).split_indices()] == [10, 2, 3]


def test_an_unsaved_edit_survives_a_visit_to_another_page_and_is_saved(page, server, small_corpus):
    base, url = server
    open_annotate(page, base, 3)
    cells = first_gold_to_org(page)
    page.get_by_role("link", name="Predict").click()
    page.get_by_label("Text to tag (several sentences are fine)").wait_for()
    page.get_by_role("link", name="Annotate").click()
    page.get_by_text("Unsaved edits restored: 1 token(s); Save them or Discard (row").wait_for()
    assert cells.nth(2).inner_text() == "B-org"
    script_done(page)
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))  # "Leave site?": stay
    page.evaluate("location.reload()")  # the session, and the draft in it, would end
    page.wait_for_timeout(1000)
    assert asked == ["beforeunload"] and cells.nth(2).inner_text() == "B-org"
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved: 1 token(s) changed").wait_for()
    script_done(page)
    page.reload()  # nothing unsaved: no question
    page.get_by_text("Gold (current)").wait_for()
    assert asked == ["beforeunload"]
    engine = make_engine(url)
    assert CorrectionStore(engine, "default", small_corpus).tags(3)[0] == "B-org"
    engine.dispose()
