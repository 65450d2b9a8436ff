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


def test_the_same_figures_as_seqevals_strict_report_also_on_ill_formed_tags():
    import random
    import warnings

    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    rng = random.Random(5)
    tags = ["O", "O", "O", "B-geo", "I-geo", "B-per", "I-per", "B-art", "I-art", "I-eve"]  # I- without B-: ill-formed
    for _ in range(20):
        gold = [[rng.choice(tags) for _ in range(rng.randint(1, 12))] for _ in range(rng.randint(1, 40))]
        pred = [[t if rng.random() < 0.7 else rng.choice(tags) for t in sentence] for sentence in gold]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = classification_report(gold, pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
        ours = entity_scores(gold, pred)
        for key, row in report.items():
            if key.endswith(" avg"):
                average = key.split()[0]
                assert [ours[f"{average}_{m}"] for m in ("precision", "recall", "f1")] == pytest.approx(
                    [row["precision"], row["recall"], row["f1-score"]]), key
            else:
                assert ours["per_type"][key] == pytest.approx(
                    {"precision": row["precision"], "recall": row["recall"], "f1": row["f1-score"], "support": row["support"]}), key
        assert set(ours["per_type"]) == {k for k in report if not k.endswith(" avg")}
