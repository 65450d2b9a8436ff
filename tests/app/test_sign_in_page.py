"""The sign-in gate, rendered with Streamlit's AppTest: one-person mode without users; with users
a wrong password and an expired session are refused with their message and no page is shown."""
import os
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ner_core.storage.db import make_engine
from ner_core.storage.users import add_user, sign_in

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("NER_DB_URL", url)
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NER_CHECKPOINTS", str(tmp_path / "no-models"))  # pages stop at "no model": nothing to load
    monkeypatch.delenv("NER_MODEL", raising=False)
    return url


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def test_without_users_the_app_says_it_is_for_one_person(app_env):
    app = new_app().run()
    assert not app.exception
    assert any(c.value.startswith("One-person mode: no users are defined") for c in app.sidebar.caption)
    assert app.title[0].value == "Predict"


def test_without_users_a_save_is_signed_with_the_system_user_name_also_where_no_user_variable_is_set(app_env, monkeypatch):
    """helper-80: in a container or a service ($USER unset) every save was signed "annotator", not the account's name."""
    import pwd

    for variable in ("USER", "LOGNAME", "LNAME", "USERNAME"):
        monkeypatch.delenv(variable, raising=False)
    app = new_app()
    app.switch_page("pages/annotate.py")
    app.run()
    assert not app.exception and app.sidebar.text_input(key="author_name").value == pwd.getpwuid(os.getuid()).pw_name


def test_with_users_a_page_opened_on_its_own_asks_to_sign_in(app_env):
    engine = make_engine(app_env)
    add_user(engine, "ann", "annotator", "ann-password")
    app = AppTest.from_file(str(ROOT / "pages" / "registry.py"), default_timeout=120).run()  # as a deep link may

    assert app.title[-1].value == "Sign in" and len(app.dataframe) == 0  # nothing of the page but its title
    app.text_input(key="signin_name").input("ann")
    app.text_input(key="signin_password").input("wrong-password")
    app.button[0].click().run()
    assert [e.value for e in app.error] == ["wrong user name or password"]
    assert app.title[-1].value == "Sign in" and len(app.dataframe) == 0
    app.text_input(key="signin_name").input("ann")
    app.text_input(key="signin_password").input("ann-password")
    app.button[0].click().run()
    assert not app.exception
    assert app.title[0].value == "Registry"
    assert app.button(key="registry_activate").disabled  # above an annotator's role
    assert "ann is an annotator: only admins may activate or roll back." in [i.value for i in app.info]

    app.session_state["signin_token"] = sign_in(engine, "ann", "ann-password", lifetime=timedelta(seconds=-1))
    app.run()
    assert app.title[-1].value == "Sign in" and len(app.dataframe) == 0
    assert any("your session expired" in w.value for w in app.warning)
    engine.dispose()
