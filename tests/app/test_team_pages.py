"""The Review corrections and Agreement pages with Streamlit's AppTest, on a tiny corpus: an admin
accepts an annotator's correction, sees the pair's agreement and adjudicates a disagreement in one click."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ner_core.data.corpus import Sentence, write_corpus
from ner_core.storage.db import make_engine
from ner_core.storage.store import CorrectionStore
from ner_core.storage.users import User, add_user, remove_user, set_role, sign_in
from ner_core.workbench.agreement import assign, assigned_to, disagreements, save_annotation
from ner_core.workbench.correction_review import decisions
from pages.tab_guards import APP_RAN

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SENTENCES = [Sentence(("John", "visited", "Paris"), ("B-per", "O", "B-geo")),
             Sentence(("The", "UN", "met"), ("O", "B-org", "O"))]


@pytest.fixture
def team(tmp_path, monkeypatch):
    corpus = tmp_path / "tiny.conll"
    write_corpus(SENTENCES, corpus)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    for name, value in (("NER_DB_URL", url), ("NER_DATA_DIR", str(tmp_path / "data")), ("NER_CORPUS", str(corpus)),
                        ("NER_CHECKPOINTS", str(tmp_path / "no-models"))):
        monkeypatch.setenv(name, value)
    engine = make_engine(url)
    for name, role in (("ann", "annotator"), ("bob", "annotator"), ("root", "admin")):
        add_user(engine, name, role, "correct horse")
    store = CorrectionStore(engine, "default", corpus)
    yield store, sign_in(engine, "root", "correct horse")
    engine.dispose()


def page(name: str, token: str) -> AppTest:
    """The page under the app's navigation, signed in with ``token``."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.session_state["signin_token"] = token
    app.switch_page(f"pages/{name}")
    return app.run()


def table(app: AppTest, column: str):
    """The first table on the page with ``column``."""
    return next(d.value for d in app.dataframe if column in d.value.columns)


def test_an_admin_accepts_a_correction(team):
    store, token = team
    store.save(0, ["B-per", "O", "B-org"], author="ann")
    app = page("review_corrections.py", token)
    assert not app.exception
    assert app.caption[0].value.startswith("1 correction batch(es) wait for review")
    assert [c.value for c in app.caption[1:3]] == ["Sentence 0 before this save", "As saved"]
    assert any(t.value.startswith("ann · on Annotate · ") for t in app.text)  # who, and on which page
    before, after = (h.value for h in app.get("html")[:2])  # the sentence in context: Paris was geo, is org
    assert "Paris" in before and "geo" in before and "org" not in before and "org" in after and "geo" not in after
    [accept] = [b for b in app.button if b.label == "Accept"]
    accept.click().run()
    assert app.caption[0].value.startswith("0 correction batch(es)")
    assert [(d["decision"], d["reviewer"]) for d in decisions(store)] == [("accepted", "root")]


def test_a_batch_is_shown_as_its_author_saw_and_saved_it_not_as_the_sentence_is_now(team):
    store, token = team
    store.save(0, ["B-per", "O", "B-org"], author="ann")
    store.save(0, ["O", "O", "B-org"], author="bob")  # bob then drops John: not part of ann's save
    app = page("review_corrections.py", token)
    ann = next(i for i, t in enumerate(app.text) if t.value.startswith("ann · "))
    assert app.caption[1 + 2 * ann].value == "Sentence 0 before this save"
    assert app.caption[2 + 2 * ann].value == "As saved (changed since, by bob: open it to see it now)"
    before, after = (h.value for h in app.get("html")[2 * ann:2 * ann + 2])
    assert "per" in before and "geo" in before and "per" in after and "org" in after  # John was a person in both
    [ann_row] = [b for b in app.button if b.label == "Accept"][ann:ann + 1]
    ann_row.click().run()
    [row] = decisions(store)
    assert (row["author"], row["saved on"], row["sentences"], row["tokens"]) == ("ann", "Annotate", "0", 1)


def test_a_session_signed_out_in_another_tab_saves_nothing_and_is_asked_to_sign_in(team):
    """A button runs its callback before the page checks the sign-in again: the write checks it itself."""
    from ner_core.storage.users import sign_out

    store, token = team
    store.save(0, ["B-per", "O", "B-org"], author="ann")
    app = page("review_corrections.py", token)
    sign_out(store.engine, token)  # the same person, in another tab
    [accept] = [b for b in app.button if b.label == "Accept"]
    accept.click().run()
    assert decisions(store) == []  # it recorded root's decision before
    assert app.title[-1].value == "Sign in" and any("Nothing was saved: you were signed out" in w.value and "decisions made with keys wait in this tab" in w.value
                                                 for w in app.warning)


