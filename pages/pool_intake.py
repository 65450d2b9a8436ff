"""New text's intake: a file or typed text added to the pool (admins, once users exist), what was added and dropped said."""
import streamlit as st

from ner_core.data.corpus import CorpusError, load_unlabelled
from ner_core.storage.pool import Pool
from ner_core.storage.store import CorrectionError
from ner_core.storage.users import User, refusal
from pages.render import UPLOAD_LABEL, plain
from pages.sign_in import signed_in

INPUTS = {"auto": "by its name (.txt: running text, or token-tag lines read as CoNLL; typed: running text)",
          "text": "running text", "tokens": "one tokenised sentence a line", "corpus": "a corpus file (tags ignored)"}


def intake(pool: Pool, user: User | None, author: str) -> None:
    """Add a file's sentences, or typed text, to the pool (admins, once users exist)."""
    if refused := refusal(user, "import"):
        st.info(f"{refused} text: an admin adds it to the pool; everyone annotates what is in it.")
        return
    st.file_uploader("Raw text (.txt), JSON lines with text or tokens, or a corpus file (its tags ignored). "
                     + UPLOAD_LABEL + ".", key="pool_upload")
    st.text_area("Or type or paste text", key="pool_text", height=100,
                 placeholder="Paragraphs of running text: split into sentences and tokens as a .txt is")
    st.radio("Read it as", list(INPUTS), format_func=INPUTS.get, horizontal=True, key="pool_input")
    st.checkbox("Keep sentences mostly in a script the corpus does not use", key="pool_any_script",
                help="By default they are left out and counted: the model cannot read them.")
    with st.container(horizontal=True, vertical_alignment="center"):  # no tooltip: it stayed over the checkbox (helper-84)
        st.button("Add to the pool", key="pool_add", on_click=signed_in(add_to_pool), args=(pool, author))  # enabled: typed
        st.caption("The file and the typed text, if both are given.")  # text arrives with the click, not before it
    for shown, text, detail in st.session_state.pop("pool_added", []):
        getattr(st, shown)(text)  # the reason of a refusal in the red box
        st.text(detail)


def add_to_pool(pool: Pool, author: str) -> None:
    """The Add button, with the boxes as the click sends them; typed text once added is cleared (a second Add would send it again)."""
    upload, typed, state, st.session_state.pool_added = st.session_state.pool_upload, st.session_state.pool_text, st.session_state, []
    if not (upload or typed.strip()):
        state.pool_added.append(("warning", "Nothing to add: choose a file, or type or paste text, first.", ""))
    for raw, name in ([(upload.getvalue(), upload.name)] if upload else []) + ([(typed.encode(), "typed text")] if typed.strip() else []):
        try:
            read = load_unlabelled(raw, name, state.pool_input, pool.store.token_style)
            added = pool.add([s.words for s in read.sentences], name, author or "anonymous", state.pool_any_script)
            state.pool_added.append(("success" if added.added else "info", added.summary(), read.summary()))
            state.pool_text = "" if name == "typed text" else typed
        except (CorpusError, CorrectionError) as err:
            state.pool_added.append(("error", plain(f"Nothing added from {name}: {err}"), ""))
