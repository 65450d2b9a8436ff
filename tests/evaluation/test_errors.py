from ner_core.data.tags import Span
from ner_core.evaluation.errors import (
    CORRECT,
    MISSED,
    NONE,
    SPURIOUS,
    WRONG_BOTH,
    WRONG_BOUNDARY,
    WRONG_TYPE,
    compare,
    entity_confusion,
    error_counts,
    token_confusion,
)


def test_each_category_on_hand_made_cases():
    assert [e.category for e in compare(["B-per", "I-per"], ["B-per", "I-per"])] == [CORRECT]
    assert compare(["B-per", "O"], ["O", "O"])[0].category == MISSED
    assert compare(["O", "O"], ["O", "B-geo"])[0].category == SPURIOUS
    assert compare(["B-geo", "O"], ["B-gpe", "O"])[0].category == WRONG_TYPE
    assert compare(["B-org", "I-org", "I-org"], ["O", "B-org", "I-org"])[0].category == WRONG_BOUNDARY
    assert compare(["B-org", "I-org", "O"], ["O", "B-geo", "I-geo"])[0].category == WRONG_BOTH


def test_one_gold_entity_split_in_two_predictions():
    errors = compare(["B-org", "I-org", "I-org"], ["B-org", "B-geo", "I-geo"])
    assert [e.category for e in errors] == [WRONG_BOUNDARY, WRONG_BOTH]
    assert errors[1].pred == Span("geo", 1, 3)


def test_counts_and_confusions():
    gold = [["B-per", "O", "B-geo", "O"], ["B-tim", "O"]]
    pred = [["B-per", "O", "B-org", "B-geo"], ["O", "O"]]
    assert error_counts(gold, pred) == {CORRECT: 1, WRONG_TYPE: 1, SPURIOUS: 1, MISSED: 1}
    assert entity_confusion(gold, pred) == {("per", "per"): 1, ("geo", "org"): 1, (NONE, "geo"): 1, ("tim", NONE): 1}
    tokens = token_confusion(gold, pred)
    assert tokens[("O", "O")] == 2 and tokens[("geo", "org")] == 1 and tokens[("O", "geo")] == 1 and tokens[("tim", "O")] == 1
    assert sum(tokens.values()) == 6


def test_confusion_matrix_and_filters():
    from collections import Counter

    from ner_core.evaluation.analysis import confusion_matrix, filter_sentences

    labels, matrix = confusion_matrix(Counter({("geo", "org"): 2, ("none", "geo"): 1, ("geo", "geo"): 5}))
    assert labels == ["geo", "org", "none"]
    assert matrix == [[5, 2, 0], [0, 0, 0], [1, 0, 0]]
    rows = [
        {"text": "Paris is big", "types": ["geo"], "errors": [], "disagreement": False, "voted": True, "min_confidence": 0.9},
        {"text": "The Iliad", "types": ["art"], "errors": ["missed entity"], "disagreement": True, "voted": False, "min_confidence": 0.4},
    ]
    assert filter_sentences(rows, types=["art"]) == [rows[1]]
    assert filter_sentences(rows, errors=["missed entity"], disagreement=True) == [rows[1]]
    assert filter_sentences(rows, detector="yes") == [rows[0]]
    assert filter_sentences(rows, confidence=(0.0, 0.5)) == [rows[1]]
    assert filter_sentences(rows, query="paris") == [rows[0]]


def test_a_type_and_a_category_filter_one_error_together():
    """gpe + wrong type: a sentence whose mistyped entity is gpe (gold or predicted), not one where gpe is right and
    another entity is mistyped."""
    from ner_core.evaluation.analysis import filter_sentences

    def row(text: str, types: list[str], error_types: list[tuple[str, str]]) -> dict:
        return {"text": text, "types": types, "errors": sorted({c for c, _ in error_types}), "error_types": error_types,
                "disagreement": False, "voted": None, "min_confidence": 1.0}

    rows = [
        row("gold gpe read as geo", ["geo", "gpe"], [(WRONG_TYPE, "geo"), (WRONG_TYPE, "gpe")]),
        row("per read as gpe", ["gpe", "per"], [(WRONG_TYPE, "gpe"), (WRONG_TYPE, "per")]),
        row("gpe right, org mistyped", ["geo", "gpe", "org"], [(WRONG_TYPE, "geo"), (WRONG_TYPE, "org")]),
        row("gpe missed, org mistyped", ["gpe", "org", "per"], [(MISSED, "gpe"), (WRONG_TYPE, "org"), (WRONG_TYPE, "per")]),
        row("gpe right, no error", ["gpe"], []),
    ]
    assert filter_sentences(rows, types=["gpe"], errors=[WRONG_TYPE]) == rows[:2]
    assert filter_sentences(rows, types=["gpe", "org"], errors=[WRONG_TYPE]) == rows[:4]
    assert filter_sentences(rows, types=["gpe"], errors=[MISSED, WRONG_TYPE]) == rows[:2] + [rows[3]]
    assert filter_sentences(rows, types=["gpe"]) == rows  # a type alone: in gold or predicted, an error or not
    assert filter_sentences(rows, errors=[WRONG_TYPE]) == rows[:4]


