"""A team in a real browser (Debian's Chromium via Playwright, `streamlit run`): a wrong password
is refused; an annotator signs in (and stays signed in across a reload), corrects a sentence and
cannot start a retrain; a reviewer signs in and accepts the correction, which the database then
records with both names."""
from pathlib import Path

import pytest
from processes import CHROMIUM, ROOT, chromium_page, script_done, settled_box, shot, sign_in, streamlit_app

from ner_core.storage.db import make_engine
from ner_core.storage.store import CorrectionStore
from ner_core.storage.users import add_user
from ner_core.workbench.correction_review import decisions

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]


@pytest.fixture(scope="module")
def team_server(small_corpus, tmp_path_factory):
    ckpt = ROOT / "checkpoints" / "bilstm_crf"  # the shipped tagger: nothing to train
    tmp = tmp_path_factory.mktemp("team")
    url = f"sqlite:///{tmp / 'db.sqlite'}"
    engine = make_engine(url)
    add_user(engine, "ann", "annotator", "ann-password")
    add_user(engine, "rita", "reviewer", "rita-password")
    engine.dispose()
    with streamlit_app({"NER_MODEL": str(ckpt), "NER_DATA_DIR": str(tmp / "data"), "NER_DB_URL": url,
                        "NER_CORPUS": str(small_corpus)}) as base:
        yield base, url


@pytest.fixture(scope="module")
def page(team_server):
    with chromium_page() as page:
        yield page


def test_annotator_corrects_cannot_retrain_and_a_reviewer_accepts(page, team_server, small_corpus):
    base, url = team_server
    page.goto(base)
    sign_in(page, "ann", "not-her-password")
    page.get_by_text("wrong user name or password").wait_for()
    sign_in(page, "ann", "ann-password")
    page.get_by_text("Signed in as ann").wait_for()
    page.wait_for_function("() => document.cookie.includes('ner_session=')")  # set by the page once signed in
    page.reload()  # a reload keeps the sign-in (the session cookie)
    page.get_by_text("Signed in as ann").wait_for()

    page.get_by_role("link", name="Annotate").click()
    page.get_by_text("Gold (current)").wait_for()
    for _ in range(30):  # the first sentence the model tags differently from the gold
        views = page.locator("[data-testid='stMainBlockContainer'] [data-testid='stHtml']")
        if views.nth(0).inner_text() != views.nth(1).inner_text():
            break
        shown = page.locator("[data-testid='stMainBlockContainer'] [data-testid='stHtml']").nth(0).inner_text()
        page.get_by_role("button", name="Next / skip ▶").click()
        page.wait_for_function("t => document.querySelectorAll(\"[data-testid='stMainBlockContainer'] [data-testid='stHtml']\")[0].innerText !== t", arg=shown)
    assert page.get_by_label("Your name").count() == 0  # the author is the signed-in user, not a text box
    script_done(page)
    accept = page.get_by_role("button", name="Accept the prediction")
    settled_box(page, accept)  # the grid above may still grow on a slow first draw and move the button (a click lost, stop 51)
    accept.click()
    page.get_by_text("Prediction accepted").wait_for()

    page.get_by_role("link", name="Retrain").click()
    page.get_by_text("ann is an annotator: only admins may retrain").wait_for()
    assert page.get_by_role("button", name="Start retraining").is_disabled()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("User name").wait_for()  # the sign-in form, not the page still showing ann
    page.wait_for_function("() => !document.cookie.includes('ner_session=')")
    page.reload()  # signed out for good: the cookie is gone
    page.get_by_label("User name").wait_for()
    sign_in(page, "rita", "rita-password")
    page.get_by_text("Signed in as rita").wait_for()
    page.get_by_role("link", name="Review corrections").click()
    page.get_by_text("1 correction batch(es) wait for review").wait_for()
    script_done(page)
    page.keyboard.press("a")  # the keys decide the first batch the reviewer may decide
    page.get_by_text("0 correction batch(es) wait for review").wait_for()

    engine = make_engine(url)
    store = CorrectionStore(engine, "default", small_corpus)
    assert {row["author"] for row in store.history()} == {"ann"}
    assert [(d["decision"], d["reviewer"]) for d in decisions(store)] == [("accepted", "rita")]
    engine.dispose()


