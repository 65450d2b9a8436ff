"""The model registry in the database: entries, activation, roll-back, the legacy registry.json,
and concurrent writers in two processes losing nothing. On SQLite and PostgreSQL."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ner_core.models.checkpoint_dirs import CheckpointError
from ner_core.workbench.registry import (
    SHIPPED,
    activate,
    active_dir,
    active_id,
    available_models,
    entry_line,
    entry_rows,
    has_active_model,
    load_index,
    new_entry_dir,
    new_entry_id,
    recipe_of,
    register,
    registry_dir,
    roll_back,
    roll_back_target,
    shipped_score,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(db_url, tmp_path, monkeypatch):
    base = tmp_path / "checkpoints"
    (base / "strong").mkdir(parents=True)
    (base / "strong" / "model.safetensors").write_bytes(b"weights")
    monkeypatch.setenv("NER_CHECKPOINTS", str(base))
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NER_DB_URL", db_url)
    return base


def make_entry(base: Path, dataset: str = "default", **info) -> dict:
    entry_id = new_entry_id()
    return register(entry_id, new_entry_dir(entry_id, base), {"models": ["strong"], **info}, dataset=dataset)


def test_the_registry_command_lists_activates_and_rolls_back_as_the_page_does(workspace, capsys):
    """helper-92: the command line registered entries that only the app could activate."""
    from ner_core.cli import main

    first = make_entry(workspace, corrections=3)
    assert main(["registry", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("active\tid") and lines[1].startswith(f"*\t{SHIPPED}\t") and lines[2].startswith(f"\t{first['id']}\t")
    assert main(["registry", "activate", first["id"]]) == 0 and active_id() == first["id"]
    assert f"activated {first['id']}" in capsys.readouterr().out
    assert main(["registry", "list"]) == 0 and capsys.readouterr().out.splitlines()[2].startswith(f"*\t{first['id']}\t")
    assert main(["registry", "list", "--json"]) == 0  # helper-100: for a script
    listed = json.loads(capsys.readouterr().out)
    assert listed["active"] == first["id"] and [e["active"] for e in listed["entries"]] == [False, True]
    assert main(["registry", "roll-back"]) == 0 and active_id() == SHIPPED
    assert capsys.readouterr().out == f"rolled back from {first['id']} to {SHIPPED}\n"
    assert main(["registry", "activate", "r-nope"]) == 1 and "no registry entry 'r-nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):  # a usage error: no entry named
        main(["registry", "activate"])
    assert main(["registry", "list", "--dataset", "nope"]) == 1 and "nope" in capsys.readouterr().err


def test_register_activate_roll_back(workspace):
    assert load_index() == {"active": SHIPPED, "history": [SHIPPED], "entries": []} and active_dir() == workspace
    first, second = make_entry(workspace, corrections=3), make_entry(workspace)
    assert first["id"] != second["id"] and first["corrections"] == 3
    assert (registry_dir() / first["id"] / "strong" / "model.safetensors").read_bytes() == b"weights"
    assert not list(registry_dir().glob("*.tmp-build"))
    activate(first["id"])
    activate(second["id"])
    assert active_dir() == registry_dir() / second["id"]
    assert load_index()["history"] == [SHIPPED, first["id"], second["id"]]
    with pytest.raises(CheckpointError, match=f"nothing rolled back: {second['id']} was activated meanwhile, after {first['id']}"):
        roll_back(active=first["id"])  # a page drawn before the second activation (helper-92): it is not undone unseen
    assert active_dir() == registry_dir() / second["id"]
    assert roll_back(active=second["id"]) == first["id"] and roll_back() == SHIPPED
    with pytest.raises(CheckpointError, match="nothing to roll back to"):
        roll_back()
    with pytest.raises(CheckpointError, match="no registry entry 'r-nope'"):
        activate("r-nope")
    other = make_entry(workspace, dataset="mine")  # keyed by dataset
    with pytest.raises(CheckpointError, match="no registry entry"):
        activate(other["id"])  # not an entry of "default"
    activate(other["id"], dataset="mine")
    assert active_id("mine") == other["id"] and active_id() == SHIPPED
    assert [e["id"] for e in load_index("mine")["entries"]] == [other["id"]]


def test_an_imported_datasets_first_model_cannot_be_rolled_back_to_none(workspace):
    assert not has_active_model("mine") and has_active_model()
    first = make_entry(workspace, dataset="mine")
    activate(first["id"], dataset="mine")
    index = load_index("mine")
    assert index["history"] == [SHIPPED, first["id"]] and roll_back_target(index, "mine") is None
    with pytest.raises(CheckpointError, match=f"nothing to roll back to: no model of 'mine' from before {first['id']} exists"):
        roll_back(dataset="mine")  # the shipped set serves the default corpus only
    with pytest.raises(CheckpointError, match="the shipped models serve the default corpus only"):
        activate(SHIPPED, dataset="mine")
    assert active_id("mine") == first["id"] and has_active_model("mine")

    second = make_entry(workspace, dataset="mine")
    activate(second["id"], dataset="mine")
    assert roll_back_target(load_index("mine"), "mine") == first["id"]
    shutil.rmtree(registry_dir() / first["id"])  # its files gone: nothing to go back to either
    assert roll_back_target(load_index("mine"), "mine") is None
    with pytest.raises(CheckpointError, match="nothing to roll back to"):
        roll_back(dataset="mine")
    assert active_id("mine") == second["id"]

    on_default = make_entry(workspace)
    activate(on_default["id"])
    assert roll_back_target(load_index()) == SHIPPED and roll_back() == SHIPPED  # the default corpus has the shipped set


def test_each_family_is_served_by_the_active_entry_of_its_dataset(workspace, monkeypatch):
    monkeypatch.delenv("NER_MODEL", raising=False)
    for name in ("voted", "bilstm_crf", "bert_ff"):
        (workspace / name).mkdir()
    assert available_models() == {"Bi-LSTM-CRF": str(workspace / "voted"), "BERT-FF": str(workspace / "bert_ff")}
    assert available_models(single=True) == {"Bi-LSTM-CRF": str(workspace / "bilstm_crf"), "BERT-FF": str(workspace / "bert_ff")}
    assert available_models("mine") == {}  # the shipped models serve the default corpus only
    entry = make_entry(workspace, dataset="mine")
    activate(entry["id"], dataset="mine")
    assert available_models("mine", single=True)["Bi-LSTM-CRF"] == str(registry_dir() / entry["id"] / "bilstm_crf")
    monkeypatch.setenv("NER_MODEL", "/models/mine")
    assert available_models() == {"custom": "/models/mine"} and "custom" not in available_models("mine")


def test_entry_rows_list_the_shipped_set_first_on_the_default_corpus(workspace):
    recipe = {"chosen": "fused", "candidates": [{"recipe": "glove", "dev_micro_f1": 0.81, "minutes": 4.52},
                                                {"recipe": "fused", "dev_micro_f1": 0.8197, "minutes": 6.5}]}
    entry = make_entry(workspace, data_version="v1", corrections=2, metrics={"voted": {"old": 0.8, "new": 0.81}},
                       summary={"recipe": recipe})
    rows = entry_rows(load_index())
    assert [r["id"] for r in rows] == [SHIPPED, entry["id"]]
    assert rows[1]["recipe"] == "fused"  # the choice; how it was made is the selected entry's line, not a wide column
    assert recipe_of(load_index(), entry["id"]) == "fused (val micro F1: glove 0.8100 in 4.5 min; fused 0.8197 in 6.5 min)"
    assert recipe_of(load_index(), SHIPPED) == "" and entry_line(load_index(), SHIPPED) == ""
    assert entry_line(load_index(), entry["id"]) == (f"created {entry['created'][:16].replace('T', ' ')}; recipe: fused (val micro F1: glove "
                                                     "0.8100 in 4.5 min; fused 0.8197 in 6.5 min); data: v1")
    limited = make_entry(workspace, corrections=0, spec={"dataset": "default", "limit": 300}, summary={"recipe": recipe})
    assert "; the first 300 training sentences" in entry_line(load_index(), limited["id"])  # helper-101: a train-method's limit
    assert list(rows[1])[:3] == ["id", "test micro F1", "models"]
    assert rows[0]["test micro F1"] == "not measured"  # the shipped checkpoints record no test score
    assert rows[1]["test micro F1"] == "voted: 0.8000 → 0.8100" and rows[1]["corrected tokens"] == 2
    assert entry_rows(load_index("mine"), "mine") == []
    quick = make_entry(workspace, data_version="v1", corrections=0, spec={"warm_start": True, "epochs": 1, "limit": 300})
    assert entry_rows(load_index())[-1]["recipe"] == "warm start, 1 epoch, the first 300 training sentences"  # not a real model
    assert recipe_of(load_index(), quick["id"]) == "warm start, 1 epoch, the first 300 training sentences"
    retrained = register(new_entry_id(), new_entry_dir("x", workspace), {"models": ["strong"], "base": entry["id"],
                         "data_version": "12:2:3@abc", "corrections": 0})
    assert entry_line(load_index(), retrained["id"]).endswith(f"; trained from {entry['id']}; data: 12 tag changes saved "
                                                              "(2 undone), 3 pool decisions")
    from_shipped = register(new_entry_id(), new_entry_dir("y", workspace), {"models": ["voted"], "base": SHIPPED, "corrections": 0,
                            "metrics": {"voted": {"old": 0.8598, "new": 0.8578}}})
    assert entry_rows(load_index())[0]["test micro F1"] == "voted: 0.8598"  # as the retrain from it measured it
    assert shipped_score(load_index()) == ("voted: 0.8598", from_shipped["id"])
    register(new_entry_id(), new_entry_dir("z", workspace), {"models": ["strong"], "base": retrained["id"],  # helper-74: "warm
             "spec": {"warm_start": True, "epochs": 3}, "corrections": 0})  # start" alone hid the recipe it kept
    assert entry_rows(load_index())[-1]["recipe"] == "fused, warm start, 3 epochs"  # the recipe of the entry it started from


def test_prune_keeps_the_newest_the_active_and_the_roll_back_target_and_counts_only_unshared_files(workspace, capsys):
    """helper-92: every retrain added a folder of checkpoints and nothing took one away."""
    from ner_core.cli import main
    from ner_core.storage.users import RoleError, User
    from ner_core.workbench.registry import chosen_recipe, disk_use, prune

    recipe = {"summary": {"recipe": {"chosen": "fused", "candidates": []}}}
    made = [make_entry(workspace, corrections=0, **(recipe if i == 3 else {})) for i in range(5)]
    ids = [e["id"] for e in made]
    (registry_dir() / ids[2] / "own.bin").write_bytes(b"x" * 1000)  # only there; the rest are hard links to checkpoints/
    newest = register(new_entry_id(), new_entry_dir("n", registry_dir() / ids[3]), {"models": ["strong"], "base": ids[3],
                      "spec": {"warm_start": True, "epochs": 1}, "corrections": 0})["id"]  # warm-started from ids[3]
    activate(ids[0])
    activate(ids[1])  # active: ids[1]; a roll back re-activates ids[0]
    assert disk_use() == len(b"weights") + 1000  # a file linked into six folders counted once
    with pytest.raises(RoleError, match="only admins may delete models"):
        prune(1, User("ann", "annotator"))
    pruned = prune(1)
    assert pruned.removed == ids[2:] and pruned.freed == 1000  # the shared weights stay on disk for the kept entries
    assert [e["id"] for e in load_index()["entries"]] == [ids[0], ids[1], newest]
    assert sorted(p.name for p in registry_dir().iterdir()) == sorted([ids[0], ids[1], newest])
    assert chosen_recipe(load_index(), newest) == "fused"  # recorded before the entry it came from was deleted
    assert roll_back() == ids[0] and prune(1).removed == [ids[1]]  # spared now: ids[0] (the shipped set before it)
    assert [e["id"] for e in load_index()["entries"]] == [ids[0], newest]
    with pytest.raises(SystemExit, match="2"):
        main(["registry", "prune"])  # how many to keep is never guessed
    with pytest.raises(SystemExit, match="2"):
        main(["registry", "list", "--keep", "1"])
    capsys.readouterr()
    assert main(["registry", "prune", "--keep", "0"]) == 0
    assert capsys.readouterr().out == (f"deleted 1 entry of 'default' ({newest}), 0.0 MB freed; kept the 0 newest, the active one "
                                       "and the one a roll back re-activates\n")
    assert (registry_dir() / ids[0] / "strong" / "model.safetensors").read_bytes() == b"weights"


def test_a_legacy_registry_json_is_imported_once(workspace):
    legacy_id = "r20260101-120000"
    (registry_dir() / legacy_id / "strong").mkdir(parents=True)
    (registry_dir() / "registry.json").write_text(json.dumps({
        "active": legacy_id, "history": [SHIPPED, legacy_id],
        "entries": [{"id": legacy_id, "created": "2026-01-01T12:00:00+00:00", "base": SHIPPED, "models": ["strong"], "corrections": 2}]}))
    index = load_index()
    assert index["active"] == legacy_id and index["entries"][0]["corrections"] == 2
    assert not (registry_dir() / "registry.json").exists() and (registry_dir() / "registry.json.imported").exists()
    assert load_index() == index  # not imported twice


def test_an_unreadable_registry_json_is_set_aside(workspace):
    registry_dir().mkdir(parents=True)
    (registry_dir() / "registry.json").write_text('{"active": "r1", "entr')
    assert load_index()["active"] == SHIPPED
    assert (registry_dir() / "registry.json.unreadable").exists()


WRITER = """
import sys
from pathlib import Path
from ner_core.workbench.registry import activate, load_index, new_entry_dir, new_entry_id, register
role, n = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
for i in range(n):
    if role == "register":
        entry_id = new_entry_id()
        register(entry_id, new_entry_dir(entry_id, Path(sys.argv[3])), {"i": i})
    else:
        entries = load_index()["entries"]
        activate(entries[-1]["id"] if entries else "shipped")
