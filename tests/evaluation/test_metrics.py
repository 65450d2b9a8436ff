import pytest

from ner_core.evaluation.metrics import entity_scores, format_table


def test_hand_made_scores():
    gold = [["B-per", "I-per", "O", "B-geo"], ["B-tim", "O"]]
    pred = [["B-per", "I-per", "O", "B-org"], ["B-tim", "B-geo"]]
    s = entity_scores(gold, pred)
    # 2 of 4 predicted entities correct; 2 of 3 gold found.
    assert s["micro_precision"] == pytest.approx(0.5)
    assert s["micro_recall"] == pytest.approx(2 / 3)
    assert s["micro_f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert s["per_type"]["per"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert s["per_type"]["geo"]["support"] == 1 and s["per_type"]["geo"]["f1"] == 0.0
    assert s["macro_f1"] == pytest.approx((1 + 1 + 0 + 0) / 4)
    assert s["weighted_f1"] == pytest.approx((1 + 1 + 0) / 3)


def test_boundary_error_is_an_error_in_strict_mode():
    s = entity_scores([["B-geo", "I-geo"]], [["B-geo", "O"]])
    assert s["micro_f1"] == 0.0


def test_nothing_to_score_gives_zeros():
    s = entity_scores([["O", "O"]], [["O", "O"]])
    assert s["micro_f1"] == 0.0 and s["per_type"] == {}


def test_length_mismatch_is_rejected():
    with pytest.raises(ValueError, match="sentence 0: 2 gold tags but 1 predicted"):
        entity_scores([["O", "O"]], [["O"]])


def test_table_has_a_row_per_type_and_averages():
    table = format_table(entity_scores([["B-per", "O"]], [["B-per", "O"]]))
    assert "| per | 1.000 | 1.000 | 1.000 | 1 |" in table and "**micro**" in table
