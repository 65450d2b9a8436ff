"""Users, sign-in and roles, on SQLite and PostgreSQL: refusals are clear and change nothing."""
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from ner_core.cli import main
from ner_core.storage.db import make_engine
from ner_core.storage.schema import AUTHOR_MAX, USER_NAME_MAX
from ner_core.storage.users import (
    RoleError,
    SignInError,
    User,
    UserError,
    add_user,
    allowed,
    change_own_password,
    find_user,
    has_users,
    list_users,
    refusal,
    remove_user,
    removed_users,
    require,
    sign_in,
    sign_out,
    user_for_token,
)

SQL = "'; DROP TABLE users; --"
HTML = "<img src=x onerror=alert(1)>"


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def table_dump(engine) -> list:
    with engine.connect() as connection:
        return [tuple(r) for t in ("users", "user_sessions") for r in connection.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]


def test_add_sign_in_and_sign_out(engine):
    assert not has_users(engine)
    add_user(engine, "ann", "annotator", "correct horse")
    add_user(engine, "Zoë.r-2", "reviewer", "battery staple")
    assert has_users(engine)
    assert list_users(engine) == [User("Zoë.r-2", "reviewer"), User("ann", "annotator")]
    token = sign_in(engine, "ann", "correct horse")
    assert user_for_token(engine, token) == User("ann", "annotator")
    sign_out(engine, token)
    with pytest.raises(SignInError, match=r"your session has ended \(signed out in another tab, your password reset, or removed by an admin\): sign in again"):
        user_for_token(engine, token)


def test_wrong_password_and_unknown_name_get_one_message_and_change_nothing(engine):
    add_user(engine, "ann", "annotator", "correct horse")
    before = table_dump(engine)
    for name, password in (("ann", "correct hors"), ("ann", ""), ("bob", "correct horse"), (SQL, SQL), (HTML, "x" * 9)):
        with pytest.raises(SignInError, match="^wrong user name or password$"):
            sign_in(engine, name, password)
    assert table_dump(engine) == before


def test_an_own_password_change_needs_the_current_one_and_ends_only_the_other_sessions(engine):
    add_user(engine, "ann", "annotator", "correct horse")
    add_user(engine, "bob", "annotator", "correct horse")
    here, other, bobs = sign_in(engine, "ann", "correct horse"), sign_in(engine, "ann", "correct horse"), sign_in(engine, "bob", "correct horse")
    before = table_dump(engine)
    with pytest.raises(SignInError, match="^your current password is wrong; nothing was changed$"):
        change_own_password(engine, here, "correct hors", "battery staple")
    with pytest.raises(SignInError, match="your session has ended"):
        change_own_password(engine, "no-such-token", "correct horse", "battery staple")
    with pytest.raises(UserError, match="at least 8 characters"):
        change_own_password(engine, here, "correct horse", "short")
    assert table_dump(engine) == before
    assert change_own_password(engine, here, "correct horse", "battery staple") == User("ann", "annotator")
    assert user_for_token(engine, here).name == "ann" and user_for_token(engine, bobs).name == "bob"
    with pytest.raises(SignInError):
        user_for_token(engine, other)
    assert sign_in(engine, "ann", "battery staple") and sign_in(engine, "bob", "correct horse")


def test_an_expired_session_is_refused_with_its_time(engine):
    add_user(engine, "ann", "annotator", "correct horse")
    token = sign_in(engine, "ann", "correct horse", lifetime=timedelta(minutes=5))
    assert user_for_token(engine, token, now=datetime.now(timezone.utc) + timedelta(minutes=4)).name == "ann"
    with pytest.raises(SignInError, match=r"your session expired at \d{4}-\d\d-\d\d \d\d:\d\d UTC: sign in again"):
        user_for_token(engine, token, now=datetime.now(timezone.utc) + timedelta(minutes=6))
    expired = sign_in(engine, "ann", "correct horse", lifetime=timedelta(seconds=-1))
    with pytest.raises(SignInError, match="expired"):
        user_for_token(engine, expired)


