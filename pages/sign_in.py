"""Sign-in helpers: who is using the app (not a page of its own).

With no users defined the app is a one-person tool and :func:`current_user` returns ``None``;
otherwise it returns the signed-in user, or draws the sign-in form and stops the page.

A sign-in survives a reload: the session token is kept in a browser cookie (``SameSite=Strict``,
for the session's lifetime; :mod:`pages.cookies`), read once when a browser session starts, and cleared on sign-out.
A write runs in a widget's callback, before the page checks the sign-in again: :func:`signed_in`
wraps it, so that a session signed out in another tab (or expired) saves nothing.
"""
from __future__ import annotations

import functools
from typing import Callable

import streamlit as st
from sqlalchemy.exc import DBAPIError

from ner_core.storage.db import shared_engine
from ner_core.storage.store import database_failure
from ner_core.storage.users import SESSION_LIFETIME, SignInError, User, has_users, sign_in, sign_out, user_for_token
from pages.cookies import first_read, keep_cookie
from pages.render import DATASET_KEY, INTERRUPTED, plain
from pages.drafts import DRAFTS
from pages.outage_watch import RELOAD_SECONDS, outage_watch
from pages.tab_guards import APP_RAN, leave_guard, through_app

COOKIE = "ner_session"
SIGN_IN_AGE = int(SESSION_LIFETIME.total_seconds())
OWNER = "signin_owner"  # st.session_state: whose work this browser session holds (_hand_over)
SESSION_KEPT = ("signin_", "cookie_", DATASET_KEY, APP_RAN)  # what a hand-over keeps (key prefixes)
UNSAVED = "signin_unsaved"  # st.session_state: why a write of the last click failed (the database), said atop the page
ROLE = "signin_role"  # st.session_state: the role the page was drawn for (a click checks it: helper-92)
ROLE_CHANGED = "signin_role_changed"  # st.session_state: why a click was refused for a role changed since


def current_user() -> User | None:
    """The signed-in user (``None``: no users defined); else the sign-in form, and the page stops. A page run without
    ``app.py`` reruns through it first (:func:`~pages.tab_guards.through_app`)."""
    through_app()
    engine = shared_engine()
    for refused, say in ((UNSAVED, st.error), (ROLE_CHANGED, st.warning)):  # why the last click saved nothing
        if refused in st.session_state: say(st.session_state.pop(refused))  # noqa: E701
    try:
        users = has_users(engine)
    except DBAPIError as err:
        unsaved = any(draft.changed() for draft in st.session_state.get(DRAFTS, {}).values())
        leave_guard(unsaved, "outage_leave")  # the page's own guard is not drawn: a reload would drop them unasked
        st.error(f"The page cannot be drawn: {database_failure(err)}. Nothing can be read or saved until it is back; then "
                 + ("open the page again from the sidebar, not by a reload: your unsaved grid edits are kept in this "
                    "browser session, which a reload ends." if unsaved else
                    f"the page is drawn again: it reloads itself every {RELOAD_SECONDS} s."))
        outage_watch(reload=not unsaved)  # keyboard decisions kept in the tab: said, guarded, and sent once it is back
        st.session_state[INTERRUPTED] = True  # no widget drawn: the next run draws the grid from its draft
        st.stop()
    if not users:
        return None
    if saved := first_read(COOKIE):  # a new browser session: a reload, or a new tab
        st.session_state.setdefault("signin_token", saved)
    token = st.session_state.get("signin_token")
    if token:
        try:
            user = user_for_token(engine, token)
        except SignInError as err:  # expired or signed out elsewhere
            del st.session_state["signin_token"]
            st.session_state.setdefault("signin_message", str(err))
        else:
            _hand_over(user.name)
            keep_cookie(COOKIE, token, SIGN_IN_AGE)
            st.session_state[ROLE] = user.role
            return user
    keep_cookie(COOKIE, None, SIGN_IN_AGE)
    _form(engine)
    st.stop()


def _hand_over(name: str) -> None:
    """A browser session holds one user's work (unsaved grid edits, queues, choices): when another user signs in on the
    tab, after a sign-out or a refused session, it starts from none of it, so that nothing of the first user's is shown
    or saved under the second's name. The sign-in itself, the cookies and the dataset chosen stay."""
    owner = st.session_state.get(OWNER)
    if owner is not None and owner != name:
        for key in [k for k in st.session_state if not str(k).startswith(SESSION_KEPT)]:
            del st.session_state[key]
    st.session_state[OWNER] = name


def signed_in(callback: Callable[..., None]) -> Callable[..., None]:
    """``callback`` (a write) run only while this session's sign-in holds, with the role the page was drawn for (an
    admin demoted meanwhile added an admin: helper-92); otherwise nothing is written and the page asks to sign in again,
    or is drawn for the new role (:func:`current_user`; a fragment: :func:`rerun_if_signed_out`)."""
    @functools.wraps(callback)
    def run(*args, **kwargs) -> None:
        engine = shared_engine()
        try:
            if has_users(engine):
                try:
                    now = user_for_token(engine, st.session_state.get("signin_token") or "")
                except SignInError:
                    st.session_state.signin_message = ("Nothing was saved: you were signed out (in another tab, the session expired, "
                                                       "your password reset, or removed by an admin, who can add you back). Sign "
                                                       "in again: decisions made with keys wait in this tab and are sent then.")
                    return
                if (drawn := st.session_state.get(ROLE)) is not None and now.role != drawn:
                    st.session_state[ROLE_CHANGED] = (f"Your last click saved nothing: your role is {now.role} now, not {drawn} "
                                                      "as when this page was drawn (an admin changed it). The page now shows "
                                                      "what you may do; decisions made with keys are sent again by themselves.")
                    return
            callback(*args, **kwargs)
        except DBAPIError as err:  # the database is down or refused: said on the page, which is drawn as it was
            st.session_state[UNSAVED] = f"Nothing was saved: {database_failure(err)}. Save again once it is back."
    return run


def rerun_if_signed_out() -> None:
    """In a fragment (which skips :func:`current_user`): the whole page again, to the sign-in form or drawn for a new
    role, after a refused write."""
    if "signin_message" in st.session_state or ROLE_CHANGED in st.session_state:
        st.rerun()


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
                           "allowed. Add users with `.venv/bin/python -m ner_core users add NAME --role ROLE` (then everyone signs in).")
        return
    st.sidebar.markdown(f"Signed in as **{plain(user.name)}** ({user.role})")
    st.sidebar.button("Sign out", key="signin_out", on_click=_sign_out)


def _sign_out() -> None:
    sign_out(shared_engine(), st.session_state.pop("signin_token", ""))
