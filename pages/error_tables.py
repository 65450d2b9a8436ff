"""Error analysis's tables and charts: scores by type, the confusion heatmaps, and clicks on a table as filters."""
import shlex

import pandas as pd
import plotly.express as px
import streamlit as st

from ner_core.data.corpus import Sentence
from ner_core.evaluation.analysis import confusion_matrix
from pages.ui import correction_store


def score_table(rows: list[dict]) -> pd.DataFrame:
    """A row per type (sorted; the averages last) with its gold entities, and a column per metric and system, named
    both (a CSV download keeps them); blank where a system never tags the type."""
    frame = pd.DataFrame(rows)
    averages = ["micro", "macro", "weighted"]
    order = sorted(set(frame["type"]) - set(averages)) + averages
    systems = list(dict.fromkeys(frame["system"]))
    table = frame.pivot_table(index="type", columns="system", values=["f1", "precision", "recall"])
    table = table.reindex(index=order, columns=pd.MultiIndex.from_product([["f1", "precision", "recall"], systems]))
    table.columns = [f"{metric} · {system}" for metric, system in table.columns]
    table.insert(0, "gold entities", frame.groupby("type")["support"].max().reindex(order).astype("Int64"))
    return table.round(3)


def score_columns(table: pd.DataFrame) -> dict:
    """The score table's metric columns drawn with three decimals (0.500, not 0.5)."""
    return {c: st.column_config.NumberColumn(format="%.3f") for c in table.columns if c != "gold entities"}


def filter_by_click(table: str, target: str, names: list, one: bool = False) -> None:
    """A row clicked in ``table`` sets widget ``target`` to its name (``names``: the rows' names as drawn, None for a row
    that filters nothing), a list of it unless ``one``."""
    picked = [names[i] for i in st.session_state[table].selection.rows if i < len(names) and names[i] is not None]
    if picked:
        st.session_state[target] = picked[0] if one else picked


def heatmap(counts, title: str):
    """The confusion matrix of ``counts``, coloured by its errors: the scale ends at the largest cell off the diagonal, so
    the matches (O as O above all) do not wash every error out to white; each cell shows its count, every label is
    drawn."""
    labels, matrix = confusion_matrix(counts)
    errors = [n for g, row in enumerate(matrix) for p, n in enumerate(row) if g != p]
    fig = px.imshow(matrix, x=labels, y=labels, text_auto=True, color_continuous_scale="Blues", aspect="auto",
                    range_color=[0, max(errors, default=0) or 1],
                    labels={"x": "predicted", "y": "gold", "color": "count"}, title=title)
    fig.update_traces(texttemplate="%{z:.3~s}")  # 79.6k, not 79,569: counts short enough to read in a narrow cell
    fig.update_layout(height=max(420, 80 + 32 * len(labels)), margin=dict(l=0, r=0, t=40, b=0),
                      coloraxis_showscale=False)  # each cell says its count: the scale's room goes to the cells
    fig.update_xaxes(tickmode="array", tickvals=labels)  # every label, none skipped for room
    fig.update_yaxes(tickmode="array", tickvals=labels)
    return fig


def filters_note(types: list[str], categories: list[str], query: str, disagreement: bool, detector: str,
                 confidence: tuple[float, float]) -> str:
    """The sentence filters in force, for the count's caption (they stay when the data changes: a split, an upload)."""
    parts = [f"types {', '.join(types)}" if types else "", f"errors {', '.join(categories)}" if categories else "",
             f'words "{query}"' if query.strip() else "", "the vote changed the strong output" if disagreement else "",
             f"detector {detector}" if detector != "any" else "",
             f"lowest confidence {confidence[0]:g}-{confidence[1]:g}" if tuple(confidence) != (0.0, 1.0) else ""]
    chosen = [p for p in parts if p]
    return f" · filtered by {'; '.join(chosen)}" if chosen else ""


def gold_note(dataset: str, part: str, sentences: list[Sentence], ids: list[int]) -> str:
    """For a caption: how many of a split's sentences (``sentences``, numbered ``ids``) hold saved corrections or were
    added from the pool, and the command that scores the same gold ("" for none: the file's gold as it is)."""
    original = correction_store(dataset).original
    corrected = sum(i < len(original) and original[i].tags != s.tags for i, s in zip(ids, sentences))
    added = sum(i >= len(original) for i in ids)
    if not corrected and not added:
        return ""
    said = [f"{corrected:,} corrected" if corrected else "", f"{added:,} added from the pool" if added else ""]
    return (f" · the gold as saved: {' and '.join(p for p in said if p)} (`evaluate --dataset {shlex.quote(dataset)} --split {part}` "
            "reads the same; a corpus file holds the gold as it was filed)")
