import pytest

from ner_core.data.corpus import Sentence
from ner_core.data.tags import (
    WEAK_SHARE,
    Span,
    TagSet,
    iob2_errors,
    is_valid_iob2,
    mask_types,
    mention_shares,
    repair_iob2,
    replace_span,
    spans,
    tags_from_spans,
)


def test_tag_set_from_labels_keeps_their_order():
    labels = ["O", "B-geo", "I-geo", "B-art", "I-art"]
    tagset = TagSet.from_labels(labels, weak={"art"})
    assert tagset.types == ("geo", "art") and tagset.strong == ("geo",) and tagset.weak == {"art"}
    assert list(tagset.labels) == labels and tagset.label2id["B-art"] == 3
    assert TagSet.from_dict(tagset.to_dict()) == tagset and hash(tagset) == hash(TagSet(("geo", "art"), frozenset({"art"})))


def test_tag_set_from_sentences_picks_rare_types_as_weak():
    sentences = [Sentence(("a", "b"), ("B-drug", "I-drug"))] * 60 + [Sentence(("c",), ("B-dose",))] * 39 + [Sentence(("d",), ("B-route",))]
    tagset = TagSet.from_sentences(sentences)  # route: 1 of 100 mentions
    assert tagset.types == ("dose", "drug", "route") and tagset.weak == {"route"} and tagset.strong == ("dose", "drug")
    assert TagSet.from_sentences(sentences, weak_share=0.005).weak == frozenset()
    assert TagSet.from_sentences(sentences, weak=["dose"]).weak == {"dose"}
    assert tagset.unknown_tags(["B-drug", "B-geo", "O"]) == ["B-geo"]
    assert "weak: none (the single model only)" in TagSet(("drug",)).describe()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: TagSet(()), "at least one entity type"),
        (lambda: TagSet(("a", "a")), "duplicate entity types"),
        (lambda: TagSet(("a", "b"), frozenset({"c"})), r"unknown weak type\(s\): c; the types are a, b"),
        (lambda: TagSet(("a",), frozenset({"a"})), "at least one type must be strong"),
        (lambda: TagSet.from_labels(["O", "MISC"]), "not an IOB2 tag: 'MISC'"),
        (lambda: TagSet.from_sentences([Sentence(("x",), ("O",))]), "at least one entity type"),
    ],
)
def test_tag_set_refuses(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_default_corpus_weak_types_are_art_eve_nat(split):
    """The weak-share threshold picks the study's weak types on the default corpus's train split."""
    shares = mention_shares(split.train)
    tagset = TagSet.from_sentences(split.train)
    assert tagset.weak == {"art", "eve", "nat"} and set(tagset.strong) == {"geo", "gpe", "org", "per", "tim"}
    assert max(shares[t] for t in tagset.weak) * 4 < WEAK_SHARE < min(shares[t] for t in tagset.strong) / 4  # margin both sides


@pytest.mark.parametrize(
    "tags, errors",
    [
        (["B-geo", "I-geo", "O"], []),
        (["I-geo", "O"], [0]),
        (["O", "I-per"], [1]),
        (["B-geo", "I-per", "I-per"], [1]),
    ],
)
def test_iob2_errors(tags, errors):
    assert iob2_errors(tags) == errors
    assert is_valid_iob2(tags) == (not errors)


def test_repair_turns_orphan_inside_into_begin():
    assert repair_iob2(["O", "I-per", "I-per", "B-geo", "I-org"]) == ["O", "B-per", "I-per", "B-geo", "B-org"]
    assert is_valid_iob2(repair_iob2(["I-geo", "I-tim", "O", "I-tim"]))


def test_spans_and_back():
    tags = ["B-per", "I-per", "O", "B-geo", "B-geo", "I-geo", "O", "B-tim"]
    found = spans(tags)
    assert found == [Span("per", 0, 2), Span("geo", 3, 4), Span("geo", 4, 6), Span("tim", 7, 8)]
    assert tags_from_spans(len(tags), found) == tags


def test_spans_of_orphan_inside_starts_entity():
    assert spans(["O", "I-org", "I-org"]) == [Span("org", 1, 3)]


def test_mask_types():
    tags = ["B-art", "I-art", "O", "B-geo", "B-nat"]
    assert mask_types(tags, {"art", "eve", "nat"}) == ["O", "O", "O", "B-geo", "O"]
    assert mask_types(tags, {"geo"}) == ["B-art", "I-art", "O", "O", "B-nat"]


def test_replace_span():
    tags = ["B-per", "I-per", "O", "B-geo", "O"]
    assert replace_span(tags, 2, 3, "org") == ["B-per", "I-per", "B-org", "B-geo", "O"]
    assert replace_span(tags, 3, 4, "O") == ["B-per", "I-per", "O", "O", "O"]
    assert replace_span(tags, 3, 5, "gpe") == ["B-per", "I-per", "O", "B-gpe", "I-gpe"]
    assert replace_span(tags, 1, 3, "org") == ["O", "B-org", "I-org", "B-geo", "O"]  # the overlapped per entity goes
    assert tags == ["B-per", "I-per", "O", "B-geo", "O"]  # not modified in place


def test_one_rule_for_a_datasets_weak_types_shared_by_the_app_and_the_cli(tmp_path):
    """Weak by the training part's shares, types from every part: the store (the app) and the CLI agree."""
    from ner_core.cli import build_parser
    from ner_core.cli.train import _training_data
    from ner_core.data.corpus import split_corpus, write_corpus
    from ner_core.storage.db import make_engine
    from ner_core.storage.store import CorrectionStore

    sentences = [Sentence(("Paris",), ("B-geo",)) for _ in range(60)] + [Sentence(("Bob",), ("B-per",)) for _ in range(39)]
    sentences.append(Sentence(("Etna",), ("B-nat",)))
    parts = split_corpus(sentences)
    rule = TagSet.of_split(parts.train, [*parts.val, *parts.test])
    assert set(rule.types) == {"geo", "per", "nat"} and rule.weak == {"nat"}  # nat: 1% of the mentions at most
    path = tmp_path / "corpus.conll"
    write_corpus(sentences, path)
    store = CorrectionStore(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"), "d", path)
    _, cli = _training_data(build_parser().parse_args(["train-method", "--data", str(path)]))
    assert store.tagset == cli == rule
    assert TagSet.of_split(parts.train, weak=["per"]).weak == {"per"}  # named weak types win
    unseen = TagSet.of_split(parts.train, [*parts.val, Sentence(("Kyiv",), ("B-loc",))])
    assert "loc" in unseen.types and "loc" not in unseen.weak  # never in training: no weak tagger and detector for it (helper-90)


def test_one_rule_for_what_a_type_holds():
    from ner_core.data.tag_schemes import tag_problem

    assert tag_problem("B-geo.x-1_y") is None and mention_shares([Sentence(("w",), ("B-geo.x-1_y",))]) == {"geo.x-1_y": 1.0}
    for bad in ("B-geo/x", "B-a b", "I-"):
        assert tag_problem(bad) is not None
        with pytest.raises(ValueError, match="not an IOB2 tag"):
            mention_shares([Sentence(("w",), (bad,))])


def random_bioes(rng, pieces: int) -> list[str]:
    """A valid BIOES sequence of ``pieces`` pieces: an O, or an entity of 1-4 tokens of type x or y (often adjacent)."""
    tags: list[str] = []
    for _ in range(pieces):
        size, kind = rng.choice([0, 1, 1, 2, 3, 4]), rng.choice("xy")
        tags += ["O"] if size == 0 else [f"S-{kind}"] if size == 1 else [f"B-{kind}", *[f"I-{kind}"] * (size - 2), f"E-{kind}"]
    return tags


@pytest.mark.parametrize("scheme, letters", [("BIOES", "BIES"), ("BILOU", "BILU"), ("IOB1", "BI"), ("IOB2", "BI")])
def test_iob2_to_each_scheme_and_back_is_the_identity(scheme, letters):
    import random

    from ner_core.data.tag_schemes import IOB2Converter, from_iob2

    rng = random.Random(7)
    for _ in range(300):
        bioes = random_bioes(rng, rng.randrange(1, 8))
        converter = IOB2Converter()
        iob2 = converter.convert(bioes)
        written = from_iob2(iob2, scheme)
        assert {t[0] for t in written} <= {"O", *letters}
        assert IOB2Converter().convert(written) == iob2  # read back: the same IOB2
        if scheme == "BIOES":
            assert written == tuple(bioes)  # BIOES -> IOB2 -> BIOES: the identity


def test_iob2_in_other_schemes_by_hand():
    from ner_core.data.tag_schemes import IOB2Converter, from_iob2

    iob2 = ("B-x", "I-x", "O", "B-y", "B-y", "I-y", "I-y", "O", "B-x")
    assert from_iob2(iob2, "BIOES") == ("B-x", "E-x", "O", "S-y", "B-y", "I-y", "E-y", "O", "S-x")
    assert from_iob2(iob2, "BILOU") == ("B-x", "L-x", "O", "U-y", "B-y", "I-y", "L-y", "O", "U-x")
    assert from_iob2(iob2, "IOB1") == ("I-x", "I-x", "O", "I-y", "B-y", "I-y", "I-y", "O", "I-x")
    for scheme in ("IOB1", "BIOES", "BILOU"):
        converter = IOB2Converter()
        converter.convert(from_iob2(iob2, scheme))
        assert converter.scheme == scheme  # the reader names the scheme written
    with pytest.raises(ValueError, match="unknown tag scheme 'IOE2'"):
        from_iob2(iob2, "IOE2")
