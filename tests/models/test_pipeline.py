import math

import pytest
import torch

from ner_core.data.corpus import Sentence
from ner_core.data.tags import is_valid_iob2
from ner_core.models.detector import holds_weak_entity, weighted_cross_entropy
from ner_core.models.pipeline import (
    RULE_BOTH_O,
    RULE_DETECTOR_NO,
    RULE_STRONG_HIGHER,
    RULE_STRONG_O,
    RULE_WEAK_HIGHER,
    RULE_WEAK_O,
    vote,
)
from ner_core.models.tagger import TaggedSentence
from ner_core.training.sampling import balance, weak_training_set

WORDS = ("a", "b", "c", "d")


def tagged(tags, probs):
    return TaggedSentence(WORDS[: len(tags)], tuple(tags), tuple(probs))


def test_detector_no_takes_strong_everywhere():
    strong = tagged(["B-geo", "O", "O"], [0.9, 0.8, 0.7])
    weak = tagged(["O", "B-art", "O"], [0.6, 0.99, 0.5])
    out = vote(strong, weak, detector_prob=0.2, threshold=0.5)
    assert out.tags == ("B-geo", "O", "O") and not out.voted
    assert {t.rule for t in out.tokens} == {RULE_DETECTOR_NO}
    assert out.probs == (0.9, 0.8, 0.7)


def test_each_voting_branch():
    strong = tagged(["O", "O", "B-geo", "B-org"], [0.9, 0.6, 0.8, 0.7])
    weak = tagged(["O", "B-eve", "O", "B-art"], [0.95, 0.55, 0.9, 0.75])
    out = vote(strong, weak, detector_prob=0.9, threshold=0.5)
    assert out.tags == ("O", "B-eve", "B-geo", "B-art")
    assert [t.rule for t in out.tokens] == [RULE_BOTH_O, RULE_STRONG_O, RULE_WEAK_O, RULE_WEAK_HIGHER]
    assert out.probs == (0.9, 0.55, 0.8, 0.75)
    assert out.tokens[1].strong_tag == "O" and out.tokens[1].weak_prob == 0.55


def test_strong_wins_ties_and_higher_probability():
    out = vote(tagged(["B-per"], [0.7]), tagged(["B-nat"], [0.7]), detector_prob=None, threshold=0.5)
    assert out.tags == ("B-per",) and out.tokens[0].rule == RULE_STRONG_HIGHER and out.voted


def test_merge_is_repaired_to_valid_iob2():
    # strong: B-geo I-geo ; weak: O I-art? -> merged B-geo then I-art (weak higher) must become B-art
    strong = tagged(["B-geo", "I-geo", "O"], [0.9, 0.5, 0.9])
    weak = tagged(["O", "B-art", "I-art"], [0.9, 0.8, 0.8])
    out = vote(strong, weak, detector_prob=1.0, threshold=0.5)
    assert out.tags == ("B-geo", "B-art", "I-art")
    strong = tagged(["O", "B-org", "I-org"], [0.9, 0.9, 0.6])
    weak = tagged(["B-eve", "I-eve", "I-eve"], [0.9, 0.5, 0.8])
    out = vote(strong, weak, detector_prob=1.0, threshold=0.5)
    assert out.tags == ("B-eve", "B-org", "B-eve")
    assert is_valid_iob2(out.tags) and out.tokens[2].repaired and not out.tokens[0].repaired


def test_weighted_loss_matches_hand_computation():
    logits = torch.tensor([[2.0, 0.0], [0.5, 1.5]])
    target = torch.tensor([0, 1])
    s0 = math.exp(2) / (math.exp(2) + 1)  # P(class 0) for the first sentence
    s1 = math.exp(1.5) / (math.exp(0.5) + math.exp(1.5))  # P(class 1) for the second
    expected = (-0.02 * math.log(s0) - 0.98 * math.log(s1)) / 2
    assert weighted_cross_entropy(logits, target, (0.02, 0.98)).item() == pytest.approx(expected, rel=1e-6)
    plain = (-math.log(s0) - math.log(s1)) / 2
    assert weighted_cross_entropy(logits, target, None).item() == pytest.approx(plain, rel=1e-6)


def test_sampling():
    weak = Sentence(("x",), ("B-art",))
    others = [Sentence((str(i),), ("O",)) for i in range(10)]
    weak_types = {"art", "eve"}
    assert holds_weak_entity(weak.tags, weak_types) and not holds_weak_entity(others[0].tags, weak_types)
    assert not holds_weak_entity(weak.tags, {"nat"})
    data = [weak] + others
    assert sorted(holds_weak_entity(s.tags, weak_types) for s in balance(data, weak_types, 1)) == [0, 1]
    sample = weak_training_set(data, weak_types, others_per_weak=3, oversample=2, seed=1)
    assert sum(holds_weak_entity(s.tags, weak_types) for s in sample) == 2 and len(sample) == 5
    assert len(weak_training_set(data, weak_types, others_per_weak=0, oversample=1, seed=1)) == 11


@pytest.fixture(scope="module")
def shipped_voted():
    from ner_core.models.checkpoint_dirs import resolve
    from ner_core.models.pipeline import load_any

    return load_any(resolve("voted"))


def test_a_sentence_gets_the_same_probabilities_alone_and_beside_longer_words(shipped_voted):
    sentence = ("Russian-Ukrainian", "talks", "resumed", "in", "Kiev", ".")  # its longest word: 17 characters
    others = [("Internationalisation", "of", "the", "Counterrevolutionaries", "failed", ".")] * 3  # 20 and more
    alone = shipped_voted.strong.tag([sentence])[0]
    beside = shipped_voted.strong.tag([*others, sentence])[-1]
    assert alone.tags == beside.tags
    assert max(abs(a - b) for a, b in zip(alone.probs, beside.probs)) < 1e-5


def test_a_pipeline_encodes_once_for_members_that_read_alike_and_votes_as_they_would_apart(shipped_voted, split):
    from ner_core.models.detector import detector_proba
    from ner_core.models.features import Vocab

    sentences = [s.words for s in split.test[:300]] + [()]
    encoded = []
    original = Vocab.encode

    def counting(self, *args, **kwargs):
        encoded.append(self)
        return original(self, *args, **kwargs)

    Vocab.encode = counting
    try:
        voted = shipped_voted.run(sentences)
    finally:
        Vocab.encode = original
    assert len(encoded) == 2  # 300 sentences: two batches, shared by the strong and weak taggers and the detector
    apart = [vote(s, w, p, shipped_voted.threshold) for s, w, p in zip(
        shipped_voted.strong.tag(sentences), shipped_voted.weak.tag(sentences), detector_proba(shipped_voted.detector, sentences))]
    assert [v.tags for v in voted] == [v.tags for v in apart] and voted[-1].tokens == ()
    assert max(abs(a - b) for v, w in zip(voted, apart) for a, b in zip(v.probs, w.probs)) < 1e-5
    marginals = shipped_voted.marginals(sentences[:50])
    assert [m.shape[0] for m in marginals] == [len(s) for s in sentences[:50]]
