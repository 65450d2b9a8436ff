"""Entity types added to a dataset in the app: on both database backends, with tags as long as a type allows."""
import threading

import pytest

from ner_core.data.corpus import Sentence, write_corpus
from ner_core.data.tags import TYPE_MAX
from ner_core.storage.db import make_engine
from ner_core.storage.entity_types import GUIDELINE_MAX, add_type, guidelines, remove_type, set_guideline, tagged_with
from ner_core.storage.store import CorrectionError, CorrectionStore

SENTENCES = [
    Sentence(("Rated", "five", "stars"), ("O", "B-RATINGS_AVERAGE", "I-RATINGS_AVERAGE")),
    Sentence(("Tom", "Hanks", "bought", "an", "iPhone"), ("B-ACTOR", "I-ACTOR", "O", "O", "O")),
    Sentence(("Tom", "ran"), ("B-ACTOR", "O")),
]


@pytest.fixture
def store(db_url, tmp_path):
    path = tmp_path / "movies.conll"
    write_corpus(SENTENCES, path)
    return CorrectionStore(make_engine(db_url), "movies", path)


def test_a_tag_of_a_long_type_is_saved_on_either_database(store):
    """16 characters a tag until migration 0016: PostgreSQL refused every correction to or from B-RATINGS_AVERAGE."""
    assert store.save(2, ["B-RATINGS_AVERAGE", "O"], author="ann").changed == 1
    long_type = "x" * TYPE_MAX
    add_type(store, long_type, "ann")
    store.save(1, ["O", "O", "O", "O", f"B-{long_type}"], author="ann")
    assert store.tags(1)[4] == f"B-{long_type}" and store.tags(2)[0] == "B-RATINGS_AVERAGE"


def test_an_added_type_joins_the_tag_set_as_a_rare_type_and_is_saved_at_once(store, db_url, tmp_path):
    with pytest.raises(CorrectionError, match=r"unknown tag\(s\): B-product: no type of the dataset now \(its types: ACTOR, RATINGS_AVERAGE\)"):
        store.save(1, ["B-ACTOR", "I-ACTOR", "O", "O", "B-product"], author="ann")
    assert add_type(store, "  product ", "admin") == "product"
    other = CorrectionStore(make_engine(db_url), "movies", tmp_path / "movies.conll")  # another instance sees it at once
    assert other.tagset.types == ("ACTOR", "RATINGS_AVERAGE", "product") and "product" in other.tagset.weak
    assert other.added_types() == ["product"] and "B-product" in other.tagset.labels
    assert other.save(1, ["B-ACTOR", "I-ACTOR", "O", "O", "B-product"], author="ann").changed == 1
    assert tagged_with(store, "product") == [1]


