"""New text's discarded sentences: who discarded which, and (reviewers) one put back in the pool."""
import pandas as pd
import streamlit as st

from ner_core.storage.pool import Pool
from ner_core.storage.store import CorrectionError
from ner_core.storage.users import User, refusal
from pages.render import plain


def discards(pool: Pool, user: User | None, author: str) -> None:
    """The latest discards, and a reviewer's way to put one back."""
    items = pool.discarded()
    if not items:
        st.caption("Nothing is discarded.")
        return
    st.dataframe(pd.DataFrame([{"sentence": " ".join(i.words), "discarded by": i.decided_by, "from": f"{i.source}, sentence {i.line}"}
                               for i in items]), hide_index=True, width="stretch")
    refused = refusal(user, "review")
    pick = st.selectbox("Put one back in the pool", items, index=None, key="pool_restore_pick", disabled=refused is not None,
                        format_func=lambda i: " ".join(i.words)[:100], placeholder="Choose a discarded sentence", help=refused)
    if st.button("Back to the pool", key="pool_restore", disabled=pick is None or refused is not None, help=refused):
        try:
            pool.restore(pick.id, author or "anonymous")
            st.success(plain(f"Back in the pool: {' '.join(pick.words)[:100]}"))
        except CorrectionError as err:
            st.error(plain(f"Not put back: {err}"))
