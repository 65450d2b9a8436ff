"""Mining a pool for annotation: every strategy ranks every sentence once, the rare types come first, the
same string does not crowd the top, a model without weak types says so."""
import json

import pytest

from ner_core.cli import main
from ner_core.data.tags import spans
from ner_core.models.checkpoint_dirs import resolve
from ner_core.models.pipeline import load_any
from ner_core.quality.mining import DIVERSITY, FREE_REPEATS, STRATEGIES, mine


@pytest.fixture(scope="module")
def voted():
    return load_any(resolve("voted"))  # the shipped pipeline: trained on the default corpus's train split only


@pytest.fixture(scope="module")
def pool(split):
    return split.test[:600]  # held out from the shipped models


def test_every_strategy_ranks_every_sentence_once_best_first(voted, pool):
    words = [s.words for s in pool] + [()]  # an empty sentence is never offered
    for strategy in STRATEGIES:
        ranking = mine(voted, words, strategy)
        assert sorted(m.sentence for m in ranking.items) == list(range(len(pool))), strategy
        if strategy in ("rare", "uncertain"):
            assert [m.score for m in ranking.items] == sorted((m.score for m in ranking.items), reverse=True)
    assert mine(voted, words, "random", seed=3).items == mine(voted, words, "random", seed=3).items
    assert len(mine(voted, words, "mixed", top=25).items) == 25
    with pytest.raises(ValueError, match="unknown strategy"):
        mine(voted, words, "best")


def test_the_pre_annotation_is_the_models_own_tags_from_the_rankings_pass(voted, pool):
    words = [s.words for s in pool[:200]] + [()]
    expected = [t.tags for t in voted.tag(words)]
    for strategy in STRATEGIES:
        assert mine(voted, words, strategy, pre_annotate=True).tags == expected, strategy
    assert mine(voted, words).tags is None
    assert mine(voted.strong, words, "mixed", pre_annotate=True).tags == [t.tags for t in voted.strong.tag(words)]


def test_progress_counts_the_sentences_through_every_pass_of_the_models(voted, pool):
    words = [s.words for s in pool]  # more than a batch: a pipeline ranked by uncertainty tags twice, in batches
    for strategy in STRATEGIES:
        told = []
        mine(voted, words, strategy, pre_annotate=True, progress=lambda done, total: told.append((done, total)))
        done = [d for d, _ in told]
        assert done == sorted(set(done)) and told[-1][0] == told[-1][1] == len(words) * (2 if strategy == "uncertain" else 1), strategy
    told = []
    mine(voted, words, "random", progress=lambda done, total: told.append((done, total)))  # no model pass: done at once
    assert told == [(len(words), len(words))]


def test_a_reason_never_names_a_type_the_pre_annotation_does_not_show_without_saying_so(voted, pool):
    words = [s.words for s in pool[:300]]
    strong_only = voted.with_threshold(1.0)  # the detector all but never says yes: the vote is the strong tagger's
    ranking = mine(strong_only, words, "rare", pre_annotate=True)
    told = 0
    for item in ranking.items:
        if " likely: " not in item.reason:
            continue
        kind = item.reason.split(" likely")[0]
        shown = {span.type for span in spans(ranking.tags[item.sentence])}
        if kind not in shown:  # the vote kept the strong tagger's type there, or nothing
            assert item.reason.endswith(": check it)"), item.reason
            told += 1
    assert told >= 1
    assert all("check it" not in m.reason for m in mine(strong_only, words, "rare").items)  # no pre-annotation: nothing to say


def test_the_rare_types_come_first(voted, pool):
    weak = voted.tagset.weak
    holds = {i for i, s in enumerate(pool) if any(span.type in weak for span in spans(s.tags))}
    assert len(holds) >= 5
    for strategy in ("rare", "mixed"):
        top = [m.sentence for m in mine(voted, [s.words for s in pool], strategy, top=60).items]
        assert len(holds & set(top)) >= len(holds) // 2, strategy  # a tenth of the pool holds half of them or more
    random_top = [m.sentence for m in mine(voted, [s.words for s in pool], "random", top=60).items]
    assert len(holds & set(random_top)) < len(holds) // 2


def test_the_same_string_does_not_crowd_the_top(voted, pool):
    copies = FREE_REPEATS + 10
    alike = [("Hurricane", "Katrina", "hit", "the", "coast", "in", str(1980 + k), ".") for k in range(copies)]
    words = alike + [s.words for s in pool[:200]]
    ranked = mine(voted, words, "mixed").items
    rare = {m.sentence: m.score for m in mine(voted, words, "rare").items}
    kept = [m.score / rare[m.sentence] for m in ranked if m.sentence < copies]  # best first
    assert min(kept[:FREE_REPEATS]) > 0.95 and max(kept[FREE_REPEATS + 1:]) < 0.55  # discounted after the free ones
    assert sum(m.sentence < copies for m in ranked[:copies]) < copies  # without diversity they would fill the top