def test_agreement_and_adjudication_in_one_click(team):
    store, token = team
    assign(store, 1.0, ("ann", "bob"), User("root", "admin"))
    save_annotation(store, 0, ["B-per", "O", "B-geo"], User("ann", "annotator"))
    save_annotation(store, 0, ["B-per", "O", "O"], User("bob", "annotator"))
    for user in ("ann", "bob"):
        save_annotation(store, 1, ["O", "B-org", "O"], User(user, "annotator"))
    app = page("agreement.py", token)
    assert not app.exception
    pairs = table(app, "pair")  # one row per pair
    # ann: per, geo, org; bob: per, org -> P 1, R 2/3 (or the reverse): F1 0.8. Tags agree on 5 of 6;
    # chance (B-per 1*1 + O 3*4 + B-org 1*1) / 36 = 14/36: kappa (30/36 - 14/36) / (22/36) = 16/22
    assert pairs.to_dict("records") == [{"pair": "ann / bob", "sentences": 2, "tokens": 6, "entity F1": 0.8,
                                         "kappa (tags)": round(16 / 22, 3), "open disagreements": 1, "adjudicated": 0}]
    app.button(key="agreement_take_b").click().run()  # bob's version: Paris is not an entity
    assert app.success[0].value == "Sentence 0 adjudicated: 1 token(s) changed."
    assert (table(app, "pair")["open disagreements"][0], table(app, "pair")["adjudicated"][0]) == (0, 1)
    assert disagreements(store) == [] and store.tags(0) == ["B-per", "O", "O"]
    assert store.history(0)[0]["author"] == "root"


def test_agreement_page_before_anyone_tagged_has_no_empty_tables(team):
    store, token = team
    app = page("agreement.py", token)
    assert not app.exception
    assert [i.value for i in app.info] == ["No sentence has been tagged by both of its annotators yet."]
    assert len(app.dataframe) == 0


def test_an_admin_sees_who_got_which_sentences(team):
    store, token = team
    app = page("agreement.py", token)
    app.multiselect(key="agreement_pair").set_value(["ann", "bob"]).run()
    app.number_input(key="agreement_share").set_value(50.0)
    app.button(key="agreement_assign").click().run()  # the share typed and the click in one run, as a browser sends them
    assert not app.exception
    [table] = app.dataframe  # no pair has tagged yet: the assignments are the only table
    rows = table.value.to_dict("records")
    assert len(rows) == round(len(store.original) * 0.5)  # half, not the 1% drawn before the share was sent
    chosen = [r["sentence"] for r in rows]
    assert chosen and app.success[0].value.endswith(f"assigned to ann and bob: {', '.join(map(str, chosen))}.")
    assert {(r["annotator A"], r["annotator B"]) for r in rows} == {("ann", "bob")}


def test_an_admin_hands_a_removed_annotators_untagged_sentences_to_another(team):
    """helper-82: they stayed assigned to the removed person, never adjudicated and never free to assign again."""
    store, token = team
    assign(store, 1.0, ("ann", "bob"), User("root", "admin"))
    save_annotation(store, 1, ["O", "B-org", "O"], User("bob", "annotator"))
    remove_user(store.engine, "bob", User("root", "admin"))
    add_user(store.engine, "cat", "annotator", "correct horse")
    app = page("agreement.py", token)
    assert app.warning[0].value.startswith("Removed, with sentences still to tag: bob (1).")
    assert app.selectbox(key="agreement_from").value == "bob"  # the removed first
    app.selectbox(key="agreement_to").set_value("cat")
    app.button(key="agreement_hand_over").click().run()
    assert not app.exception and app.success[0].value == "1 sentence(s) of bob handed to cat: 0."
    assert assigned_to(store, "cat") == [0] and assigned_to(store, "bob") == [1]  # what bob tagged stays his
    assert not app.warning