@pytest.mark.parametrize("name, error", [
    ("Product", "the dataset has the type 'product' already"),
    ("actor", "the dataset has the type 'ACTOR' already"),
    ("", "cannot add the type: empty label"),
    ("consumer good", "a type holds only letters, digits, '_', '-' and '.': rename it, e.g. 'consumer_good'"),
    ("x" * (TYPE_MAX + 1), f"a type holds at most {TYPE_MAX} characters, this one {TYPE_MAX + 1}"),
    ("O", "'O' reads as a tag: give the type alone"),  # helper-67: B-O and I-O
    ("B-gadget", "'B-gadget' reads as a tag: give the type alone (e.g. 'gadget')"),
    ("o", "'o' reads as a tag"), ("s-gadget", "'s-gadget' reads as a tag"),  # helper-68: in any case
])
def test_a_type_is_refused_with_the_reason(store, name, error):
    add_type(store, "product", "admin")
    with pytest.raises(CorrectionError, match=error.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        add_type(store, name, "admin")
    assert store.added_types() == ["product"]


def test_an_added_type_is_removed_only_while_no_sentence_holds_it(store):
    add_type(store, "product", "admin")
    store.save(1, ["B-ACTOR", "I-ACTOR", "O", "O", "B-product"], author="ann")
    with pytest.raises(CorrectionError, match="'product' is not removed: sentence 1 is tagged with it; untag it first"):
        remove_type(store, "product")
    with pytest.raises(CorrectionError, match="'ACTOR' is a type of the dataset's file: only a type added later"):
        remove_type(store, "ACTOR")
    store.save(1, ["B-ACTOR", "I-ACTOR", "O", "O", "O"], author="ann")  # untagged (its correction row stays, overridden)
    assert tagged_with(store, "product") == []
    remove_type(store, "product")
    assert store.added_types() == [] and "product" not in store.tagset.types
    assert store.tags(1) == ["B-ACTOR", "I-ACTOR", "O", "O", "O"]  # the history holds the type; the sentence does not


def test_the_command_line_lists_adds_and_removes_types_as_the_sidebar_does(db_url, tmp_path, monkeypatch):
    from in_process import run_cli

    from ner_core.storage.datasets import import_dataset

    monkeypatch.setenv("NER_DB_URL", db_url)
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "movies.conll"
    write_corpus(SENTENCES, path)
    import_dataset(make_engine(db_url), "movies", path, "movies.conll", tmp_path / "data" / "datasets")
    done = run_cli("types", "add", "product", "--dataset", "movies", "--author", "lead")
    assert done.returncode == 0 and "added 'product', a rare type" in done.stdout
    assert "product\trare\tadded later" in done.stdout and "ACTOR\tfrequent\tof the file" in done.stdout
    refused = run_cli("types", "add", "PRODUCT", "--dataset", "movies")
    assert refused.returncode == 1 and "the dataset has the type 'product' already" in refused.stderr
    described = run_cli("types", "describe", "ACTOR", "--text", "Cast members.", "--dataset", "movies")
    assert described.returncode == 0 and "ACTOR\tfrequent\tof the file\tCast members." in described.stdout
    assert run_cli("types", "remove", "product", "--dataset", "movies").returncode == 0
    assert "product" not in run_cli("types", "list", "--dataset", "movies").stdout


def test_a_guideline_says_what_a_type_covers_and_goes_with_an_added_type(store, db_url, tmp_path):
    set_guideline(store, "ACTOR", "  People who act in the film; not its director. ", "lead")
    other = CorrectionStore(make_engine(db_url), "movies", tmp_path / "movies.conll")
    assert guidelines(other) == {"ACTOR": "People who act in the film; not its director."}
    set_guideline(other, "ACTOR", "Cast members.", "lead")  # rewritten
    add_type(store, "product", "lead")
    set_guideline(store, "product", "Goods sold by name.", "lead")
    assert guidelines(store) == {"ACTOR": "Cast members.", "product": "Goods sold by name."}
    with pytest.raises(CorrectionError, match="'DIRECTOR' is not a type of the dataset"):
        set_guideline(store, "DIRECTOR", "x", "lead")
    with pytest.raises(CorrectionError, match=f"a guideline holds at most {GUIDELINE_MAX} characters"):
        set_guideline(store, "ACTOR", "x" * (GUIDELINE_MAX + 1), "lead")
    with pytest.raises(CorrectionError, match="the guideline of ACTOR was changed meanwhile \\(lead wrote 'Cast members.'\\); "
                                              "yours, not saved: 'Actors.'"):  # helper-68: the last writer won, unseen
        set_guideline(store, "ACTOR", "Actors.", "ann", expected="People who act in the film; not its director.")
    set_guideline(store, "ACTOR", "Actors.", "ann", expected="Cast members.")
    assert guidelines(store)["ACTOR"] == "Actors."
    remove_type(store, "product")  # its guideline goes with it, and a type added again starts without one
    add_type(store, "product", "lead")
    set_guideline(store, "ACTOR", "", "lead")  # taken back
    assert guidelines(store) == {}


def test_a_type_in_a_double_annotation_is_not_removed_until_adjudicated(store):
    """helper-67: removed while an annotator's version held it, that version could no longer be adopted."""
    from ner_core.storage.users import User, add_user
    from ner_core.workbench.agreement import assign, save_annotation

    for name in ("ann", "bob"):
        add_user(store.engine, name, "annotator", "correct horse")
    add_type(store, "gadget", "lead")
    assign(store, 1.0, ("ann", "bob"), None, among=[1])
    save_annotation(store, 1, ["B-ACTOR", "I-ACTOR", "O", "O", "B-gadget"], User("ann", "annotator"))
    with pytest.raises(CorrectionError, match="'gadget' is not removed: sentence 1 is tagged with it in a double "
                                              "annotation \\(Agreement\\); adjudicate it first"):
        remove_type(store, "gadget")
    assert store.added_types() == ["gadget"]


def _beside(work) -> tuple[threading.Thread, list]:
    """``work`` started in another thread (another connection), given a second to run into this transaction's locks."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(work())
        except CorrectionError as refused:
            outcome.append(refused)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(1)
    return thread, outcome


def test_a_type_removed_while_a_save_tags_with_it_is_refused_one_way_or_the_other(store, db_url, tmp_path, monkeypatch):
    """The save checked the type before its transaction, the removal checked the sentences before the save's commit:
    both went through, and the sentence held a type the dataset no longer had (every later save refused as "unknown")."""
    import ner_core.storage.entity_types as entity_types

    add_type(store, "product", "admin")
    admin = CorrectionStore(make_engine(db_url), "movies", tmp_path / "movies.conll")  # the admin's instance
    removal: list = []
    store.save(1, ["B-ACTOR", "I-ACTOR", "O", "O", "B-product"], author="ann",  # the removal runs while the save is open
               also=lambda *_: removal.extend(_beside(lambda: remove_type(admin, "product"))))
    removal[0].join()
    assert isinstance(removal[1][0], CorrectionError) and "sentence 1 is tagged with it" in str(removal[1][0])
    assert store.added_types() == ["product"] and store.tags(1)[4] == "B-product"

    store.save(1, ["B-ACTOR", "I-ACTOR", "O", "O", "O"], author="ann")
    checked = entity_types.tagged_with
    saving: list = []

    def save_meanwhile(*args, **kwargs):  # the removal has taken the type out, and not committed yet
        if not saving:
            saving.extend(_beside(lambda: store.save(2, ["B-product", "O"], author="bob")))
        return checked(*args, **kwargs)

    monkeypatch.setattr(entity_types, "tagged_with", save_meanwhile)
    remove_type(admin, "product")
    saving[0].join()
    assert isinstance(saving[1][0], CorrectionError) and "the type product was removed from the dataset meanwhile" in str(saving[1][0])
    assert store.added_types() == [] and store.tags(2) == ["B-ACTOR", "O"]