def test_a_reviewer_sees_two_annotators_agreement_and_settles_a_disagreement(page, team_server, small_corpus):
    """Runs after the test above (rita is signed in). Two annotators' figures on the Agreement page
    (docs/agreement.png with NER_SCREENSHOTS=1); a one-click adjudication, whose message stays."""
    from ner_core.storage.users import User
    from ner_core.workbench.agreement import assign, save_annotation

    base, url = team_server
    engine = make_engine(url)
    add_user(engine, "bob", "annotator", "bob-password")
    store = CorrectionStore(engine, "default", small_corpus)
    chosen = assign(store, 12 / 200, ("ann", "bob"), User("root", "admin"), among=range(200))
    for k, sentence in enumerate(chosen):
        gold = store.tags(sentence)
        save_annotation(store, sentence, gold, User("ann", "annotator"))
        theirs = list(gold) if k % 3 else ["O"] * len(gold)  # bob leaves out every third sentence's entities
        save_annotation(store, sentence, theirs, User("bob", "annotator"))
    engine.dispose()

    page.get_by_role("link", name="Agreement").click()
    page.get_by_text("Agreement per annotator pair").wait_for()
    page.get_by_text("ann / bob").first.wait_for(state="attached")  # a table cell (drawn on a canvas)
    page.get_by_role("button", name="Take ann's").wait_for()
    shot(page, "agreement.png")
    page.get_by_role("button", name="Take ann's").click()
    page.get_by_test_id("stToastText").get_by_text("adjudicated:").wait_for()  # in view wherever the page is scrolled (helper-82)
    message = page.get_by_test_id("stAlertContentSuccess").get_by_text("adjudicated:")
    message.wait_for()
    page.wait_for_timeout(1500)  # a later rerun must not wipe the confirmation
    assert message.is_visible()

    script_done(page)  # the next disagreement: an edit of its adjudicated column is unsaved, so a reload asks first
    box = settled_box(page, page.locator("[data-testid='stDataFrame']").last)
    page.mouse.click(box["x"] + 60, box["y"] + 35 + 17)  # token 0, then from the keyboard: its adjudicated cell
    for key in ("ArrowRight", "ArrowRight", "ArrowRight", "ArrowRight", "Enter", *"B-org", "Enter", "Escape"):
        page.wait_for_timeout(200)
        page.keyboard.press(key)
    script_done(page)
    asked = []

    def stay(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()
    page.on("dialog", stay)
    page.evaluate("location.reload()")
    page.wait_for_timeout(1000)
    page.remove_listener("dialog", stay)
    assert asked == ["beforeunload"]


def test_new_text_says_the_open_sentences_are_held_by_colleagues_not_that_the_pool_is_empty(page, team_server, small_corpus):
    from ner_core.storage.claims import claim
    from ner_core.storage.pool import Pool

    base, url = team_server
    engine = make_engine(url)
    pool = Pool(CorrectionStore(engine, "default", small_corpus))
    pool.add([("Colleagues", "hold", "this", "one", ".")], "held.txt", "rita")
    held = [i for i, _ in pool.open_sentences()]
    claim(engine, "pool", held, "rita")  # a colleague's page shows every open sentence
    context = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})  # ann, in her own browser
    try:
        mine = context.new_page()
        mine.set_default_timeout(120_000)
        mine.goto(base)
        sign_in(mine, "ann", "ann-password")
        mine.get_by_text("Signed in as ann").wait_for()
        mine.get_by_role("link", name="New text").click()
        mine.get_by_text(f"{len(held)} open item(s) are held by colleagues' pages").wait_for()
        assert mine.get_by_text("The pool is empty").count() == 0
    finally:
        context.close()

