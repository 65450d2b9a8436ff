"""Error analysis: a split or an uploaded corpus, tagged and compared with gold."""
from functools import partial

import pandas as pd
import plotly.express as px
import streamlit as st

from ner_core.data.corpus import SPLITS, CorpusError, load_corpus_bytes
from ner_core.data.tags import TagSet
from ner_core.data.tokenize import join_tokens
from ner_core.evaluation.analysis import filter_sentences
from ner_core.evaluation.errors import CATEGORIES
from ner_core.models.pipeline import VotedPipeline
from pages.error_tables import filter_by_click, filters_note, gold_note, heatmap, score_columns, score_table
from pages.models import choose_model, get_analysis
from pages.render import UPLOAD_LABEL, annotate_link, entities_html, plain, remember
from pages.sign_in import current_user
from pages.ui import (ERRORS_FIRST_SPLIT, current_dataset, current_split, dataset_colours, dataset_types, split_ids,
                      split_source_key)


st.title("Error analysis")
current_user()  # signed in (when users are defined), also when this page is opened on its own
dataset = current_dataset()
model_key, model_label, model = choose_model(dataset)
colours = dataset_colours(dataset)
for key, default in {"errors_source": ERRORS_FIRST_SPLIT, "errors_types": [], "errors_categories": [], "errors_query": "",
                     "errors_disagree": False, "errors_detector": "any", "errors_confidence": (0.0, 1.0)}.items():
    remember(key, default)  # the split and filters stay while Annotate fixes a sentence
type_options = dataset_types(dataset)
st.session_state.errors_types = [t for t in st.session_state.errors_types if t in type_options]  # not another dataset's
sources = [*reversed(SPLITS), "upload a corpus file"]
source = st.radio("Data", sources, horizontal=True, key="errors_source")
if source == "upload a corpus file":
    upload = st.file_uploader(UPLOAD_LABEL, key="errors_upload")
    if upload is not None:  # kept for this session: a visit to Annotate and back finds it analysed still
        st.session_state.errors_upload_kept = (upload.name, upload.getvalue(), upload.file_id)
    elif "errors_upload_kept" in st.session_state:
        st.caption(f"The file uploaded earlier in this session, {st.session_state.errors_upload_kept[0]}: upload another to replace it.")
    else:
        st.stop()
    name, data, file_id = st.session_state.errors_upload_kept
    try:
        read = load_corpus_bytes(data, name)
    except CorpusError as err:
        st.error("This file cannot be used:")
        st.text(str(err))
        st.stop()
    st.text(read.summary())
    unknown = TagSet.from_labels(model.labels).unknown_tags(t for s in read.sentences for t in s.tags)
    if unknown:
        st.error(f"This file holds tags the model does not know: {', '.join(read.as_written(unknown)[:10])}; the model's types are "
                 f"{', '.join(TagSet.from_labels(model.labels).types)}. Its scores would say nothing: "
                 "analyse it with a model trained on its tag set (import it as a dataset on the Annotate page, in the sidebar, and train one on Retrain).")
        st.stop()
    sentences, ids = read.sentences, list(range(1, len(read.sentences) + 1))  # numbered from 1, as in its summary
    source_key = f"upload:{name}:{len(data)}:{file_id}"
else:
    split, version = current_split(dataset)
    sentences, ids, source_key = split.part(source), split_ids(dataset, source, version), split_source_key(dataset, source, version)

analysis = get_analysis(model_key, model, source_key, sentences, ids)
st.caption(f"{len(analysis.sentences):,} sentences · dataset `{dataset}` · {model_label}"
           + ("" if source not in SPLITS else gold_note(dataset, source, sentences, ids)))

st.subheader("Scores by type")
scores = pd.DataFrame(analysis.score_rows)
table = score_table(analysis.score_rows)
row_types = [t if t in type_options else None for t in table.index]  # an average's row filters nothing
st.dataframe(table, width="stretch", placeholder="", column_config=score_columns(table), height=3 + 35 * (scores["type"].nunique() + 1), key="errors_scores",
             on_select=partial(filter_by_click, "errors_scores", "errors_types", row_types), selection_mode="single-row")
st.caption("Click a type's row to list its sentences under Sentences, below.")
if unscored := sorted(set(TagSet.from_labels(model.labels).types) - {t for t, n in table["gold entities"].fillna(0).items() if n > 0}):
    st.warning(plain(f"No gold entity of {', '.join(unscored)} in these sentences: {'its' if len(unscored) == 1 else 'their'} "
                     "recall and F1 cannot be measured here" + (" (too rare for this split: import the data with dev and test "
                                                                 "files that hold it)." if source in SPLITS else ".")))
