"""The command line's refusals: a clear error and exit code instead of a traceback, and nothing a user owns lost
(an interrupted training keeps the checkpoint it would replace; an interrupted write keeps the earlier file)."""
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ner_core.data.corpus import read_corpus
from ner_core.models.bulk import write_tagged
from ner_core.models.tagger import TaggedSentence

from in_process import run_cli

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, stdin: bytes = b"", **env: str) -> subprocess.CompletedProcess:
    """``python -m ner_core ARGS`` in a fresh interpreter, with ``stdin`` piped (no terminal)."""
    return subprocess.run([sys.executable, "-m", "ner_core", *args], input=stdin, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, cwd=ROOT)


def test_users_add_without_a_terminal_or_with_a_windows_line_end(tmp_path):
    db = {"NER_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    silent = cli("users", "add", "dave", "--role", "admin", **db)
    assert silent.returncode == 1 and b"no terminal to type the password at: pipe it with --password-stdin" in silent.stderr
    assert b"Traceback" not in silent.stderr and b"GetPassWarning" not in silent.stderr  # getpass is not asked to read a pipe
    added = cli("users", "add", "erin", "--role", "admin", "--password-stdin", stdin=b"password6\r\n", **db)
    assert added.returncode == 0, added.stderr
    from ner_core.storage.db import make_engine
    from ner_core.storage.users import sign_in

    assert sign_in(make_engine(db["NER_DB_URL"]), "erin", "password6")  # the password typed, not 'password6\r'


def test_ctrl_d_at_the_password_prompt_is_one_line_and_adds_no_one(tmp_path):
    """helper-101: end of input at "Password for erin:" ended in an EOFError traceback."""
    import fcntl
    import pty
    import termios

    db = {"NER_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    main, terminal = pty.openpty()  # getpass reads the terminal (/dev/tty): the process gets one of its own

    def own_terminal():
        os.setsid()
        fcntl.ioctl(terminal, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-m", "ner_core", "users", "add", "erin", "--role", "admin"], stdin=terminal,
                            stdout=terminal, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT), **db},
                            cwd=ROOT, preexec_fn=own_terminal)
    os.close(terminal)
    shown, started = b"", time.monotonic()
    while b"Password for erin" not in shown and time.monotonic() - started < 60:
        shown += os.read(main, 1024)
    os.write(main, b"\x04")  # Ctrl-D
    _, err = proc.communicate(timeout=60)
    os.close(main)
    assert proc.returncode == 1 and err.decode().strip() == "error: no password typed (end of input); nothing was stored"
    assert cli("users", "list", **db).stdout == b""


