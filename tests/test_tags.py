import pytest

from ner_core.tags import (
    ALL_TAGS,
    Span,
    iob2_errors,
    is_valid_iob2,
    mask_types,
    repair_iob2,
    replace_span,
    spans,
    tags_from_spans,
)


def test_tag_inventory():
    assert len(ALL_TAGS) == 17 and ALL_TAGS[0] == "O" and "B-nat" in ALL_TAGS and "I-art" in ALL_TAGS


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