def test_invalid_names_are_refused_and_nothing_is_written(engine):
    add_user(engine, "root", "admin", "correct horse")
    before = table_dump(engine)
    for name in (SQL, HTML, "", " ann", "ann ", "_ann", "ann\n", "ann\x00", "ann;", "o'brien"):
        with pytest.raises(UserError, match=r"invalid user name .*: 1-40 letters, digits, '_', '.' or '-'"):
            add_user(engine, name, "annotator", "correct horse")
    with pytest.raises(UserError, match="unknown role 'owner': choose annotator, reviewer, admin"):
        add_user(engine, "ann", "owner", "correct horse")
    with pytest.raises(UserError, match="at least 8 characters"):
        add_user(engine, "ann", "annotator", "short")
    with pytest.raises(UserError, match="a user named 'ROOT' exists already"):
        add_user(engine, "ROOT", "annotator", "correct horse")
    assert table_dump(engine) == before
    assert [u.name for u in list_users(engine)] == ["root"]


def test_a_name_with_a_combining_accent_is_the_same_name_composed(engine):
    """helper-92: "José" pasted as "Jose" + U+0301 was refused as invalid, by a message that showed a valid name."""
    decomposed, composed = "Jose\u0301", "Jos\u00e9"
    assert add_user(engine, decomposed, "annotator", "correct horse").name == composed
    assert [u.name for u in list_users(engine)] == [composed]
    for typed in (composed, decomposed):
        assert user_for_token(engine, sign_in(engine, typed, "correct horse")).name == composed
    with pytest.raises(UserError, match="a user named 'Jos.' exists already"):
        add_user(engine, composed, "annotator", "correct horse")


def test_name_lengths_are_checked_before_the_database_sees_them(engine):
    """PostgreSQL would refuse a name longer than its column with an uncaught DataError."""
    add_user(engine, "a" * USER_NAME_MAX, "admin", "correct horse")
    add_user(engine, "ë" * USER_NAME_MAX, "annotator", "correct horse")  # characters, not bytes
    before = table_dump(engine)
    for length in (USER_NAME_MAX + 1, AUTHOR_MAX + 1, 10_000):
        with pytest.raises(UserError, match=f"^a user name may hold at most {USER_NAME_MAX} characters, got {length}$"):
            add_user(engine, "b" * length, "annotator", "correct horse")
        with pytest.raises(SignInError, match="^wrong user name or password$"):
            sign_in(engine, "b" * length, "correct horse")
    assert table_dump(engine) == before


def test_metacharacters_in_passwords_and_tokens_are_plain_data(engine):
    password = SQL + HTML
    add_user(engine, "ann", "annotator", password)
    token = sign_in(engine, "ann", password)  # the exact string round-trips through the hash
    before = table_dump(engine)
    for bad in (SQL, HTML, token + "'", token[:-1], "", "' OR '1'='1"):
        with pytest.raises(SignInError, match="your session has ended"):
            user_for_token(engine, bad)
        sign_out(engine, bad)  # an unknown token signs nobody out
    assert table_dump(engine) == before
    assert user_for_token(engine, token).name == "ann"


def test_the_password_is_stored_only_as_an_argon2_hash(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(url)
    add_user(engine, "ann", "admin", "S3cret-pass phrase")
    token = sign_in(engine, "ann", "S3cret-pass phrase")
    with engine.connect() as connection:
        stored = connection.scalar(text("SELECT password_hash FROM users"))
        sessions = connection.execute(text("SELECT token_sha256 FROM user_sessions")).scalars().all()
    engine.dispose()
    assert stored.startswith("$argon2id$")
    assert token not in sessions and len(sessions[0]) == 64  # only the token's SHA-256 is kept
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("db.sqlite"))
    assert b"S3cret-pass phrase" not in raw and token.encode() not in raw
    assert stored.encode() in raw  # the file was read with its content (WAL included)


def test_roles_allow_their_actions_and_those_below():
    ann, rev, root = User("ann", "annotator"), User("rita", "reviewer"), User("root", "admin")
    assert allowed(ann, "correct") and not allowed(ann, "review") and not allowed(ann, "retrain")
    assert allowed(rev, "correct") and allowed(rev, "review") and not allowed(rev, "activate")
    assert all(allowed(root, a) for a in ("correct", "review", "retrain", "activate", "roll back", "import", "archive datasets"))
    assert allowed(None, "retrain")  # no users defined, or the command line
    assert refusal(ann, "retrain") == "ann is an annotator: only admins may retrain"
    assert refusal(ann, "review") == "ann is an annotator: only reviewers and admins may review"
    with pytest.raises(RoleError, match="rita is a reviewer: only admins may activate"):
        require(rev, "activate")
    with pytest.raises(ValueError, match="unknown action 'fly'"):
        require(root, "fly")