def test_users_warn_while_no_one_is_an_admin_and_list_one_by_name(tmp_path):
    db = {"NER_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    first = cli("users", "add", "ann", "--role", "annotator", "--password-stdin", stdin=b"password6\n", **db)
    assert first.returncode == 0 and b"no one is an admin" in first.stderr
    admin = cli("users", "add", "ada", "--role", "admin", "--password-stdin", stdin=b"password6\n", **db)
    assert admin.returncode == 0 and b"admin" not in admin.stderr
    assert cli("users", "list", "ANN", **db).stdout == b"ann\tannotator\n"
    unknown = cli("users", "list", "bob", **db)
    assert unknown.returncode == 1 and b"no user named 'bob'" in unknown.stderr
    assert cli("users", "remove", "ann", **db).returncode == 0  # helper-100: listed as removed, but not by name
    assert cli("users", "list", "ann", **db).stdout.startswith(b"ann\tremoved on ")
    assert [(u["name"], u["removed"] is None) for u in json.loads(cli("users", "list", "--json", **db).stdout)] == [
        ("ada", True), ("ann", False)]


def test_a_database_that_cannot_be_used_is_named_not_a_traceback():
    broken = cli("users", "list", NER_DB_URL="not-a-database-url")
    assert broken.returncode == 1 and b"Traceback" not in broken.stderr
    assert broken.stderr.decode().startswith("error: the database (NER_DB_URL) cannot be used")


def test_refusals_that_come_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setenv("NER_CHECKPOINTS", str(tmp_path / "ckpt"))
    (tmp_path / "ckpt" / "bilstm_crf").mkdir(parents=True)
    (tmp_path / "ckpt" / "bilstm_crf" / "config.json").write_text("{}")
    retrain = run_cli("experiments", "--retrain", "--out", str(tmp_path / "rep"))
    assert retrain.returncode == 1 and "--retrain replaces every checkpoint" in retrain.stderr and "--force" in retrain.stderr
    fold_only = run_cli("label-issues", "--init-from", "bilstm_crf", "--top", "1")
    assert fold_only.returncode == 2 and "--init-from set(s) the fold models of --cross-val K" in fold_only.stderr
    (tmp_path / "folds" / "fold1").mkdir(parents=True)
    (tmp_path / "folds" / "fold1" / "notes.txt").write_text("mine")
    data = tmp_path / "few.conll"
    data.write_text("Paris\tB-geo\n\nRome\tB-geo\n\n")
    folds = run_cli("label-issues", "--data", str(data), "--cross-val", "2", "--models-dir", str(tmp_path / "folds"))
    assert folds.returncode == 1 and "fold1 holds files that are not a checkpoint" in folds.stderr
    assert "fold" not in "".join(p.name for p in (tmp_path / "folds").iterdir() if p.name != "fold1")  # nothing trained
    folder = run_cli("evaluate", "--data", str(tmp_path))
    assert folder.returncode == 1 and "a directory, not a file" in folder.stderr
    nameless = run_cli("pool", "add", str(tmp_path / "none.txt"), "--author", " ")
    assert nameless.returncode == 2 and "--author: give the name" in nameless.stderr
    piped = cli("mine", "--data", "-", "--input", "corpus", "--model", "bilstm_crf", stdin=b"Paris\tB-geo\n")
    assert piped.returncode == 1 and b"a corpus on stdin has no file name" in piped.stderr


def test_a_bad_device_or_recipe_is_refused_before_the_corpus_is_read(tmp_path, monkeypatch):
    missing = str(tmp_path / "no-such-corpus.conll")  # read first, it would be refused as missing
    out = ("--out", str(tmp_path / "m"))
    for command in (("train", "--data", missing, *out), ("train-method", "--data", missing, *out),
                    ("label-issues", "--data", missing, "--cross-val", "2")):
        device = run_cli(*command, "--device", "cuda:7")
        assert device.returncode == 1 and "--device cuda:7" in device.stderr and "no-such-corpus" not in device.stderr
        bogus = run_cli(*command, "--device", "tpu")  # not a device at all: a usage error (helper-85)
        assert bogus.returncode == 2 and "argument --device: unknown device 'tpu'" in bogus.stderr
        recipe = run_cli(*command, "--recipe", "bert")
        assert recipe.returncode == 2 and "unknown recipe 'bert'" in recipe.stderr and "no-such-corpus" not in recipe.stderr
        if command[0] == "train-method":  # one rule for the weak types: a share beside named ones was ignored (helper-93)
            both = run_cli(*command, "--weak-types", "eve", "--weak-share", "0.1")
            assert both.returncode == 2 and "--weak-share: not allowed with argument --weak-types" in both.stderr
        encoder = run_cli(*command, "--recipe", "glove", "--encoder", "minilm")  # it would be dropped, and recorded as used
        assert encoder.returncode == 2 and "--recipe glove uses none" in encoder.stderr and "no-such-corpus" not in encoder.stderr
    shipped = run_cli("train", "--recipe", "bert")  # helper-81: "checkpoints/bilstm_crf already holds a checkpoint" came first
    assert shipped.returncode == 2 and "unknown recipe 'bert'" in shipped.stderr and "already holds" not in shipped.stderr
    monkeypatch.setenv("NER_CHECKPOINTS", str(tmp_path / "none"))
    warm = run_cli("label-issues", "--data", missing, "--cross-val", "2", "--recipe", "warm")
    assert warm.returncode == 1 and "--recipe warm starts every fold model from the tagger --model or --checkpoint names" in warm.stderr
    monkeypatch.setenv("NER_DEVICE", "tpu")  # the environment's device, for a command that runs models
    assert "unknown device 'tpu'" in run_cli("evaluate", "--data", missing).stderr
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    users = run_cli("users", "list")  # runs no model: not refused for it
    assert users.returncode == 0 and "device" not in users.stderr


def test_a_bad_environment_device_is_named_as_such_and_refused_before_a_job_starts(tmp_path, monkeypatch):
    from ner_core.storage.db import make_engine
    from ner_core.workbench.jobs import latest_job

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("NER_DB_URL", url)
    monkeypatch.setenv("NER_DEVICE", "cuda:99")  # no machine has it; no command here has --device given
    for command in (("retrain",), ("pool", "rank"), ("evaluate", "--data", str(tmp_path / "none.conll"))):
        refused = run_cli(*command)
        assert refused.returncode == 1 and refused.stderr.startswith("error: NER_DEVICE=cuda:99: "), refused.stderr
        assert "--device" not in refused.stderr and "Traceback" not in refused.stderr
    assert latest_job(engine=make_engine(url)) is None  # no job was started, so none failed


def test_a_dataset_without_a_model_is_told_what_really_trains_one(tmp_path, monkeypatch):
    from ner_core.storage.datasets import import_dataset
    from ner_core.storage.db import make_engine

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("NER_DB_URL", url)
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path))
    import_dataset(make_engine(url), "mine", b"Paris\tB-geo\n\nRome\tB-geo\n\n", "mine.conll", tmp_path / "datasets")
    refused = run_cli("pool", "rank", "--dataset", "mine")
    assert refused.returncode == 1 and "has no model yet" in refused.stderr and "Retrain page" in refused.stderr
    assert "`train-method --dataset mine`" in refused.stderr  # which registers for the dataset (stop 53; before, nothing)


