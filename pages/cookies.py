"""Browser cookies from Python: each read once, when a browser session starts (a reload, a new tab), and set or cleared
by a component of no height when its value changes (``SameSite=Strict``; ``Secure`` over https)."""
from __future__ import annotations

import hashlib
from urllib.parse import unquote

import streamlit as st

_COOKIE_JS = """
export default function ({ data }) {
  if (!data) return;
  const secure = location.protocol === "https:" ? "; Secure" : "";
  const value = data.token ? encodeURIComponent(data.token) : "";
  document.cookie = `${data.name}=${value}; path=/; max-age=${data.token ? data.max_age : 0}; SameSite=Strict${secure}`;
}
"""
_cookie = st.components.v2.component("ner_session_cookie", js=_COOKIE_JS)


def first_read(name: str) -> str | None:
    """Cookie ``name`` as the browser sent it when this browser session started, on the session's first call; else None."""
    if f"cookie_read_{name}" in st.session_state:
        return None
    st.session_state[f"cookie_read_{name}"] = True
    value = st.context.cookies.get(name)
    return unquote(value) if isinstance(value, str) and value.strip() else None  # (AppTest's context answers with a mock)


def keep_cookie(name: str, value: str | None, max_age: int) -> None:
    """Set (or clear) the browser's cookie ``name`` once each time its value changes. Its sidebar slot is drawn on every
    run: an element drawn in one run only shifts the sidebar's later ones, which the browser then draws anew (an open
    expander closes, an open selectbox drops its click)."""
    slot = st.sidebar.empty()
    if st.session_state.get(f"cookie_{name}", ()) == value:
        return
    st.session_state[f"cookie_{name}"] = value
    with slot:
        _cookie(data={"name": name, "token": value, "max_age": max_age}, height=0,
                key=f"cookie_{name}_{hashlib.sha1(repr(value).encode()).hexdigest()[:12]}")
