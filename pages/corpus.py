"""Corpus: any sentence of the dataset as it is now, found by its words, gold types, split or corrections (no model
needed), opened on Annotate; and who changed how much."""
import pandas as pd
import streamlit as st

from ner_core.data.corpus import SPLITS
from ner_core.data.tokenize import join_tokens
from ner_core.workbench.corpus_search import ADDED, CorpusRow, activity, corpus_rows, search
from pages.author import author_name
from pages.corpus_walk import keyboard_walk
from pages.models import optional_model
from pages.render import annotate_link, entities_html, remember
from pages.sign_in import current_user
from pages.ui import correction_store, current_dataset, dataset_colours, dataset_types, store_key

SHOWN = 1000  # rows listed at most

st.title("Corpus")
user = current_user()  # signed in (when users are defined), also when this page is opened on its own
dataset = current_dataset()
store = correction_store(dataset)


@st.cache_resource(max_entries=2, show_spinner="Reading the corpus with its corrections…")
def _rows(key: tuple[str, str, str], version: str) -> list[CorpusRow]:
    return corpus_rows(correction_store(key[1]))


rows, type_names = _rows(store_key(dataset), store.version()), dataset_types(dataset)
back = st.query_params.pop("sentence", None)  # the browser's Back from "Correct sentence N": Streamlit's history holds
restored = False  # /corpus?sentence=N, not the search's address (helper-96): the search kept in the session comes back
for key, default in {"corpus_query": "", "corpus_types": [], "corpus_splits": [], "corpus_corrected": False,
                     "corpus_walk_on": False}.items():
    if key in st.query_params and key not in st.session_state and f"{key}__kept" not in st.session_state:
        continue  # a reload or a shared link: the address holds the search (each widget is bound to it)
    if back is not None and (kept := st.session_state.get(f"{key}__kept", default)) != default:
        st.session_state[key], restored = kept, True
        st.query_params[key] = [str(v) for v in kept] if isinstance(kept, list) else str(kept).lower() if isinstance(kept, bool) else kept
    remember(key, default)  # kept while Annotate fixes a sentence found here
if restored:
    st.rerun()  # the bound widgets take the search again
if "corpus_types" in st.session_state:  # not another dataset's
    st.session_state.corpus_types = [t for t in st.session_state.corpus_types if t in type_names]
left, middle, right = st.columns(3)
query = left.text_input("Words", key="corpus_query", bind="query-params", placeholder="a word or a phrase, any case")
types = middle.multiselect("Gold entity type", type_names, key="corpus_types", bind="query-params", placeholder="any type")
splits = right.multiselect("Split", [*SPLITS, ADDED], key="corpus_splits", bind="query-params", placeholder="every split",
                           format_func=lambda s: "added from New text (train)" if s == ADDED else s)
corrected = st.checkbox("Only sentences with saved corrections, or added from New text", key="corpus_corrected", bind="query-params")
found = search(rows, query, types, splits, corrected)
if st.toggle("Annotate them with the keyboard", key="corpus_walk_on", bind="query-params", help="In order, each with the model's tags: a "
             "accepts them, g keeps the gold, the keys edit it (Enter saves), s skips, u undoes"):
    model_label, model = optional_model()
    keyboard_walk(dataset, store, [r.number for r in found], (query, *types, "|", *splits, corrected),
                  {r.number: r.split for r in found}, author_name(user), model_label, model)
    st.stop()
st.caption(f"{len(found):,} of {len(rows):,} sentences" + (f"; the first {SHOWN:,} listed" if len(found) > SHOWN else "")
           + ". Numbered as on every page, from 0 in the file's order (a CSV export's `Sentence #` too). Click a row.")
shown, view = found[:SHOWN], st.container()  # the sentence clicked, above the list
table = pd.DataFrame({"sentence": [r.number for r in shown], "split": [r.split for r in shown],
                      "text": [r.text for r in shown], "entities": [" · ".join(f"{w} ({t})" for w, t in r.entities) for r in shown],
                      "corrected": [r.corrected for r in shown]})
event = st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="single-row", key="corpus_table",
                     column_config={"text": st.column_config.TextColumn(width="large")})
picked = [i for i in event.selection.rows if i < len(shown)]  # a selection made before the filters changed
if picked:
    number = shown[picked[0]].number
    text, tokens = join_tokens(store.words(number))
    with view:
        st.html(entities_html(text, tokens, store.tags(number), dataset_colours(dataset)))
        annotate_link(dataset, number)

with st.expander("Who changed how much"):
    done = activity(store)
    st.caption("Every save of the dataset's tags, on any page (New text's adds too); a token undone or reverted still "
               "counts as changed. Double-annotated: sentences tagged on Agreement (an adjudication saves under the "
               "adjudicator's name)." if done else "Nobody has saved a change to this dataset yet.")
    if done:
        st.dataframe(pd.DataFrame(done), hide_index=True)