def test_an_annotators_confirmation_stays_and_their_list_explains_itself(team):
    store, token = team
    assign(store, 1.0, ("ann", "bob"), User("root", "admin"))
    save_annotation(store, 1, ["O", "B-org", "O"], User("ann", "annotator"))
    ann = page("agreement.py", sign_in(store.engine, "ann", "correct horse"))
    assert ann.subheader[0].value == f"Your double annotation: {len(store.original)} open sentence(s)"
    options = ann.selectbox(key="agreement_mine").options
    assert options[1].endswith("tagged by you") and options[0].endswith("to tag")
    assert any(c.value.startswith("You may save again until the other annotator has saved theirs") for c in ann.caption)
    ann.button(key="agreement_save_mine").click().run()
    assert ann.success[0].value == "Your tags of sentence 0 are saved."
    assert ann.selectbox(key="agreement_mine").value == 0  # nothing left to tag after it (1 is tagged already): it stays
    ann.run()  # another rerun (a widget's echo) does not wipe the confirmation
    assert ann.success[0].value == "Your tags of sentence 0 are saved."
    save_annotation(store, 0, ["B-per", "O", "O"], User("bob", "annotator"))
    ann.selectbox(key="agreement_mine").set_value(0).run()  # a disagreement now: an annotator sees that it exists, not bob's tags
    assert any(c.value == "1 open disagreement(s): a reviewer adjudicates them." for c in ann.caption)
    assert ann.selectbox(key="agreement_mine").options[0] == "0 · final (both tagged)"
    assert ann.button(key="agreement_save_mine").disabled  # said before an edit, not refused after it
    assert not [b for b in ann.button if b.key == "agreement_take_a"] and "bob" not in str(ann.get("data_editor"))
    set_role(store.engine, "ann", "reviewer")  # helper-82: promoted, she could settle her own disagreement with bob
    judge = page("agreement.py", sign_in(store.engine, "ann", "correct horse"))
    assert judge.button(key="agreement_take_a").disabled and judge.button(key="agreement_take_a").proto.help.startswith("ann tagged it")
    set_role(store.engine, "ann", "annotator")
    adopt = page("agreement.py", token)
    adopt.button(key="agreement_take_a").click().run()
    ann.run()
    assert ann.subheader[0].value == "Your double annotation: 1 open sentence(s)"
    assert any(c.value.startswith("1 tagged by you, 0 to tag; 1 settled by an adjudicator") for c in ann.caption)


def test_a_blind_assignment_starts_each_annotator_from_no_entity_without_the_gold(team):
    """helper-66: annotators started from the gold, which anchored them: agreement was inflated."""
    store, token = team
    admin = page("agreement.py", token)
    admin.multiselect(key="agreement_pair").set_value(["ann", "bob"]).run()
    admin.number_input(key="agreement_share").set_value(100.0)
    admin.checkbox(key="agreement_blind").check()
    admin.button(key="agreement_assign").click().run()
    assert not admin.exception and table(admin, "blind")["blind"].tolist() == [True, True]
    ann = page("agreement.py", sign_in(store.engine, "ann", "correct horse"))
    assert list(ann.data_editor[0].value["tag"]) == ["O", "O", "O"] and len(ann.data_editor) == 1  # no gold in sight
    assert any(c.value.startswith("Blind: tag every entity yourself.") for c in ann.caption)
    ann.button(key="agreement_save_mine").click().run()  # saved as drawn: no entity
    bob = User("bob", "annotator")
    save_annotation(store, 0, ["B-per", "O", "B-geo"], bob, base=list(SENTENCES[0].tags))
    [d] = disagreements(store)
    assert d.tags_a == ["O", "O", "O"] and d.tags_b == ["B-per", "O", "B-geo"] and d.start == ["B-per", "O", "B-geo"]


def test_an_edit_clicked_straight_into_save_or_take_is_kept(team):
    """Agreement's two grids: a click that comes before the edit's own rerun (the button as drawn before the edit)
    saves the edit, as Annotate's Save does."""
    from data_editor import edit_and_click

    store, token = team
    assign(store, 1.0, ("ann", "bob"), User("root", "admin"))
    ann = page("agreement.py", sign_in(store.engine, "ann", "correct horse"))
    ann.selectbox(key="agreement_mine").set_value(0).run()
    edit_and_click(ann, "tag", {2: "B-geo"}, "agreement_save_mine")
    assert not ann.exception and ann.success[0].value == "Your tags of sentence 0 are saved; next to tag: sentence 1."
    assert ann.selectbox(key="agreement_mine").value == 1  # on to the next one to tag, which the button names (helper-91:
    assert ann.button(key="agreement_save_mine").label == "Save my tags of sentence 1"  # a second click saved it unseen)
    save_annotation(store, 0, ["O", "O", "B-geo"], User("bob", "annotator"))
    admin = page("agreement.py", token)
    [d] = disagreements(store)
    edit_and_click(admin, "adjudicated", {0: "B-per"}, "agreement_take_edit")
    assert not admin.exception and "adjudicated" in admin.success[0].value
    assert store.tags(0) == ["B-per", "O", "B-geo"]  # ann's tags with the cell edited just before the click