def test_a_sentence_row_pairs_each_category_with_the_types_of_its_errors():
    from types import SimpleNamespace

    from ner_core.data.corpus import Sentence
    from ner_core.evaluation.analysis import CorpusAnalysis

    sentence = Sentence(("Paris", "and", "Rome", "met", "Bush"), ("B-gpe", "O", "B-geo", "O", "B-per"))
    systems = {"single": [("B-geo", "O", "B-geo", "O", "O")]}
    (row,) = CorpusAnalysis([sentence], [SimpleNamespace(probs=[0.9] * 5)], systems, [0]).sentence_rows
    assert row["error_types"] == [(MISSED, "per"), (WRONG_TYPE, "geo"), (WRONG_TYPE, "gpe")]


def test_a_sentence_disagrees_only_where_the_vote_changed_the_strong_output():
    """The weak tagger leaves every strong type O: that is no disagreement (3,680 of 4,317 test sentences counted so)."""
    from types import SimpleNamespace

    from ner_core.data.corpus import Sentence
    from ner_core.evaluation.analysis import CorpusAnalysis

    sentences = [Sentence(("Paris", "is", "big"), ("B-geo", "O", "O")), Sentence(("Katrina", "hit"), ("B-nat", "O"))]
    results = [SimpleNamespace(probs=[0.9, 0.9, 0.9]), SimpleNamespace(probs=[0.9, 0.9])]
    systems = {"voted": [("B-geo", "O", "O"), ("B-nat", "O")], "strong": [("B-geo", "O", "O"), ("B-per", "O")],
               "weak": [("O", "O", "O"), ("B-nat", "O")]}
    rows = CorpusAnalysis(sentences, results, systems, [0, 1]).sentence_rows
    assert [r["disagreement"] for r in rows] == [False, True]


def test_a_system_with_nothing_to_score_has_no_averages_rather_than_zeros():
    """A split without the weak types: the weak tagger, right to tag nothing, is not shown scoring 0.000."""
    from types import SimpleNamespace

    from ner_core.data.corpus import Sentence
    from ner_core.evaluation.analysis import CorpusAnalysis
    from pages.error_tables import score_table

    sentences = [Sentence(("Paris", "is", "big"), ("B-geo", "O", "O"))]
    systems = {"voted": [("B-geo", "O", "O")], "strong": [("B-geo", "O", "O")], "weak": [("O", "O", "O")]}
    analysis = CorpusAnalysis(sentences, [SimpleNamespace(probs=[0.9] * 3)], systems, [0], masked={"weak": ("geo",)})
    table = score_table(analysis.score_rows)
    assert table.loc["micro", "f1 · voted"] == 1.0 and table.loc["micro", "f1 · weak"] != table.loc["micro", "f1 · weak"]  # NaN
    assert analysis.scores["weak"]["micro_f1"] == 0.0  # the scores themselves keep their numbers, for the command line


def test_a_strong_and_a_weak_tagger_are_scored_on_their_own_types(small_run):
    """As evaluate does: the strong tagger of a pipeline is scored with the weak types masked in gold, the weak one
    with the strong types masked; the voted output on every type."""
    from ner_core.evaluation.analysis import analyse
    from ner_core.evaluation.metrics import entity_scores
    from ner_core.models.pipeline import load_any
    from ner_core.data.tags import mask_types

    base, small, _ = small_run
    pipeline = load_any(base / "ckpt" / "voted")
    analysis = analyse(pipeline, small.test)
    weak_types = set(pipeline.strong.masked)
    assert weak_types and set(analysis.scores["strong"]["per_type"]).isdisjoint(weak_types)
    assert set(analysis.scores["weak"]["per_type"]) <= weak_types
    gold = [mask_types(s.tags, pipeline.strong.masked) for s in small.test]
    assert analysis.scores["strong"]["micro_f1"] == entity_scores(gold, analysis.systems["strong"])["micro_f1"]
    assert analysis.scores["voted"] == entity_scores([s.tags for s in small.test], analysis.systems["voted"])