def test_only_an_admin_adds_users(engine):
    add_user(engine, "root", "admin", "correct horse")
    before = table_dump(engine)
    with pytest.raises(RoleError, match="only admins may manage users"):
        add_user(engine, "eve", "admin", "correct horse", by=User("ann", "annotator"))
    assert table_dump(engine) == before
    add_user(engine, "ann", "annotator", "correct horse", by=User("root", "admin"))


def run_cli(args, url, monkeypatch, capsys, stdin=""):
    """``python -m ner_core users ...`` in this process (a subprocess would import torch again)."""
    monkeypatch.setenv("NER_DB_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        code = main(["users", *args])
    except SystemExit as refused:  # a usage error, refused by argparse
        code = refused.code
    out, err = capsys.readouterr()
    return code, out, err


def test_the_users_command(db_url, monkeypatch, capsys):
    code, out, _ = run_cli(["set-role", "--help"], db_url, monkeypatch, capsys)  # what each action needs (helper-92)
    assert code == 0 and "  users set-role NAME --role ROLE\n" in out and "  users password NAME [--password-stdin]\n" in out
    code, out, err = run_cli(["add", "ann", "--role", "annotator", "--password-stdin"], db_url, monkeypatch, capsys, "correct horse\n")
    assert (code, out) == (0, "added ann (annotator)\n"), err
    code, out, err = run_cli(["add", SQL, "--role", "admin", "--password-stdin"], db_url, monkeypatch, capsys, "correct horse\n")
    assert code == 1 and err.startswith("error: invalid user name")
    code, out, err = run_cli(["add", "bob", "--role", "owner", "--password-stdin"], db_url, monkeypatch, capsys, "correct horse\n")
    assert code == 2 and "argument --role: invalid choice: 'owner' (choose from 'annotator', 'reviewer', 'admin')" in err
    code, out, err = run_cli(["list"], db_url, monkeypatch, capsys)
    assert (code, out) == (0, "ann\tannotator\n")
    engine = make_engine(db_url)
    assert user_for_token(engine, sign_in(engine, "ann", "correct horse")).role == "annotator"
    engine.dispose()


def test_retrain_activate_and_roll_back_refuse_non_admins_and_change_nothing(engine, tmp_path, monkeypatch):
    from ner_core.workbench.jobs import latest_job, start_job
    from ner_core.workbench.registry import activate, load_index, roll_back
    from ner_core.workbench.retrain import RetrainSpec

    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path))
    before = load_index(engine=engine)
    for user in (User("ann", "annotator"), User("rita", "reviewer")):
        with pytest.raises(RoleError, match=f"{user.name} is an? {user.role}: only admins may retrain"):
            start_job("retrain", RetrainSpec(["strong"], epochs=1), user=user, engine=engine)
        with pytest.raises(RoleError, match="only admins may activate"):
            activate("shipped", user, engine=engine)
        with pytest.raises(RoleError, match="only admins may roll back"):
            roll_back(user, engine=engine)
    assert load_index(engine=engine) == before and latest_job(engine=engine) is None
    activate("shipped", User("root", "admin"), engine=engine)  # an admin may
    assert load_index(engine=engine)["history"] == ["shipped", "shipped"]


def test_import_refuses_non_admins_and_writes_nothing(engine, tmp_path):
    from ner_core.storage.datasets import import_dataset, list_datasets

    data = b"Sentence #,Word,POS,Tag\nSentence: 1,Paris,NNP,B-geo\n,is,VBZ,O\n"
    with pytest.raises(RoleError, match="ann is an annotator: only admins may import"):
        import_dataset(engine, "mine", data, "mine.csv", tmp_path / "datasets", user=User("ann", "annotator"))
    assert "mine" not in list_datasets(engine) and not (tmp_path / "datasets").exists()
    import_dataset(engine, "mine", data, "mine.csv", tmp_path / "datasets", user=User("root", "admin"))
    assert "mine" in list_datasets(engine)


