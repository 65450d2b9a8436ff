"""Who saves: the signed-in user, or in one-person mode (no users defined) the name typed in the sidebar."""
from __future__ import annotations

import getpass

import streamlit as st

from ner_core.storage.users import User
from pages.cookies import first_read, keep_cookie
from pages.render import remember

AUTHOR, AUTHOR_COOKIE, AUTHOR_AGE = "author_name", "ner_author", 365 * 24 * 3600  # one-person mode's name: its widget, cookie


def author_name(user: User | None) -> str:
    """The signed-in user's name, or the sidebar's "Your name": one name on every page that saves, kept in a browser
    cookie across reloads and new tabs (a shared link does not carry it)."""
    if user is not None:
        return user.name
    if saved := first_read(AUTHOR_COOKIE):
        st.session_state.setdefault(f"{AUTHOR}__kept", saved)
    remember(AUTHOR, _system_user())
    name = st.sidebar.text_input("Your name", key=AUTHOR)
    keep_cookie(AUTHOR_COOKIE, name, AUTHOR_AGE)
    return name


def _system_user() -> str:
    """The name the server runs under (``$USER``, ``$LOGNAME``, else the account's: a service or a container sets no
    ``$USER``; helper-80), "annotator" where none can be found."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "annotator"