per_type = scores[~scores["type"].isin(["micro", "macro", "weighted"])]
st.plotly_chart(px.bar(per_type, x="type", y="f1", color="system", barmode="group", range_y=[0, 1]), key="errors_bars")

st.subheader("Errors")
counts = analysis.error_counts
st.pills("Click categories to list their sentences below (each with its number of errors)", CATEGORIES, selection_mode="multi", key="errors_categories",
         format_func=lambda c: f"{c} · {counts[c]:,}")
for category in CATEGORIES:
    with st.expander(f"Examples: {category} ({counts[category]:,} error{'s' * (counts[category] != 1)}; the first 5 sentences)"):
        examples = [r for r in analysis.sentence_rows if category in r["errors"]][:5]
        st.dataframe(pd.DataFrame(examples, columns=["sentence", "text", "types"]), hide_index=True, width="stretch")
entities, tokens = st.tabs(["Confusion of entities", "Confusion of tokens"])  # each as wide as the page: every label and count readable
if analysis.entity_confusion:  # none when neither gold nor prediction holds an entity
    entities.plotly_chart(heatmap(analysis.entity_confusion, "Entities (none = missed / spurious)"), key="errors_entity_cm")
    entities.caption("A cell counts pairs of a gold and a predicted entity that overlap: a gold entity that overlaps two predictions "
                     "counts twice, and the diagonal holds boundary errors of the same type as well as exact matches.")
tokens.plotly_chart(heatmap(analysis.token_confusion, "Tokens"), key="errors_token_cm")
st.caption(f"Errors, examples and both charts are of the {next(iter(analysis.systems))} output.")

st.subheader("Sentences")
rows = analysis.sentence_rows
c1, c2 = st.columns(2)
types = c1.multiselect("Entity type", type_options, key="errors_types",
                       help="Sentences with an entity of these types in the gold or in the prediction. Or click a type's row in the scores above")
query = c2.text_input("Word search", key="errors_query")
errors = st.session_state.errors_categories  # chosen under Errors, above
disagreement = st.checkbox("The vote changed the strong tagger's output", key="errors_disagree",
                           help="Sentences where the detector let the weak tagger's entities in (a single model: none)")
single = not isinstance(model, VotedPipeline) or model.detector is None  # no detector decides anything
if single:
    st.session_state.errors_detector = "any"  # not a filter left from another model
c5, c6 = st.columns(2)
detector = c5.selectbox("Detector decision", ["any", "yes", "no"], key="errors_detector", disabled=single,
                        help="A single model or a pipeline without a detector: every sentence is voted" if single else None)
confidence = c6.slider("Lowest token confidence", 0.0, 1.0, key="errors_confidence")
matches = filter_sentences(rows, types, errors, disagreement, detector, confidence, query)
st.caption(f"{len(matches):,} of {len(rows):,} sentences" + filters_note(types, errors, query, disagreement, detector, confidence))
if st.session_state.get("errors_listed", (types, errors)) != (types, errors):  # a click far above: said where it clicks (helper-80)
    st.toast(f"{len(matches):,} sentence(s) listed under Sentences, below" + filters_note(types, errors, "", False, "any", (0.0, 1.0)))
st.session_state.errors_listed = (types, errors)
table = pd.DataFrame(matches, columns=["sentence", "text", "errors", "types", "min_confidence", *([] if single else ["detector_prob"])])
picks = [r["sentence"] for r in matches]
st.dataframe(table, hide_index=True, width="stretch", key="errors_sentences", column_config={  # the filters' words (helper-96)
             "min_confidence": st.column_config.NumberColumn("lowest token confidence", format="%.3f"),
             "detector_prob": st.column_config.NumberColumn("detector P(weak entity)", format="%.3f")},
             on_select=partial(filter_by_click, "errors_sentences", "errors_pick", picks, one=True), selection_mode="single-row")
if matches:
    texts = {r["sentence"]: r["text"] for r in matches}
    remember("errors_pick", picks[0])  # the sentence being fixed, shown again on coming back
    if st.session_state.errors_pick not in picks:  # filtered out, or of another split
        st.session_state.errors_pick = picks[0]
    pick = st.selectbox("Show sentence (or click its row)", picks, key="errors_pick",
                        format_func=lambda n: f"{n}: {texts[n][:80]}{'…' * (len(texts[n]) > 80)}")
    at = analysis.position(pick)
    sentence = analysis.sentences[at]
    text, tokens = join_tokens(sentence.words)
    gold_col, pred_col = st.columns(2)
    gold_col.markdown("**Gold**")
    gold_col.html(entities_html(text, tokens, sentence.tags, colours))
    pred_col.markdown("**Predicted**")
    pred_col.html(entities_html(text, tokens, analysis.predicted[at], colours))
    if source in SPLITS:  # a sentence of the dataset: numbered by its corpus index
        annotate_link(dataset, pick)
