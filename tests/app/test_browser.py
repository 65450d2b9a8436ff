"""The workbench in a real browser: Debian's Chromium driven by Playwright against `streamlit run`.

Predict a sentence, and correct a sentence and see the correction survive a reload (the review
queue's keyboard loop: test_browser_review.py; a retrain started and followed: test_browser_instances.py).
Screenshots go to ``docs/`` when ``NER_SCREENSHOTS=1``.
"""
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect
from processes import CHROMIUM, launch_chromium, script_done, settled_box, shot, streamlit_app

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]


@pytest.fixture(scope="module")
def server(small_run, small_corpus, tmp_path_factory):
    base, _, _ = small_run
    tmp = tmp_path_factory.mktemp("browser")
    shutil.copytree(base / "ckpt", tmp / "checkpoints")
    env = {"NER_CHECKPOINTS": str(tmp / "checkpoints"), "NER_DATA_DIR": str(tmp / "data"), "NER_DB_URL": f"sqlite:///{tmp / 'db.sqlite'}",
           "NER_CORPUS": str(small_corpus)}
    with streamlit_app(env) as url:
        yield url


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        yield page
        browser.close()


def test_type_a_sentence_and_see_the_tags(page, server):
    page.goto(server)
    box = page.get_by_label("Text to tag (several sentences are fine)")
    box.fill("John Smith flew from London to Paris on Friday .")
    box.press("Control+Enter")
    page.get_by_text("1 sentence(s), 10 tokens").wait_for()
    page.get_by_text("detector P(weak entity)").first.wait_for()
    assert page.locator("[data-testid='stMainMenu']").count() == 1  # the viewer's menu, without Streamlit's "Deploy" button
    assert page.locator("[data-testid='stAppDeployButton']").count() == 0
    shot(page, "predict.png")


def test_correct_a_sentence_and_reload(page, server):
    for sentence in range(20):  # the first sentence the tiny model gets wrong
        page.goto(server + f"/annotate?sentence={sentence}")
        page.get_by_text("Gold (current)").wait_for()
        script_done(page)
        views = page.locator("[data-testid='stMainBlockContainer'] [data-testid='stHtml']")
        gold, predicted = views.nth(0).inner_text(), views.nth(1).inner_text()
        if gold != predicted:
            break
    assert gold != predicted
    accept = page.get_by_role("button", name="Accept the prediction")
    settled_box(page, accept)  # the grid above may still move it on a slow first draw
    accept.click()
    page.get_by_text("Prediction accepted").wait_for()
    page.reload()
    page.get_by_text("Gold (current)").wait_for()
    page.get_by_text("History of this sentence").click()
    views = page.locator("[data-testid='stMainBlockContainer'] [data-testid='stHtml']")
    assert views.nth(0).inner_text() == predicted  # the correction is stored, not just shown
    shot(page, "annotate.png")



def test_one_person_modes_name_is_one_name_on_every_page_and_survives_a_reload(page, server):
    page.goto(server + "/annotate?sentence=1")
    page.get_by_text("Gold (current)").wait_for()
    script_done(page)
    page.get_by_label("Your name").fill("Zoë Ames")
    page.get_by_label("Your name").press("Enter")
    page.wait_for_function("document.cookie.includes('ner_author=Zo%C3%AB%20Ames')")  # written by the page's script
    page.reload()  # a new browser session: only the cookie knows the name
    page.get_by_text("Gold (current)").wait_for()
    script_done(page)
    expect(page.get_by_label("Your name")).to_have_value("Zoë Ames")  # drawn empty for a moment as the page mounts
    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("heading", name="Review queue").wait_for()
    script_done(page)
    expect(page.get_by_label("Your name")).to_have_value("Zoë Ames")  # one name, not one per page


def test_export_the_corrected_corpus(page, server, small_corpus, tmp_path):
    """After test_correct_a_sentence_and_reload: the CoNLL export, prepared on request, holds that correction."""
    from ner_core.data.corpus import read_corpus

    page.goto(server + "/annotate")
    page.get_by_text("Gold (current)").wait_for()
    script_done(page)
    page.get_by_text("All corrections and export").click()
    original = read_corpus(small_corpus)
    for fmt in ("conll", "spacy"):  # a text format, and spaCy's binary DocBin
        label = fmt if fmt == "spacy" else f"{fmt}, IOB2"  # a text format's tags: IOB2 unless another scheme is chosen
        prepare = page.get_by_role("button", name=f"Prepare the corrected corpus ({label})")
        for _ in range(5):  # a click on the radio during a rerun can be lost on a busy machine: clicked until it took
            page.get_by_text(fmt, exact=True).click()
            script_done(page)
            if prepare.count():
                break
            page.wait_for_timeout(1000)
        prepare.click()
        button = page.get_by_role("button", name=f"Download the corrected corpus ({label})")
        button.wait_for()
        script_done(page)
        with page.expect_download() as download:
            button.click()
        path = tmp_path / f"export.{fmt}"
        download.value.save_as(path)
        exported = read_corpus(path)
        assert [s.words for s in exported] == [s.words for s in original]
        assert sum(a.tags != b.tags for a, b in zip(exported, original)) == 1


def test_error_analysis_lists_the_sentences_of_a_clicked_type_and_category(page, server):
    page.goto(server)  # app.py's navigation first (a page opened first is served as a page of a pages/ folder)
    page.get_by_text("Text to tag").first.wait_for()
    page.goto(server + "/errors")
    page.get_by_text("Click a type's row").wait_for()
    script_done(page)
    box = page.locator("[data-testid='stDataFrame']").first.bounding_box()  # the scores by type
    type_filter = page.locator("[data-testid='stMultiSelect']").filter(has_text="Entity type")
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)  # the first type's row (its selection box)
    page.wait_for_function("el => el.innerText.trim().includes('\\n')", arg=type_filter.element_handle())  # a type chosen
    script_done(page)
    chosen = type_filter.inner_text().strip().split("\n")[-1]
    assert chosen in ("art", "geo", "gpe", "per", "org", "tim", "eve", "nat"), chosen  # the table's first row: a type
    listed = page.get_by_text(re.compile(r"^[\d,]+ of [\d,]+ sentences"))  # "N of M sentences"
    before = listed.inner_text()
    page.get_by_role("button", name="missed entity").click()
    page.wait_for_function("([el, before]) => el.innerText !== before", arg=[listed.element_handle(), before])
    assert int(listed.inner_text().split()[0].replace(",", "")) <= int(before.split()[0].replace(",", ""))
    shot(page, "errors_clicked.png")


def test_the_browsers_back_from_a_sentence_corrected_brings_the_corpus_search_back(page, server):
    """helper-96: Streamlit's history held /corpus?sentence=N for the search, which Back then dropped."""
    page.goto(server + "/corpus?corpus_splits=test")
    count = page.get_by_text(re.compile(r"^\d[\d,]* of [\d,]+ sentences"))
    count.wait_for()
    script_done(page)
    searched = count.inner_text().split(".")[0]
    box = settled_box(page, page.locator("[data-testid='stDataFrame']").first)
    page.mouse.click(box["x"] + 10, box["y"] + 35 + 17)  # the first row's selection cell
    page.get_by_role("link", name=re.compile("Correct sentence")).click()
    page.get_by_text("Gold (current)").wait_for()
    script_done(page)
    page.go_back()
    page.wait_for_url(re.compile(r"/corpus\?corpus_splits=test$"))
    page.wait_for_function("t => [...document.querySelectorAll('p')].some(p => p.innerText.startsWith(t))", arg=searched)
