"""The Registry and Retrain pages with Streamlit's AppTest on an imported dataset whose one model was
trained through the job runner: no roll-back to no model, no "keep" of models that do not exist, a warning
for a tagger that found nothing, and no job for a dataset too small to split."""
import os
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest
from test_pages_any_dataset import conll_text

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parents[2] / "app.py")


def held_out_species(n: int, seed: int) -> str:
    """``conll_text(n, seed)`` with a ``species`` entity added to two val and two test sentences of the seeded split
    and to no training one: a type no tagger has anything to learn from (named weak, the weak tagger's)."""
    from ner_core.data.corpus import split_indices

    _, val, test = split_indices(n)
    head, *sentences = conll_text(n, seed).strip().split("\n\n")
    for i in (*val[:2], *test[:2]):
        sentences[i] += "\nin\tO\nEscherichia\tB-species\ncoli\tI-species"
    return "\n\n".join([head, *sentences])


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A database and data folder with the dataset ``fresh`` imported (:func:`held_out_species`) and its first models
    trained (one GloVe epoch, in this process), and ``tiny`` (5 sentences) imported; the environment points at them.
    Yields the engine and the job's result."""
    from ner_core.storage.datasets import import_dataset
    from ner_core.storage.db import make_engine
    from ner_core.workbench.jobs import run_here
    from ner_core.workbench.retrain import TrainMethodSpec

    root = tmp_path_factory.mktemp("model_pages")
    patch = pytest.MonkeyPatch()
    url = f"sqlite:///{root / 'db.sqlite'}"
    for name, value in (("NER_DATA_DIR", str(root / "data")), ("NER_DB_URL", url), ("NER_CHECKPOINTS", str(root / "no-models"))):
        patch.setenv(name, value)
    patch.delenv("NER_MODEL", raising=False)
    engine = make_engine(url)
    for name, text in (("fresh", held_out_species(40, seed=5)), ("tiny", conll_text(5, seed=1))):
        import_dataset(engine, name, text.encode(), f"{name}.conll", root / "data" / "datasets", log=lambda _: None)
    spec = TrainMethodSpec("fresh", epochs=1, patience=1, threads=1, recipe="glove", budget_minutes=5,
                           weak_types=["species"])  # named: never in training, it is not weak by default
    yield engine, run_here("train-method", spec, "fresh", engine=engine)
    engine.dispose()
    patch.undo()