print("done", flush=True)
"""


def test_concurrent_register_and_activate_in_two_processes_lose_nothing(workspace):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, role, "40", str(workspace)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for role in ("register", "activate")]
    assert [p.stdout.readline() for p in procs] == ["ready\n"] * 2
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outcomes = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outcomes]
    index = load_index()
    assert len(index["entries"]) == 40 and len({e["id"] for e in index["entries"]}) == 40
    assert sorted(e["i"] for e in index["entries"]) == list(range(40))
    assert len(index["history"]) == 41  # shipped + every activation
    assert all((registry_dir() / e["id"]).is_dir() for e in index["entries"])


KILLED = """
import os, sys
from pathlib import Path
from ner_core.workbench import registry
rename, when = os.rename, sys.argv[1]
def dies(src, dst):
    if not str(src).endswith(".tmp-build"):  # not the build's move into place
        return rename(src, dst)
    if when == "after":
        rename(src, dst)
    os._exit(9)  # as a SIGKILL would: no handler, no clean-up
os.rename = dies
entry_id = registry.new_entry_id()
registry.register(entry_id, registry.new_entry_dir(entry_id, Path(sys.argv[2])), {"models": ["strong"]})
"""


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_job_killed_while_registering_leaves_a_listed_entry_with_its_files_or_nothing(workspace, when):
    from ner_core.workbench.registry import clean_builds

    killed = subprocess.run([sys.executable, "-c", KILLED, when, str(workspace)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert killed.returncode == 9, killed.stderr
    clean_builds()  # what the next job does first, holding the job lock
    listed = {e["id"] for e in load_index()["entries"]}
    folders = {p.name for p in registry_dir().iterdir() if p.is_dir()}
    assert folders == listed and len(listed) == 1  # no folder that nobody lists, no entry without its files
    [entry] = listed
    assert (registry_dir() / entry / "strong" / "model.safetensors").read_bytes() == b"weights"
    activate(entry)
    assert has_active_model() and active_dir() == registry_dir() / entry


def test_a_recipe_choice_reads_as_one_line_per_entry():
    from ner_core.workbench.registry import recipe_line

    record = {"chosen": "fused", "candidates": [{"recipe": "glove", "dev_micro_f1": 0.81, "minutes": 4.52},
                                                {"recipe": "fused", "dev_micro_f1": 0.8197, "minutes": 6.5, "start_bias": 0.5,
                                                 "epochs": 7, "most_epochs": 9},
                                                {"recipe": "finetune", "skipped": "2 epochs need 50 min, 9 left"}]}
    assert recipe_line(record) == ("fused (val micro F1: glove 0.8100 in 4.5 min; fused 0.8197 (B- bias +0.5) in 6.5 min, "
                                   "7/9 epochs; finetune skipped (2 epochs need 50 min, 9 left))")  # of the most its time allowed
    assert recipe_line(None) == ""


def test_a_data_version_reads_in_words():
    from ner_core.workbench.registry import readable_version

    assert readable_version("37:5") == "37 tag changes saved (5 undone)"
    assert readable_version("37:5:6@1796426178.316902") == "37 tag changes saved (5 undone), 6 pool decisions"
    assert readable_version("") == ""  # the shipped row