def test_users_list_by_role_says_when_no_one_is_defined_and_add_refuses_a_taken_name_first(db_url, monkeypatch, capsys):
    assert run_cli(["list"], db_url, monkeypatch, capsys) == (0, "", "no users defined: the app runs for one person, without sign-in\n")
    for name, role in (("ann", "annotator"), ("ada", "admin")):
        assert run_cli(["add", name, "--role", role, "--password-stdin"], db_url, monkeypatch, capsys, "correct horse\n")[0] == 0
    assert run_cli(["list", "--role", "admin"], db_url, monkeypatch, capsys)[:2] == (0, "ada\tadmin\n")
    assert run_cli(["list", "--role", "reviewer"], db_url, monkeypatch, capsys) == (0, "", "no user has the role reviewer\n")
    code, _, err = run_cli(["list", "--role", "owner"], db_url, monkeypatch, capsys)
    assert code == 2 and "invalid choice: 'owner'" in err
    code, _, err = run_cli(["add", "ANN", "--role", "admin", "--password-stdin"], db_url, monkeypatch, capsys, "short\n")
    assert code == 1 and "a user named 'ANN' exists already" in err
    engine = make_engine(db_url)
    with pytest.raises(UserError, match="exists already"):  # the API too: the name before the password
        add_user(engine, "ann", "admin", "short")
    engine.dispose()


def test_an_admin_changes_a_role_resets_a_password_and_removes_a_user_from_the_command_line(db_url, monkeypatch, capsys):
    for name, role in (("ada", "admin"), ("ann", "annotator")):
        assert run_cli(["add", name, "--role", role, "--password-stdin"], db_url, monkeypatch, capsys, "correct horse\n")[0] == 0
    engine = make_engine(db_url)
    token = sign_in(engine, "ann", "correct horse")
    assert run_cli(["set-role", "ann", "--role", "reviewer"], db_url, monkeypatch, capsys)[:2] == (
        0, "ann is now reviewer (from their next page on)\n")
    assert user_for_token(engine, token).role == "reviewer"  # her session goes on, with the new role
    code, _, err = run_cli(["password", "ann", "--password-stdin"], db_url, monkeypatch, capsys, "short\n")
    assert code == 1 and "at least 8 characters" in err and user_for_token(engine, token)  # refused: nothing changed
    assert run_cli(["password", "ann", "--password-stdin"], db_url, monkeypatch, capsys, "battery staple\n")[0] == 0
    with pytest.raises(SignInError):  # a reset ends every session of hers
        user_for_token(engine, token)
    with pytest.raises(SignInError):
        sign_in(engine, "ann", "correct horse")
    token = sign_in(engine, "ann", "battery staple")
    code, _, err = run_cli(["remove", "nobody"], db_url, monkeypatch, capsys)
    assert code == 1 and "no user named 'nobody'" in err
    code, out, err = run_cli(["set-role", "ada", "--role", "annotator"], db_url, monkeypatch, capsys)
    assert code == 0 and "no one is an admin" in err  # allowed, and said
    assert run_cli(["remove", "ann"], db_url, monkeypatch, capsys)[1].startswith("removed ann (reviewer)")
    with pytest.raises(SignInError):
        user_for_token(engine, token)
    assert [u.name for u in list_users(engine)] == ["ada"]
    engine.dispose()


def test_a_removed_users_name_stays_theirs_unless_the_same_person_comes_back(db_url, monkeypatch, capsys):
    """helper-82: a new "bob" added after bob's removal took over bob's double annotations, saves and decisions."""
    for name, role in (("ada", "admin"), ("bob", "annotator")):
        assert run_cli(["add", name, "--role", role, "--password-stdin"], db_url, monkeypatch, capsys, "correct horse\n")[0] == 0
    engine = make_engine(db_url)
    ada = find_user(engine, "ada")
    remove_user(engine, "bob", by=ada)
    for name in ("bob", "BOB"):
        with pytest.raises(UserError, match=r"'bob' was a user, removed on .* by ada: what they saved keeps that name"):
            add_user(engine, name, "annotator", "another horse")
    code, _, err = run_cli(["add", "bob", "--role", "annotator", "--password-stdin"], db_url, monkeypatch, capsys, "x" * 9 + "\n")
    assert code == 1 and "--returning" in err and [u.name for u in list_users(engine)] == ["ada"]
    code, out, _ = run_cli(["list"], db_url, monkeypatch, capsys)
    assert code == 0 and out.splitlines()[-1].startswith("bob\tremoved on ") and "by ada (was annotator" in out
    with pytest.raises(UserError, match="no removed user named 'carl' to bring back"):
        add_user(engine, "carl", "annotator", "another horse", returning=True)
    code, out, _ = run_cli(["add", "Bob", "--role", "reviewer", "--returning", "--password-stdin"], db_url, monkeypatch, capsys,
                           "another horse\n")
    assert (code, out) == (0, "added bob (reviewer): back, with what they saved before\n")  # the name as it was written
    assert sign_in(engine, "bob", "another horse") and removed_users(engine) == []
    engine.dispose()