def test_flags_are_checked_and_named_before_any_file_is_read(tmp_path):
    missing = str(tmp_path / "no-such-corpus.conll")
    train = ("train", "--data", missing, "--dev", missing, "--out", str(tmp_path / "m"))
    encoder = run_cli(*train, "--encoder", str(tmp_path))
    assert encoder.returncode == 1 and "not a transformer" in encoder.stderr and "no-such-corpus" not in encoder.stderr
    fused = run_cli(*train, "--init-from", "x", "--recipe", "fused")
    assert fused.returncode == 2 and "leave out --init-from (python -m ner_core train --help" in fused.stderr  # not --no-word-features
    out = tmp_path / "out" / "x.xyz"
    (tmp_path / "out").mkdir()
    unknown = run_cli("predict", "--data", missing, "--out", str(out))
    assert unknown.returncode == 1 and f"--out {out}: unknown format" in unknown.stderr and "zip" not in unknown.stderr
    for budget in ("inf", "nan", "0"):  # not a time: refused before the files, not after the recipes were timed
        for command in (train, ("label-issues", "--data", missing, "--cross-val", "2")):
            refused = run_cli(*command, "--budget", budget)
            assert refused.returncode == 2 and f"--budget: must be in (0, inf), got {budget}" in refused.stderr, refused.stderr
            assert len(refused.stderr.splitlines()) == 1  # helper-78: one line, not 25 of usage above it
    json_lines = run_cli("predict", "--data", missing, "--json")
    assert json_lines.returncode == 2 and "--json prints the tags of --text" in json_lines.stderr
    ours = tmp_path / "ours"  # helper-85: a checkpoint of this workbench as the encoder: told to pip install transformers
    ours.mkdir()
    (ours / "config.json").write_text(json.dumps({"format_version": 1, "model_type": "crf_tagger", "meta": {}}))
    encoder = run_cli(*train, "--encoder", str(ours))
    assert encoder.returncode == 1 and "not a transformer but a model of this workbench (to start from it: --init-from)" in encoder.stderr
    pipeline = tmp_path / "pipeline"  # helper-85: "unreadable checkpoint ([Errno 2] ... config.json)"
    (pipeline / "strong").mkdir(parents=True)
    (pipeline / "pipeline.json").write_text(json.dumps({"type": "voted", "strong": "strong", "weak": "weak", "detector": None}))
    started = run_cli("train", "--limit", "30", "--out", str(tmp_path / "m"), "--init-from", str(pipeline))
    assert started.returncode == 1 and started.stderr.strip().endswith(
        f"{pipeline} is a voted pipeline, not one model: give one of its taggers ({pipeline / 'strong'} or weak)"), started.stderr
    piped = run_cli("evaluate", "--data", "-")  # helper-85: "-: no such file"
    assert piped.returncode == 1 and "-: standard input is not read here: give a file" in piped.stderr
    scored = run_cli("evaluate", "--checkpoint", str(tmp_path / "out"), "--data", missing)  # a folder, but no model: said first
    assert scored.returncode == 1 and "not a checkpoint (no config.json)" in scored.stderr and "no-such-corpus" not in scored.stderr
    typo = run_cli("predict", "--bogus")  # helper-78: "one of the arguments --text --data is required"
    assert (typo.returncode, typo.stderr) == (2, "error: unrecognized arguments: --bogus (python -m ner_core predict --help: the usage)\n")
    bogus = run_cli(*train, "--bogus", "1")  # refused with where train's usage is, not the list of commands
    assert (bogus.returncode, bogus.stderr) == (2, "error: unrecognized arguments: --bogus 1 (python -m ner_core train --help: the usage)\n")


