"""Users: who signs in, with which role; everyone changes their own password; an admin adds users, changes a role, resets a
password, removes a user."""
import pandas as pd
import streamlit as st

from ner_core.storage.db import shared_engine
from ner_core.storage.users import (MIN_PASSWORD, ROLES, SignInError, UserError, add_user, change_own_password, list_users, refusal,
                                    remove_user, removed_users, set_password, set_role)
from ner_core.workbench.agreement import left_to_tag_note
from pages.sign_in import current_user, signed_in

st.title("Users")
user, engine = current_user(), shared_engine()
if user is None:
    st.info("One-person mode: no users are defined, so there is no sign-in. Add the first admin from the command line, "
            "`.venv/bin/python -m ner_core users add NAME --role admin`; then everyone signs in, and admins manage users here.")
    st.stop()
users = list_users(engine)
with st.container():  # always here, empty or not: the tabs below keep their place, and the one open stays open
    if message := st.session_state.get("users_message"):  # kept until the next change: a rerun does not wipe it
        getattr(st, message[0])(message[1])
st.dataframe(pd.DataFrame([{"name": u.name, "role": u.role} for u in users]), hide_index=True, key="users_table")
st.caption("annotator < reviewer < admin: each role may do what the roles before it may (README: Working as a team).")
if gone := removed_users(engine):  # helper-82: a name taken again took over the removed person's work
    st.caption("Removed (each name stays theirs: what they saved is attributed by it): " + "; ".join(
        f"{name}, {role}, on {at:%Y-%m-%d} by {by}" for name, role, at, by in gone) + ". Add one back with *Returning*, below.")


def passwords(key: str) -> None:
    """A new password, typed twice (compared when the form is sent). In a form: a password box left with Tab (to its
    eye button) does not send its value on its own, so the boxes are sent together with the button."""
    st.text_input("Password", type="password", key=f"{key}_password", help=f"At least {MIN_PASSWORD} characters")
    st.text_input("Again", type="password", key=f"{key}_again")


def typed_twice(key: str) -> str:
    """The new password of the boxes of :func:`passwords` ``key``; :class:`UserError` if the two differ."""
    password = str(st.session_state.get(f"{key}_password") or "").strip()
    if password != str(st.session_state.get(f"{key}_again") or "").strip():
        raise UserError("the two passwords differ; nothing was changed")
    return password


@signed_in
def change_mine() -> None:
    """The signed-in user's own password, given the current one; this session goes on, their others end."""
    state = st.session_state
    try:
        change_own_password(engine, state.get("signin_token") or "", state.users_own_current, typed_twice("users_own"))
        state.users_message = ("success", "Your password is changed: sign in with it from now on. This session goes on; your "
                                          "others (other browsers) have ended.")
    except (UserError, SignInError) as err:
        state.users_message = ("error", f"Refused: {err}")
    for key in ("users_own_current", "users_own_password", "users_own_again"):
        state[key] = ""  # no password kept in the session once used


with st.expander(f"My password ({user.name})"), st.form("users_own_form", border=False):
    st.text_input("Current password", type="password", key="users_own_current")
    passwords("users_own")
    st.form_submit_button("Change my password", key="users_own", on_click=change_mine)
if why := refusal(user, "manage users"):
    st.info(f"{why}: you see who signs in, but cannot change it.")
    st.stop()


@signed_in
def act(what: str, change, *keys: str) -> None:
    """Run one change as the signed-in admin with the values of the widgets ``keys`` as they are at the click (a box
    typed into and a click at once come in one run); its outcome, or the reason it was refused, is said atop the page."""
    values = [str(st.session_state.get(k) or "").strip() for k in keys]
    try:
        if keys[-1].endswith("_password"):
            typed_twice(keys[-1].removesuffix("_password"))
        done = change(engine, *values, by=user)
    except (UserError, PermissionError) as err:
        st.session_state.users_message = ("error", f"Refused: {err}")
        return
    note = left_to_tag_note(engine, done.name) if change is remove_user else ""  # helper-86: their open sentences, said
    st.session_state.users_message = ("success", what.format(name=done.name, role=done.role) + note)
    for key in ("users_add_password", "users_add_again", "users_reset_password", "users_reset_again"):
        st.session_state[key] = ""  # no password kept in the session once used
    st.session_state.users_remove_sure = st.session_state.users_add_returning = False


def add_one(engine, name: str, role: str, password: str, by) -> object:
    """Add a user; with the form's *Returning* ticked, a removed user back, the same person."""
    return add_user(engine, name, role, password, by, returning=bool(st.session_state.get("users_add_returning")))


add, role, password, remove = st.tabs(["Add a user", "Change a role", "Reset a password", "Remove a user"])
with add, st.form("users_add_form", border=False):
    st.text_input("Name", key="users_add_name", help="Letters, digits, '_', '.' or '-'")
    st.selectbox("Role", ROLES, key="users_add_role")
    passwords("users_add")
    st.checkbox("Returning: a removed user of this name, the same person (their past work stays theirs)", key="users_add_returning")
    st.form_submit_button("Add", key="users_add", type="primary", on_click=act, args=(
        "Added {name} ({role}): they sign in with the password you gave them.", add_one, "users_add_name", "users_add_role",
        "users_add_password"))
with role:
    st.selectbox("User", [u.name for u in users], key="users_role_who")
    st.selectbox("New role", ROLES, key="users_role_new")
    st.button("Change the role", key="users_set_role", on_click=act, args=(
        "{name} is now {role} (from their next page on).", set_role, "users_role_who", "users_role_new"))
with password, st.form("users_reset_form", border=False):
    st.selectbox("User", [u.name for u in users], key="users_reset_who")
    passwords("users_reset")
    st.form_submit_button("Set the new password", key="users_set_password", on_click=act, args=(
        "New password for {name}: their open sessions have ended; they sign in with it.", set_password, "users_reset_who",
        "users_reset_password"))
with remove:
    who = st.selectbox("User", [u.name for u in users], key="users_remove_who")
    sure = st.checkbox(f"Yes, {who} can no longer sign in (what they saved keeps their name)", key="users_remove_sure")
    st.button("Remove", key="users_remove", disabled=not sure, on_click=act, args=("Removed {name} ({role}).", remove_user,
                                                                                  "users_remove_who"))