def test_the_sidebar_is_drawn_alike_from_a_sessions_first_run_on(team):
    """The sign-in cookie, set in a session's first run only, took a sidebar place of its own in that run: every later
    sidebar element moved up one at the next run, and the browser drew them anew (the import expander, opened, closed
    at the first upload)."""
    _, token = team
    app = page("annotate.py", token)
    first = [type(node).__name__ for node in app.sidebar.children.values()]
    assert "Import a corpus file as a new dataset" in [e.label for e in app.sidebar.expander]
    del app.session_state[APP_RAN]  # AppTest runs a switched-to page without app.py after its first run: through it again
    app.run()
    assert not app.exception and [type(node).__name__ for node in app.sidebar.children.values()] == first


def test_an_annotator_on_new_text_is_told_who_adds_text_rather_than_shown_a_dead_form(team):
    from ner_core.storage.users import sign_in

    store, _ = team
    app = page("pool.py", sign_in(store.engine, "ann", "correct horse"))
    assert not app.exception and not [b for b in app.button if b.key == "pool_add"]
    assert any(i.value.startswith("ann is an annotator: only admins may import text: an admin adds it") for i in app.info)


def test_a_reviewer_rejects_with_a_note_the_author_then_reads(team):
    store, token = team
    batch = store.save(0, ["B-per", "O", "B-org"], author="ann").batch
    app = page("review_corrections.py", token)
    app.text_input(key=f"rc_note_{batch}").set_value("Paris is the city here: geo")
    app.button(key=f"rc_reject_{batch}").click().run()
    assert not app.exception and app.success[0].value == "Rejected: ann's save on sentence 0, set back."
    assert [(h["author"], h["rejected"], h["why"]) for h in store.history(0)] == [("ann", True, "Paris is the city here: geo")]


def test_an_admin_manages_users_on_the_users_page_and_others_only_see_them(team):
    """Values typed and clicked at once (no rerun between: a click straight from the box) are the ones used."""
    from ner_core.storage.users import list_users, sign_in

    store, token = team
    ann = page("users.py", sign_in(store.engine, "ann", "correct horse"))
    assert not ann.exception and ann.info[0].value.startswith("ann is an annotator: only admins may manage users")
    assert not [b for b in ann.button if b.key == "users_add"]
    admin = page("users.py", token)
    admin.text_input(key="users_add_name").set_value("rev")
    admin.selectbox(key="users_add_role").set_value("reviewer")
    admin.text_input(key="users_add_password").set_value("battery staple")
    admin.text_input(key="users_add_again").set_value("battery stapler")
    admin.button(key="users_add").click().run()
    assert admin.error[0].value == "Refused: the two passwords differ; nothing was changed"
    admin.text_input(key="users_add_again").set_value("battery staple")
    admin.button(key="users_add").click().run()
    assert admin.success[0].value.startswith("Added rev (reviewer)") and admin.text_input(key="users_add_password").value == ""
    admin.run()  # kept until the next change (a rerun by another widget does not wipe it)
    assert admin.success[0].value.startswith("Added rev (reviewer)")
    assert sign_in(store.engine, "rev", "battery staple")
    admin.selectbox(key="users_role_who").set_value("root")
    admin.selectbox(key="users_role_new").set_value("annotator")
    admin.button(key="users_set_role").click().run()  # the only admin: refused, said why
    assert admin.error[0].value == "Refused: root is the last admin and cannot be demoted here: make another user admin first"
    admin.selectbox(key="users_remove_who").set_value("bob")
    admin.checkbox(key="users_remove_sure").check().run()
    admin.button(key="users_remove").click().run()
    assert admin.success[0].value == "Removed bob (annotator)." and "bob" not in [u.name for u in list_users(store.engine)]


