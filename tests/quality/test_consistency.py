"""Annotation consistency: the same words tagged in different ways, on hand-made sentences."""
import pytest

from ner_core.data.corpus import Sentence
from ner_core.quality.consistency import duplicate_agreement, inconsistent_strings, occurrences, string_labels


def sent(text: str, tags: str) -> Sentence:
    return Sentence(tuple(text.split()), tuple(tags.split()))


CORPUS = [
    sent("H5N1 spread in Asia", "B-nat O O B-geo"),
    sent("H5N1 spread again", "O O O"),
    sent("the H5N1 virus", "O O O"),
    sent("the H5N1 virus strain", "O B-nat I-nat O"),  # inside a longer entity: not counted for "H5N1"
    sent("Asia and Europe", "B-geo O B-geo"),
    sent("Asia again", "B-org O"),
    sent("Europe", "B-geo"),
]


def test_string_labels_count_exact_entities_and_outside_only():
    found = string_labels(CORPUS, [("H5N1",), ("H5N1", "virus"), ("Asia",), ("Mars",)])
    assert found[("H5N1",)].labels == {"nat": 1, "O": 2}
    assert found[("H5N1", "virus")].labels == {"O": 1, "nat": 1}
    assert found[("Asia",)].labels == {"geo": 2, "org": 1}
    assert ("Mars",) not in found  # never occurs
    h5n1 = found[("H5N1",)]
    assert h5n1.occurrences == 3 and h5n1.majority == "O" and h5n1.minority == 1
    assert h5n1.share("nat") == pytest.approx(1 / 3)


def test_occurrences_give_sentence_start_and_label():
    found = list(occurrences(CORPUS, [("H5N1",)]))
    assert [(o.sentence, o.start, o.label) for o in found] == [(0, 0, "nat"), (1, 0, "O"), (2, 1, "O"), (3, 1, None)]


def test_inconsistent_strings_ranked_by_differing_occurrences():
    ranked = inconsistent_strings(CORPUS + [sent("Asia", "B-org")])
    assert [" ".join(r.words) for r in ranked] == ["Asia", "H5N1", "H5N1 virus"]
    assert ranked[0].labels == {"geo": 2, "org": 2} and ranked[0].minority == 2
    assert "Europe" not in {" ".join(r.words) for r in ranked}  # always geo: consistent
    assert inconsistent_strings(CORPUS, min_occurrences=4) == []


def test_duplicate_agreement_scores_one_copy_against_another():
    train = [sent("Asia and Europe", "B-geo O B-geo"), sent("Asia and Europe", "B-geo O B-org"), sent("Mars", "O")]
    pairs, scores = duplicate_agreement(train)
    assert pairs == 1 and scores["micro_f1"] == pytest.approx(0.5)  # one of two entities agrees
    pairs, scores = duplicate_agreement(train, [sent("Asia and Europe", "B-geo O B-geo"), sent("Venus", "B-geo")])
    assert pairs == 2 and scores["micro_f1"] == pytest.approx(0.75)  # 3 of 4 entity pairs agree
    reference, repeated = train + [sent("Mars", "B-geo")], [sent("Mars", "B-geo")] * 3
    assert duplicate_agreement(reference, repeated)[0] == 6  # three copies, each against two in reference
    pairs, scores = duplicate_agreement(reference, repeated, distinct=True)
    assert pairs == 2 and scores["micro_f1"] == pytest.approx(2 / 3)  # geo against geo, geo against O
    other = [sent("Mars", "O"), sent("Venus", "O")]  # same tags, different words: two distinct pairs
    assert duplicate_agreement([sent("Mars", "O"), sent("Venus", "O")], other, distinct=True)[0] == 2