def open_page(page: str, dataset: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["dataset"] = dataset  # the sidebar's choice (ui.DATASET_KEY)
    app.switch_page(f"pages/{page}.py")
    app.run()
    assert not app.exception, f"{page}: {app.exception}"
    return app


def test_the_registry_offers_no_roll_back_from_a_datasets_first_model(fresh):
    from ner_core.models.checkpoint_dirs import CheckpointError
    from ner_core.workbench.registry import active_id, roll_back

    _, result = fresh
    entry = result["entry"]["id"]
    assert result["activated"] and active_id("fresh") == entry
    app = open_page("registry", "fresh")
    assert list(app.dataframe[0].value["id"]) == [entry]
    rollback = app.button(key="registry_rollback")
    assert rollback.disabled and "No earlier model" in rollback.proto.help
    with pytest.raises(CheckpointError, match="nothing to roll back to"):
        roll_back(dataset="fresh")
    assert active_id("fresh") == entry


def test_the_registry_says_why_the_shipped_row_has_no_test_score(fresh):
    app = open_page("registry", "default")
    shipped = app.dataframe[0].value.set_index("id").loc["shipped"]
    assert shipped["test micro F1"] == "not measured"
    assert list(app.dataframe[0].value.columns[:4]) == ["active", "id", "test micro F1", "models"]  # in view on a narrow screen
    assert any("record no test score" in c.value for c in app.caption)


def test_the_retrain_page_says_which_corrections_came_after_the_active_models_training(fresh):
    """helper-62: corrections saved after a job had read its data were counted as if the new model had them."""
    from ner_core.storage.datasets import open_dataset

    store = open_dataset("fresh")
    said = lambda app: next(c.value for c in app.caption if c.value.startswith("Dataset `fresh`. Corpus sentences corrected"))  # noqa: E731
    assert said(open_page("retrain", "fresh")).endswith("; changed since the active model's training began, so not in it: 0.")
    first = next(i for i in store.split_indices()[0] if any(t != "O" for t in store.tags(i)))  # a save changes it
    trained = store.tags(first)
    store.save(first, ["O"] * len(trained), author="ann")
    try:
        assert said(open_page("retrain", "fresh")).endswith("; changed since the active model's training began, so not in it: 1.")
    finally:
        store.save(first, trained, author="ann")  # changed back: the model has it as it is (the module's other tests too)
    assert said(open_page("retrain", "fresh")).endswith("; changed since the active model's training began, so not in it: 0.")


def test_the_retrain_page_keeps_no_models_where_none_is_active(fresh):
    from ner_core.storage.schema import Activation
    from ner_core.workbench.registry import SHIPPED, active_id

    engine, result = fresh
    entry = result["entry"]["id"]
    with Session(engine) as session, session.begin():  # rolled back to no model, as the registry once allowed
        session.execute(update(Activation).where(Activation.dataset == "fresh").values(rolled_back=True))
    assert active_id("fresh") == SHIPPED

    app = open_page("retrain", "fresh")
    assert any("has no trained model yet" in i.value for i in app.info)
    dev = result["entry"]["summary"]["dev_micro_f1"]  # the new models' own score; a warning where it is low
    [said] = [e.value for e in (app.warning if dev < 0.5 else app.caption) if "Nothing to compare with" in e.value]
    assert f"on the val split {dev:.4f}" in said and ("Low: more epochs" in said) == (dev < 0.5)
    assert any("Recipe: glove (val micro F1: glove 0." in c.value for c in app.caption)  # the choice, beside the job
    assert any(e.label.startswith("Epochs trained (") for e in app.expander)  # kept, folded, once the job has ended
    [choice_lines] = [e for e in app.expander if e.label == "Recipe choice"]  # what the CLI prints of the choice
    lines = choice_lines.text[0].value.splitlines()
    assert lines[0].startswith("strong: estimated: glove ") and lines[-1].startswith("strong: glove: dev micro F1 0.")
    choice = app.radio(key=f"retrain_choice_{entry}")
    assert choice.options == [f"Activate the new entry {entry}"] and choice.value == choice.options[0]
    app.button(key="retrain_apply").click().run()
    assert not app.exception and active_id("fresh") == entry
    assert f"The new entry {entry} is active." in app.success[0].value
    assert not any("has no trained model yet" in i.value for i in app.info)


def test_the_retrain_page_lists_the_jobs_before_the_newest(fresh):
    from datetime import timedelta

    from sqlalchemy import select

    from ner_core.storage.schema import Job

    engine, _ = fresh
    with Session(engine) as session, session.begin():
        newest = session.scalars(select(Job).where(Job.dataset == "fresh").order_by(Job.created_at.desc())).first()
        before = newest.created_at - timedelta(hours=1)
        session.add(Job(id="older-failed", dataset="fresh", kind="train-method", spec={}, state="failed", created_at=before,
                        finished_at=before + timedelta(seconds=42), error="the corpus file vanished\nTraceback ..."))
        session.add(Job(id="other-kind", dataset="fresh", kind="cross-val", spec={}, state="succeeded", created_at=before))
        newest_id = newest.id
    app = open_page("retrain", "fresh")
    folded = next(e for e in app.expander if e.label.startswith("Earlier jobs"))
    assert folded.label == "Earlier jobs on this dataset (1)"
    earlier = folded.dataframe[0].value
    assert list(earlier["job"]) == ["older-failed"]  # the newest (shown above it) and other kinds are not listed
    assert app.get("subheader") and newest_id in app.get("subheader")[0].value
    assert earlier.iloc[0]["took"] == "42 s" and earlier.iloc[0]["error"] == "the corpus file vanished"


def test_a_tagger_that_found_nothing_on_val_is_said_beside_the_new_entry(fresh):
    from pages.render import plain

    _, result = fresh
    line = ("the weak tagger found none of the val split's 2 species entities: more annotated species sentences are "
            "needed (New text mines for them)")
    assert line in result["warnings"] and result["entry"]["summary"]["dev_weak_micro_f1"] == 0
    app = open_page("retrain", "fresh")
    assert plain(line) in [w.value for w in app.warning]
    assert any("is active" in s.value for s in app.success)


def test_a_dataset_too_small_to_split_is_refused_before_a_job_starts(fresh):
    from ner_core.workbench.jobs import latest_job
    from ner_core.workbench.retrain import TrainMethodSpec, start_training

    message = ("the val split of `tiny` is empty (5 sentences: 4 train, 0 val, 1 test): training needs train and val "
               "sentences; import a larger file")
    with pytest.raises(ValueError) as refused:
        start_training(TrainMethodSpec("tiny"), "tiny")
    assert str(refused.value) == message
    app = open_page("retrain", "tiny")
    assert not app.exception and f"Cannot train yet: {message}" in [w.value for w in app.warning]  # before any click
    train = next(b for b in app.button if b.label == "Train models")
    assert train.disabled and train.proto.help == f"Cannot train yet: {message}"
    assert latest_job("tiny") is None


def test_a_rare_type_missing_from_val_is_trained_with_the_others_when_the_user_says_so(fresh):
    """The 2% rule makes ``species`` rare, and the val split holds none: refused before a click, with the way out.
    With no type chosen as rare, Train models is on and the job trains one tagger for every type."""
    from ner_core.data.corpus import split_indices
    from ner_core.storage.datasets import import_dataset
    from ner_core.workbench.jobs import run_here
    from ner_core.workbench.registry import entry_dir
    from ner_core.workbench.retrain import TrainMethodSpec

    engine, _ = fresh
    train, _, _ = split_indices(100)
    head, *sentences = conll_text(100, seed=3).strip().split("\n\n")
    for i in train[:2]:
        sentences[i] += "\nin\tO\nEscherichia\tB-species\ncoli\tI-species"
    import_dataset(engine, "bugs", "\n\n".join([head, *sentences]).encode(), "bugs.conll", Path(os.environ["NER_DATA_DIR"]) / "datasets")
    app = open_page("retrain", "bugs")
    rare = app.multiselect(key="train_weak_bugs")  # the rule's choice cannot train: none by default, and said so
    assert rare.value == [] and rare.options == ["dose", "drug", "species"]
    assert any(c.value.startswith("species: under 2% of the training entities, but the val split cannot select") for c in app.caption)
    assert not [w for w in app.warning if w.value.startswith("Cannot")]
    assert not next(b for b in app.button if b.label == "Train models").disabled
    assert any("none is weak, so the single tagger only" in m.value for m in app.markdown)
    rare.set_value(["species"]).run()
    [unfit] = [w.value for w in app.warning if w.value.startswith("Cannot train yet")]
    assert "holds no entity of the weak types (species)" in unfit and "train no type apart (Rare types, above)" in unfit
    assert next(b for b in app.button if b.label == "Train models").disabled
    rare.set_value(["dose", "drug", "species"]).run()
    assert any(w.value == "Cannot train with these rare types: every type is weak: at least one type must be strong"
               for w in app.warning)
    spec = TrainMethodSpec("bugs", epochs=1, patience=1, threads=1, recipe="glove", weak_types=[])
    result = run_here("train-method", spec, "bugs", engine=engine)
    assert (entry_dir(result["entry"]["id"]) / "bilstm_crf").is_dir() and list(result["entry"]["spec"]["weak_types"]) == []


def test_start_buttons_are_disabled_while_any_dataset_runs_a_job(fresh):
    import os
    from datetime import datetime, timezone

    from ner_core.storage.schema import Job
    from ner_core.workbench.jobs import HOST

    engine, _ = fresh
    with Session(engine) as session, session.begin():  # a job of another dataset holds the lock (this process: alive)
        session.add(Job(id="elsewhere", dataset="other", kind="cross-val", spec={}, state="running", holds_lock=True,
                        pid=os.getpid(), host=HOST, created_at=datetime.now(timezone.utc)))
    try:
        app = open_page("retrain", "fresh")
        start = next(b for b in app.button if b.label == "Train models")
        assert start.disabled and "a cross-val job is already running (job elsewhere, dataset 'other')" in start.help
        assert any(i.value.startswith("Nothing can start now: a cross-val job is already running") for i in app.info)  # in view
    finally:
        with Session(engine) as session, session.begin():
            session.execute(update(Job).where(Job.id == "elsewhere").values(state="failed", holds_lock=None))
    assert not next(b for b in open_page("retrain", "fresh").button if b.label == "Train models").disabled
    with Session(engine) as session, session.begin():  # a job of this dataset: its settings, not a form of defaults
        session.add(Job(id="here", dataset="fresh", kind="train-method", spec={}, state="running", holds_lock=True,
                        pid=os.getpid(), host=HOST, created_at=datetime.now(timezone.utc)))
    try:
        app = open_page("retrain", "fresh")
        assert not [b for b in app.button if b.label in ("Train models", "Start retraining")] and not app.exception
        assert "train-method job here: running" in app.subheader[0].value
        assert any("comes back when this one ends" in c.value for c in app.caption)
    finally:
        with Session(engine) as session, session.begin():
            session.execute(update(Job).where(Job.id == "here").values(state="failed", holds_lock=None))


def test_an_imported_datasets_models_are_retrained_warm_from_their_corrections(fresh):
    """A dataset's first models came from train-method (inside its voted pipeline): Retrain offers them warm, and
    the retrain writes a new entry of that dataset with the chosen model replaced and the others kept."""
    from ner_core.models.checkpoint import load_checkpoint
    from ner_core.storage.datasets import open_dataset
    from ner_core.workbench.jobs import run_here
    from ner_core.workbench.registry import active_id, entry_dir, load_index
    from ner_core.workbench.retrain import RetrainSpec, job_kind, retrainable

    engine, _ = fresh
    assert (retrainable("fresh"), job_kind("fresh"), retrainable("tiny")) == (["strong", "weak", "detector"], "retrain", [])
    app = open_page("retrain", "fresh")
    assert [b.label for b in app.button if b.label in ("Start retraining", "Train models")] == ["Start retraining", "Train models"]
    assert app.multiselect(key="retrain_models").value == ["strong", "weak", "detector"]

    store = open_dataset("fresh", engine)
    sentence = store.snapshot(0)
    store.save(0, ["B-species" if i == 0 else t for i, t in enumerate(sentence.tags)], author="ann",
               expected_version=sentence.version)
    base = active_id("fresh")
    result = run_here("retrain", RetrainSpec(["strong"], epochs=1, threads=1, dataset="fresh"), "fresh", engine=engine)
    entry = result["entry"]["id"]
    assert entry in [e["id"] for e in load_index("fresh")["entries"]] and active_id("fresh") == base  # listed, not active
    assert list(result["comparisons"]) == ["voted"] and result["entry"]["base"] == base
    old, new = entry_dir(base) / "voted", entry_dir(entry) / "voted"
    assert (new / "weak" / "model.safetensors").read_bytes() == (old / "weak" / "model.safetensors").read_bytes()
    assert (new / "strong" / "model.safetensors").read_bytes() != (old / "strong" / "model.safetensors").read_bytes()
    assert load_checkpoint(new / "strong")[1]["train"]["mask_types"] == ["species"]  # its own mask kept


def test_the_entry_box_follows_an_activation_and_a_roll_back(fresh):
    from ner_core.workbench.jobs import run_here
    from ner_core.workbench.registry import activate, active_id
    from ner_core.workbench.retrain import RetrainSpec

    engine, _ = fresh
    first = active_id("fresh")
    second = run_here("retrain", RetrainSpec(["detector"], epochs=1, threads=1, dataset="fresh"), "fresh", engine=engine)["entry"]["id"]
    app = open_page("registry", "fresh")
    box = app.selectbox(key="registry_choice:fresh")
    assert box.value == first
    box.select(second).run()
    app.button(key="registry_activate").click().run()
    assert active_id("fresh") == second and app.selectbox(key="registry_choice:fresh").value == second
    activate(first, dataset="fresh")  # a colleague, after this page was drawn: its roll back would undo that unseen
    app.button(key="registry_rollback").click().run()
    assert active_id("fresh") == first and app.selectbox(key="registry_choice:fresh").value == first  # helper-92/93
    assert app.error[0].value == f"Not done: nothing rolled back: {first} was activated meanwhile, after {second}; the page shows it now."
    app.button(key="registry_rollback").click().run()  # drawn again: the one before first, now
    assert active_id("fresh") == second and app.selectbox(key="registry_choice:fresh").value == second
    assert app.success[0].value.startswith(f"Rolled back to {second}")
    activate(first, dataset="fresh")


def test_an_active_entry_whose_folder_is_gone_is_said_so_not_as_no_model_trained(fresh, capsys):
    """helper-92: an admin who cleaned the disk read "No trained model under checkpoints/" and "train one"."""
    from ner_core.workbench.registry import active_id, entry_dir
    from pages.render import plain

    entry = active_id("fresh")
    folder = entry_dir(entry)
    folder.rename(folder.with_name(folder.name + ".away"))
    try:
        said = f"the active models of 'fresh', registry entry {entry}, are missing on this machine (their folder is gone)"
        assert open_page("predict", "fresh").error[0].value.startswith(plain(f"No model: {said}"))
        assert open_page("annotate", "fresh").warning[0].value.startswith(plain(f"No predictions: {said}"))
        assert open_page("registry", "fresh").warning[0].value.startswith(plain(f"The active models of 'fresh', registry entry {entry}"))
        from ner_core.cli import main

        assert main(["predict", "--dataset", "fresh", "--text", "Paris"]) == 1  # the command line too (helper-93)
        assert f"error: {said}: an admin activates another entry" in capsys.readouterr().err
    finally:
        folder.with_name(folder.name + ".away").rename(folder)


def test_old_entries_are_deleted_from_the_page_as_its_button_named_them(fresh):
    """The last test of this module: it deletes entries. A button names how many go; if that changed after the page
    was drawn (another admin's retrain or deletion), the click deletes nothing."""
    from ner_core.workbench.registry import activate, active_id, entry_dir, load_index, new_entry_dir, new_entry_id, register

    active = active_id("fresh")
    extra = [register(new_entry_id(), new_entry_dir(f"x{i}", entry_dir(active)), {"models": ["strong"], "corrections": 0},
                      dataset="fresh")["id"] for i in range(3)]
    activate(extra[0], dataset="fresh")
    activate(active, dataset="fresh")  # spared: the active entry, and extra[0] that a roll back re-activates
    before = [e["id"] for e in load_index("fresh")["entries"]]
    app = open_page("registry", "fresh")
    app.number_input(key="registry_keep").set_value(1).run()
    doomed = [e for e in before[:-1] if e not in (active, extra[0])]
    assert doomed and app.button(key="registry_prune").label == f"Delete the {len(doomed)} older entr{'y' if len(doomed) == 1 else 'ies'}"
    assert any(e.label.startswith(f"Disk: {len(before)} entries, ") and e.label.endswith(" MB") for e in app.expander)
    late = register(new_entry_id(), new_entry_dir("late", entry_dir(active)), {"models": ["strong"], "corrections": 0}, dataset="fresh")["id"]
    app.button(key="registry_prune").click().run()  # a retrain finished meanwhile: keeping 1 would now delete extra[2] too
    assert app.error[0].value == "Not done: the registry changed since this page was drawn; it shows it now."
    assert len(load_index("fresh")["entries"]) == len(before) + 1
    app.button(key="registry_prune").click().run()
    assert app.success[0].value.startswith(f"Deleted {len(doomed) + 1} entr")
    kept = [e["id"] for e in load_index("fresh")["entries"]]
    assert set(kept) == {active, extra[0], late} and all(entry_dir(e).is_dir() for e in kept)
    assert extra[1] in doomed and not any(entry_dir(e).exists() for e in [*doomed, extra[2]])
    assert active_id("fresh") == active
    from ner_core.workbench.jobs import job_status, latest_job

    offered = job_status(latest_job("fresh"))["entry"]["id"]  # the newest job's entry, which Retrain offers to activate
    said = [i.value for i in open_page("retrain", "fresh").info if i.value.startswith(f"The new entry {offered} was deleted since")]
    assert said == ([] if offered in kept else [f"The new entry {offered} was deleted since (Registry: delete old entries); the "
                                                 f"active models are {active}."])  # helper-101: Apply did nothing, unsaid
