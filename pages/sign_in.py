"""Sign-in helpers: who is using the app (not a page of its own).

With no users defined the app is a one-person tool and :func:`current_user` returns ``None``;
otherwise it returns the signed-in user, or draws the sign-in form and stops the page.
"""
from __future__ import annotations

import streamlit as st

from ner_core.store import default_db_url
from ner_core.users import SignInError, User, has_users, sign_in, sign_out, user_for_token
from pages.ui import db_engine


def current_user() -> User | None:
    """The signed-in user (``None``: no users defined); else the sign-in form, and the page stops."""
    engine = db_engine(default_db_url())
    if not has_users(engine):
        return None
    token = st.session_state.get("signin_token")
    if token:
        try:
            return user_for_token(engine, token)
        except SignInError as err:  # expired or signed out elsewhere
            del st.session_state["signin_token"]
            st.session_state.signin_message = str(err)
    _form(engine)
    st.stop()


def _form(engine) -> None:
    st.title("Sign in")
    if "signin_message" in st.session_state:
        st.warning(st.session_state.pop("signin_message"))
    with st.form("signin_form", clear_on_submit=True):  # the password does not stay in the session
        name = st.text_input("User name", key="signin_name")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            st.session_state.signin_token = sign_in(engine, name, password)
        except SignInError as err:
            st.error(str(err))
            return
        st.rerun()


def sidebar_status(user: User | None) -> None:
    """Who is signed in and a sign-out button, or a note that the app runs for one person."""
    if user is None:
        st.sidebar.caption("One-person mode: no users are defined, so there is no sign-in and every action is "
                           "allowed. Add users with `python -m ner_core users add NAME --role ROLE`.")
        return
    st.sidebar.markdown(f"Signed in as **{_escape(user.name)}** ({user.role})")
    st.sidebar.button("Sign out", key="signin_out", on_click=_sign_out)


def _sign_out() -> None:
    sign_out(db_engine(default_db_url()), st.session_state.pop("signin_token", ""))


def _escape(text: str) -> str:
    """Markdown shows the text as typed (user names are plain letters and digits, but never trust that here)."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!<>|~" else c for c in text)