def test_label_issues_warm_starts_from_the_model_when_no_init_from_is_given(tmp_path):
    data = tmp_path / "few.conll"
    data.write_text("Paris\tB-geo\n\nRome\tB-geo\n\nBerlin\tB-geo\n\n")
    warm = run_cli("label-issues", "--data", str(data), "--cross-val", "2", "--recipe", "warm", "--checkpoint", str(tmp_path / "nope"))
    assert warm.returncode == 1 and f"there is none at {tmp_path / 'nope'}: give --init-from" in warm.stderr, warm.stderr  # before training


def test_a_job_or_a_database_folder_that_does_not_exist_is_named(tmp_path):
    db = {"NER_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "NER_DATA_DIR": str(tmp_path)}
    job = cli("job", "nosuchid", **db)  # a fresh interpreter: a job process installs its own signal handlers
    assert job.returncode == 1 and job.stderr == b"error: no job 'nosuchid' in this database\n"
    folder = cli("users", "list", NER_DB_URL="sqlite:////nonexistent/dir/db.sqlite")
    assert folder.returncode == 1 and folder.stderr == (b"error: NER_DB_URL=sqlite:////nonexistent/dir/db.sqlite: the database's "
                                                       b"folder /nonexistent/dir does not exist; create it, or name a file in a folder that exists\n")

def test_an_interrupted_write_keeps_the_earlier_file(tmp_path):
    out = tmp_path / "tagged.jsonl"
    out.write_text("the earlier result\n")

    def tagged():
        yield TaggedSentence(("Paris",), ("B-geo",), (0.9,))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_tagged(tagged(), out)
    assert out.read_text() == "the earlier result\n" and sorted(p.name for p in tmp_path.iterdir()) == ["tagged.jsonl"]


@pytest.mark.slow
def test_an_interrupted_training_keeps_the_checkpoint_it_would_replace(tiny_model, split, tmp_path):
    from ner_core.models.checkpoint import save_checkpoint
    from ner_core.training.train import TrainConfig, train

    old = save_checkpoint(tiny_model[0].model, tmp_path / "mine")
    before = (old / "model.safetensors").read_bytes()
    assert stat.S_IMODE(old.stat().st_mode) == 0o777 & ~_umask()  # readable by others, as a plain mkdir makes it

    epochs = []

    def stop(report) -> None:  # Ctrl-C in the second epoch: the first one's best is saved by then
        epochs.append(report)
        if len(epochs) == 2:
            raise KeyboardInterrupt

    config = TrainConfig(epochs=3, patience=3, batch_size=16, threads=1)
    with pytest.raises(KeyboardInterrupt):
        train(split.train[:40], split.val[:20], config, out_dir=old, model=tiny_model[0].model, on_epoch=stop, progress=False)
    assert (old / "model.safetensors").read_bytes() == before  # the best epoch so far went beside it
    assert (tmp_path / "mine.partial" / "config.json").is_file()
    train(split.train[:40], split.val[:20], config, out_dir=old, model=tiny_model[0].model, progress=False)
    assert (old / "model.safetensors").read_bytes() != before and not (tmp_path / "mine.partial").exists()


@pytest.mark.parametrize("command", ["train", "label-issues"])
def test_a_plain_kill_of_a_training_cleans_up_as_ctrl_c_does(command, split, tmp_path):
    """SIGTERM (``kill PID``) in the middle of ``train`` (or of ``label-issues --cross-val``'s fold models): the partial
    models and the recipes' scratch folder beside ``--out`` are removed, and the exit says so (143), as Ctrl-C's does
    (130), on the last line (no progress bar after it)."""
    import signal
    import time

    from ner_core.data.corpus import write_corpus

    write_corpus(split.train[:300], tmp_path / "train.conll")
    write_corpus(split.val[:50], tmp_path / "dev.conll")
    models = tmp_path / "models"
    args = {"train": ["--dev", str(tmp_path / "dev.conll"), "--epochs", "200", "--patience", "200", "--out", str(models / "m")],
            "label-issues": ["--cross-val", "2", "--recipe", "glove", "--cv-epochs", "200", "--models-dir", str(models)]}[command]
    run = subprocess.Popen([sys.executable, "-m", "ner_core", command, "--data", str(tmp_path / "train.conll"), "--threads", "1",
                            *args], stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    said = []
    for line in run.stderr:  # killed once it trains (its scratch folders exist by then)
        said.append(line)
        if "epoch" in line.lower():
            break
    time.sleep(1)
    run.send_signal(signal.SIGTERM)
    rest = run.stderr.read()
    assert run.wait(timeout=120) == 143, "".join(said) + rest
    assert rest.strip().endswith("terminated"), rest
    assert not models.exists() or not list(models.iterdir())  # no partial model, no scratch folder


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask



def test_text_of_only_zero_width_characters_is_empty_to_predict_and_to_the_pool(tmp_path, monkeypatch):
    predict = run_cli("predict", "--text", "\u200b\u200d")
    assert predict.returncode == 1 and "error: the text is empty" in predict.stderr
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    (tmp_path / "corpus.conll").write_text("Paris\tB-geo\n\nRome\tB-geo\n")
    monkeypatch.setenv("NER_CORPUS", str(tmp_path / "corpus.conll"))
    (tmp_path / "zw.txt").write_text("\u200b\n\u200b \u200c \u200d\n\ufeff\n")
    text = run_cli("pool", "add", str(tmp_path / "zw.txt"))
    assert text.returncode == 1 and "zw.txt: no text: the file holds no sentence" in text.stderr, text.stderr
    (tmp_path / "zw.conll").write_text("\u200b\u200c\tO\n\n\u200b\tB-geo\n")
    tokens = run_cli("pool", "add", str(tmp_path / "zw.conll"))
    assert tokens.returncode == 1 and "zw.conll: no sentences" in tokens.stderr, tokens.stderr


def test_predict_text_without_full_stops_is_tagged_in_pieces_and_says_so(tiny_model):
    done = run_cli("predict", "--model", str(tiny_model[1]), "--json", "--text", " ".join(["Paris and Rome"] * 100))
    assert done.returncode == 0 and "note: sentences of over 250 tokens were cut into pieces" in done.stderr
    assert [len(sentence) for sentence in json.loads(done.stdout)] == [150, 150]


def test_predict_and_mine_tokenise_text_as_the_model_training_sentences_were(tiny_model, tmp_path):
    """helper-75: the Predict page and the pool kept "long-term" whole, as the corpus writes it; predict split it."""
    from ner_core.data.tokenize import TokenStyle
    from ner_core.models.tagger import Tagger

    assert Tagger.from_checkpoint(tiny_model[1]).token_style == TokenStyle(hyphens=True)  # recorded by train
    text = "The long-term plan of the pro-government party."
    for model in ("voted", str(tiny_model[1])):  # the shipped pipeline (its config says so) and a model trained here
        done = run_cli("predict", "--model", model, "--json", "--text", text)
        assert done.returncode == 0 and [t["token"] for t in json.loads(done.stdout)[0]][:3] == ["The", "long-term", "plan"]
    (tmp_path / "new.txt").write_text(text + "\n")
    mined = run_cli("mine", "--model", "voted", "--data", str(tmp_path / "new.txt"))
    assert mined.returncode == 0 and "words kept whole as the corpus writes them (long-term): 2" in mined.stderr


def test_a_sentence_detector_given_as_the_model_is_refused_in_one_line():
    done = run_cli("predict", "--model", "detector", "--text", "Hurricane Katrina hit New Orleans.")
    assert done.returncode == 1 and "a sentence detector (whether a sentence holds a rare type), not a tagger" in done.stderr
    assert "Traceback" not in done.stderr


def test_train_refuses_a_file_too_small_to_split_as_train_method_does(tmp_path):
    (tmp_path / "tiny.conll").write_text("EU\tB-org\nrejects\tO\n\nPeter\tB-per\n\nA\tO\n\nB\tO\n")
    done = run_cli("train", "--data", str(tmp_path / "tiny.conll"), "--out", str(tmp_path / "ck"), "--recipe", "glove")
    assert done.returncode == 1 and "the val split of" in done.stderr and "(4 sentences: 3 train, 0 val, 1 test)" in done.stderr
    assert not (tmp_path / "ck").exists()


@pytest.mark.parametrize("command", ["predict", "mine", "evaluate", "label-issues"])
def test_a_missing_model_is_refused_before_the_input_is_read_naming_what_is_there(command, tmp_path):
    (tmp_path / "ckpt" / "mine").mkdir(parents=True)
    done = cli(command, "--model", "nope", "--data", str(tmp_path / "absent.txt"), NER_CHECKPOINTS=str(tmp_path / "ckpt"))
    assert done.returncode == 1
    assert f"error: no model 'nope' under {tmp_path / 'ckpt'} ($NER_CHECKPOINTS): give --model one of mine, or --checkpoint DIR" \
        in done.stderr.decode()  # not about absent.txt: the model is checked first


def test_output_cut_short_by_its_reader_ends_quietly(tmp_path):
    """``predict ... | head -1``: once the reader has gone, no "Broken pipe" error and no failure."""
    text = tmp_path / "many.txt"
    text.write_text("Rain fell in Spain .\n" * 5000)
    proc = subprocess.Popen([sys.executable, "-m", "ner_core", "predict", "--data", str(text), "--input", "tokens"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.stdout.readline().startswith(b'{"sentence": 0, "tokens": ["Rain"')
    proc.stdout.close()  # the reader stops, as head does
    assert proc.wait(timeout=300) == 0
    assert b"Broken pipe" not in proc.stderr.read()


def test_datasets_import_keeps_a_corpus_own_dev_and_test_files_and_refuses_one_of_them(tmp_path, monkeypatch):
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    for part, n in (("train", 8), ("dev", 2), ("test", 3)):
        (tmp_path / f"{part}.conll").write_text("".join(f"W{part}{i}\tB-x\nok\tO\n\n" for i in range(n)))
    half = run_cli("datasets", "import", str(tmp_path / "train.conll"), "--dev", str(tmp_path / "dev.conll"))
    assert half.returncode == 2 and "give both --dev and --test" in half.stderr  # a usage error (helper-93)
    done = run_cli("datasets", "import", str(tmp_path / "train.conll"), "--dev", str(tmp_path / "dev.conll"),
                   "--test", str(tmp_path / "test.conll"), "--name", "given")
    assert done.returncode == 0 and "(8 train, 2 val, 3 test, the files' own split)" in done.stdout, done.stderr
    assert "note:" not in done.stderr
    again = run_cli("datasets", "import", str(tmp_path / "train.conll"), "--dev", str(tmp_path / "dev.conll"),
                    "--test", str(tmp_path / "test.conll"), "--name", "again")  # helper-97: a second copy, unsaid
    assert again.returncode == 0 and ("note: the same sentences, in the same order, as dataset 'given': a second copy "
                                      "(archive one if the file was imported twice by mistake)") in again.stderr
    with monkeypatch.context() as patch:  # helper-99: the project's own corpus, imported again
        patch.setenv("NER_CORPUS", str(tmp_path / "train.conll"))
        twice = run_cli("datasets", "import", str(tmp_path / "train.conll"), "--name", "twice")
    assert twice.returncode == 0 and "as dataset 'default': a second copy" in twice.stderr
    (tmp_path / "test_geo.conll").write_text("Paris\tB-geo\nok\tO\n\n")  # helper-85: a type no model of it learns, unsaid
    geo = run_cli("datasets", "import", str(tmp_path / "train.conll"), "--dev", str(tmp_path / "dev.conll"),
                  "--test", str(tmp_path / "test_geo.conll"), "--name", "geo")
    assert geo.returncode == 0 and "note: geo is in the dev or test file, never in the training file" in geo.stderr
    listed = run_cli("datasets", "list").stdout.splitlines()
    assert listed[0].endswith("\tsplit 80/10/10, each type of 3 sentences or more in val and test")  # helper-75: which rule, said
    assert next(line for line in listed if line.startswith("given\t")).endswith("\tits files' split: 8/2/3")
    assert "(not on this machine)" not in listed[0]
    monkeypatch.setenv("NER_CORPUS", str(tmp_path / "nowhere.csv"))  # helper-78: listed as if it were there
    assert run_cli("datasets", "list").stdout.splitlines()[0] == f"default\t{tmp_path / 'nowhere.csv'} (not on this machine)\t" \
        "split 80/10/10, each type of 3 sentences or more in val and test"


def test_datasets_export_writes_a_dataset_as_it_is_now_in_any_export_format(tmp_path, monkeypatch):
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "mine.conll").write_text("".join(f"Wmine{i}\tB-x\nok\tO\n\n" for i in range(10)))
    assert run_cli("datasets", "import", str(tmp_path / "mine.conll"), "--name", "mine").returncode == 0
    from ner_core.storage.datasets import open_dataset

    open_dataset("mine").save(3, ["B-x", "B-x"], author="ann")
    done = run_cli("datasets", "export", str(tmp_path / "out.jsonl"), "--dataset", "mine", "--format", "prodigy")
    assert done.returncode == 0 and "wrote 10 sentences of dataset 'mine' as it is now" in done.stdout, done.stderr
    assert read_corpus(tmp_path / "out.jsonl")[3].tags == ("B-x", "B-x")  # the correction is in it
    bioes = run_cli("datasets", "export", str(tmp_path / "out.conll"), "--dataset", "mine", "--scheme", "BIOES")
    assert bioes.returncode == 0 and (tmp_path / "out.conll").read_text().startswith("Wmine0\tS-x\n")
    refused = run_cli("datasets", "export", str(tmp_path / "spans.json"), "--dataset", "mine", "--format", "label-studio",
                      "--scheme", "BIOES")
    assert refused.returncode == 1 and "holds entity spans, not tags" in refused.stderr and not (tmp_path / "spans.json").exists()
    docx = run_cli("datasets", "export", str(tmp_path / "x.docx"), "--dataset", "mine")  # named as given (helper-90)
    assert docx.returncode == 1 and f"error: {tmp_path / 'x.docx'}: unknown corpus format" in docx.stderr
    archived = run_cli("datasets", "archive", "--dataset", "mine", "--author", "lead")
    assert archived.returncode == 0 and "dataset 'mine' archived: hidden from the app's sidebar" in archived.stdout
    assert run_cli("datasets", "list").stdout.splitlines()[-1].startswith("mine\t(archived)\tarchived by lead on ")  # 3 columns
    listed = json.loads(run_cli("datasets", "list", "--json").stdout)  # helper-100: for a script
    assert listed[0]["name"] == "default" and listed[-1]["name"] == "mine" and listed[-1]["archived"]["by"] == "lead"
    assert run_cli("datasets", "export", str(tmp_path / "j.csv"), "--json").returncode == 2
    gone = run_cli("datasets", "export", str(tmp_path / "out.csv"), "--dataset", "mine")
    assert gone.returncode == 1 and "restore it first (`python -m ner_core datasets restore --dataset 'mine'`)" in gone.stderr
    assert run_cli("datasets", "restore", "--dataset", "mine").returncode == 0
    assert run_cli("datasets", "export", str(tmp_path / "out.csv"), "--dataset", "mine").returncode == 0
    # helper-85: an export replaced any file unasked, a user's corpus too, and a missing folder gave an OS error
    again = run_cli("datasets", "export", str(tmp_path / "out.csv"), "--dataset", "mine")
    assert again.returncode == 1 and f"{tmp_path / 'out.csv'} exists: give --force to replace it" in again.stderr
    assert run_cli("datasets", "export", str(tmp_path / "out.csv"), "--dataset", "mine", "--force").returncode == 0
    own = Path(open_dataset("mine").path)  # the copy the import keeps
    before = own.read_bytes()
    source = run_cli("datasets", "export", str(own.with_suffix(".csv")), "--dataset", "mine", "--force", "--format", own.suffix[1:])
    assert source.returncode == 0  # another name beside it: written
    source = run_cli("datasets", "export", str(own), "--dataset", "mine", "--force")
    assert source.returncode == 1 and "is the corpus file of dataset 'mine'" in source.stderr and own.read_bytes() == before
    nowhere = run_cli("datasets", "export", str(tmp_path / "no" / "out.csv"), "--dataset", "mine")
    assert nowhere.returncode == 1 and f"no directory {tmp_path / 'no'}; create it first" in nowhere.stderr