def test_anyone_changes_their_own_password_given_the_current_one_and_keeps_this_session(team):
    """helper-92: only an admin could change a password, so an annotator asked one to learn theirs."""
    from ner_core.storage.users import SignInError, sign_in, user_for_token

    store, _ = team
    here, elsewhere = (sign_in(store.engine, "ann", "correct horse") for _ in range(2))
    ann = page("users.py", here)
    for current, new, again, said in (("wrong horse", "battery staple", "battery staple", "Refused: your current password is wrong"),
                                      ("correct horse", "battery staple", "battery stapler", "Refused: the two passwords differ"),
                                      ("correct horse", "short", "short", "Refused: the password needs at least 8 characters")):
        ann.text_input(key="users_own_current").set_value(current)
        ann.text_input(key="users_own_password").set_value(new)
        ann.text_input(key="users_own_again").set_value(again)
        ann.button(key="users_own").click().run()
        assert ann.error[0].value.startswith(said) and ann.text_input(key="users_own_current").value == ""
    assert sign_in(store.engine, "ann", "correct horse")  # nothing changed
    ann.text_input(key="users_own_current").set_value("correct horse")
    ann.text_input(key="users_own_password").set_value("battery staple")
    ann.text_input(key="users_own_again").set_value("battery staple")
    ann.button(key="users_own").click().run()
    assert ann.success[0].value.startswith("Your password is changed") and ann.text_input(key="users_own_password").value == ""
    assert sign_in(store.engine, "ann", "battery staple") and user_for_token(store.engine, here).name == "ann"  # this tab goes on
    with pytest.raises(SignInError):
        sign_in(store.engine, "ann", "correct horse")
    with pytest.raises(SignInError):
        user_for_token(store.engine, elsewhere)  # another browser signs in anew
    assert not ann.exception and ann.info[0].value.startswith("ann is an annotator: only admins may manage users")


def test_a_page_drawn_for_an_admin_saves_nothing_once_the_admin_is_demoted(team):
    """helper-92 (Critical): an admin demoted from the command line added an admin from the Users page still open."""
    from ner_core.storage.users import list_users, set_role, sign_in

    store, _ = team
    add_user(store.engine, "carol", "admin", "correct horse")
    carol = page("users.py", sign_in(store.engine, "carol", "correct horse"))
    set_role(store.engine, "carol", "annotator")  # by the command line, while her page is open
    for key, value in (("users_add_name", "mallory"), ("users_add_password", "battery staple"), ("users_add_again", "battery staple")):
        carol.text_input(key=key).set_value(value)
    carol.selectbox(key="users_add_role").set_value("admin")
    carol.button(key="users_add").click().run()
    assert "mallory" not in [u.name for u in list_users(store.engine)]
    assert carol.warning[0].value.startswith("Your last click saved nothing: your role is annotator now, not admin as when")
    assert carol.info[0].value.startswith("carol is an annotator: only admins may manage users")  # drawn for the new role
    assert not [b for b in carol.button if b.key == "users_add"]


def test_in_one_person_mode_a_decision_is_made_in_the_name_typed_in_the_sidebar(team, monkeypatch, tmp_path):
    """helper-63: a rejection in one-person mode was recorded as anonymous's; Review corrections had no name box."""
    store, _ = team
    solo = f"sqlite:///{tmp_path / 'solo.sqlite'}"  # no users: one person's app
    monkeypatch.setenv("NER_DB_URL", solo)
    store = CorrectionStore(make_engine(solo), "default", store.path)
    store.save(0, ["B-per", "O", "B-org"], author="Zoe Q")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.switch_page("pages/review_corrections.py")
    app.run()
    batch, = [b for b in app.button if b.key.startswith("rc_reject_")]
    app.sidebar.text_input(key="author_name").set_value("Zoe Q")
    batch.click().run()  # the name typed and the click in one run, as a browser sends them
    assert not app.exception and store.tags(0) == ["B-per", "O", "B-geo"]
    assert [d["reviewer"] for d in decisions(store)] == ["Zoe Q"] and store.history(0)[0]["reverted by"] == "Zoe Q"


def test_a_sentence_added_without_entities_waits_for_review_on_the_page(team):
    from ner_core.storage.pool import Pool

    store, token = team
    Pool(store).add([("Nothing", "happened", "here", "today", ".")], "new.txt", "ann")
    item, = Pool(store).items()
    index, _ = Pool(store).accept(item.id, ["O"] * len(item.words), "ann")
    app = page("review_corrections.py", token)
    assert not app.exception
    assert any(t.value.startswith("ann · on New text · ") and t.value.endswith(f"0 token(s) in sentence(s) {index} · added from the pool")
               for t in app.text)
    app.button(key=next(b.key for b in app.button if b.key.startswith("rc_reject_"))).click().run()
    assert not app.exception and index not in store.added()


def test_a_batch_of_several_sentences_links_each_one_shown(team):
    store, token = team
    store.save_many({0: ["B-per", "O", "B-org"], 1: ["O", "B-geo", "O"]}, author="ann")  # as annotating a string alike saves
    app = page("review_corrections.py", token)
    assert [p.proto.label for p in app.get("page_link") if p.proto.label.startswith("Open sentence")] == ["Open sentence 0", "Open sentence 1"]