def test_a_repeated_sentence_is_discounted_from_its_first_repeat(voted, pool):
    repeated = ("Hurricane", "Katrina", "hit", "the", "coast", ".")
    words = [repeated, tuple(w.upper() for w in repeated), repeated] + [s.words for s in pool[:100]]
    for model, strategy in ((voted, "mixed"), (voted, "rare"), (load_any(resolve("bilstm_crf")), "mixed"), (voted, "uncertain")):
        alone = [mine(model, [words[i]], strategy).items[0].score for i in range(3)]
        kept = [m.score / alone[m.sentence] for m in mine(model, words, strategy).items if m.sentence < 3]  # best first
        # case aside, a repeat; float32 scores of a sentence alone and in a batch differ by about 1e-6 on some CPUs
        assert kept == pytest.approx([1, DIVERSITY, DIVERSITY ** 2], rel=1e-5)


def test_a_model_without_weak_types_ranks_by_uncertainty_and_says_so(pool):
    ranking = mine(load_any(resolve("bilstm_crf")), [s.words for s in pool[:50]], "mixed")
    assert ranking.note == "the model has no weak (rare) types: ranked by uncertainty, repeated sentences last"
    assert all(m.reason.startswith("uncertain: ") for m in ranking.items)


def test_uncertainty_tells_long_sentences_apart(pool):
    """The product of 300 tokens' top marginals is about 0 for any of them (every score was 1.0): the geometric mean is not."""
    long = [sum((s.words for s in pool[k:k + 15]), ()) for k in (0, 15, 30, 45)]
    assert min(map(len, long)) > 250
    scores = [m.score for m in mine(load_any(resolve("bilstm_crf")), long, "uncertain").items]
    assert len(set(scores)) == 4 and max(scores) < 0.5


def test_sentences_in_a_script_the_model_never_saw_are_counted_in_the_note(voted, pool):
    foreign = [("Москва", "—", "столица", "России", "."), ("北京是中国的首都", "。")]
    ranking = mine(voted, [*foreign, *(s.words for s in pool[:20])], "mixed")
    assert ranking.note == ("2 of 22 sentences are mostly in a script the model never trained on (CYRILLIC 1, CJK 1): "
                            "its output on them means little")
    assert len(ranking.items) == 22
    assert mine(voted, [s.words for s in pool[:20]], "mixed").note is None
    words = ("Hurricane",) * 40  # a long run of marked words is quoted shortened
    assert all(len(m.reason) < 100 for m in mine(voted, [words], "rare").items)


def test_mine_on_the_command_line(tmp_path, capsys):
    text = tmp_path / "pool.txt"
    text.write_text("Hurricane Katrina hit New Orleans.\n\nShe went home early.\n\nThe Olympics opened in Athens.\n")
    assert main(["mine", "--data", str(text), "--json", "--top", "2"]) == 0
    ranked = json.loads(capsys.readouterr().out)
    assert len(ranked) == 2 and {"sentence", "score", "reason", "types"} == set(ranked[0])
    assert 1 not in [r["sentence"] for r in ranked]  # the sentence without a rare type is last
    assert main(["mine", "--data", str(text), "--top", "1"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert "0-based" in header and row.split()[0] == str(ranked[0]["sentence"])  # the table numbers as --json does
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    assert main(["mine", "--data", str(empty), "--model", "voted"]) == 1
    assert "no text" in capsys.readouterr().err


def test_a_reason_without_marked_words_says_what_the_detector_says_and_never_calls_every_sentence_possible(voted, pool):
    """helper-74: "GENE possible" on every pool sentence, "heart failure remains poorly controlled" too."""
    reasons = [m.reason for m in mine(voted, [s.words for s in pool], "rare").items]
    unmarked = [r for r in reasons if " likely: " not in r]
    assert unmarked and all(r.startswith("no rare type seen (the detector says ") or " possible: the detector says " in r
                            for r in unmarked)
    assert sum(r.startswith("no rare type seen") for r in reasons) > len(reasons) / 2  # most sentences hold none


def test_a_reason_names_separate_marked_words_apart():
    """helper-83: "Twitter Facebook" and "Hurricanes Katrina Rita Wilma" read as one name each."""
    from ner_core.quality.mining import _runs

    words = ["Hurricanes", "Katrina", ",", "Rita", "and", "Wilma", "hit", "Twitter", "and", "Facebook"]
    assert _runs(words, [0, 1, 3, 5]) == 'Hurricanes Katrina", "Rita", "Wilma'
    assert _runs(words, [7, 9]) == 'Twitter", "Facebook' and _runs(words, []) == ""
