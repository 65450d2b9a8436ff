"""The app's pages and the modules they share; ``app.py`` lists the pages with ``st.navigation``.

Streamlit takes a ``pages/`` folder beside the main script for a folder of pages (its first way of
making a multipage app) until a session has run ``st.navigation``. Under ``streamlit run app.py``, a
first visit by a link such as ``/annotate?sentence=5`` ran that page without ``app.py`` and listed every
module here as a page, for every visitor until one opened ``/``. A page run that way imports this package
first: it turns that mode off and reruns the session, which then goes through ``app.py`` to the same
page (the same URL path). ``python app.py`` turns it off before serving (``pages/warm_up.py``).
"""
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()
