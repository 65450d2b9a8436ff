import itertools

import pytest
import torch

from ner_core.models.crf import CRF
from ner_core.models.model import iob2_constraints


def brute_force(crf: CRF, emissions: torch.Tensor, length: int):
    """All paths of one sequence: their scores, log Z, the best path, the marginals."""
    start, trans, end = crf._scores()
    k = crf.num_tags
    scores = {}
    for path in itertools.product(range(k), repeat=length):
        s = start[path[0]] + emissions[0, path[0]]
        for t in range(1, length):
            s = s + trans[path[t - 1], path[t]] + emissions[t, path[t]]
        scores[path] = s + end[path[-1]]
    all_scores = torch.stack(list(scores.values()))
    log_z = torch.logsumexp(all_scores, 0)
    best = max(scores, key=lambda p: scores[p].item())
    marginals = torch.zeros(length, k)
    for path, s in scores.items():
        for t, tag in enumerate(path):
            marginals[t, tag] += torch.exp(s - log_z)
    return scores, log_z, list(best), marginals


@pytest.fixture
def crf_and_inputs():
    torch.manual_seed(0)
    crf = CRF(3)
    emissions = torch.randn(3, 4, 3)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], dtype=torch.bool)
    return crf, emissions, mask


def test_log_partition_matches_brute_force(crf_and_inputs):
    crf, emissions, mask = crf_and_inputs
    log_z = crf.log_partition(emissions, mask)
    for b, length in enumerate(mask.sum(1).tolist()):
        _, expected, _, _ = brute_force(crf, emissions[b], length)
        assert log_z[b].item() == pytest.approx(expected.item(), abs=1e-5)


def test_log_likelihood_matches_brute_force(crf_and_inputs):
    crf, emissions, mask = crf_and_inputs
    tags = torch.tensor([[0, 1, 2, 1], [2, 2, 0, 0], [1, 0, 0, 0]])
    llh = crf(emissions, tags, mask, reduction="none")
    for b, length in enumerate(mask.sum(1).tolist()):
        scores, log_z, _, _ = brute_force(crf, emissions[b], length)
        path = tuple(tags[b, :length].tolist())
        assert llh[b].item() == pytest.approx((scores[path] - log_z).item(), abs=1e-5)


def test_viterbi_matches_brute_force(crf_and_inputs):
    crf, emissions, mask = crf_and_inputs
    paths = crf.decode(emissions, mask)
    for b, length in enumerate(mask.sum(1).tolist()):
        _, _, best, _ = brute_force(crf, emissions[b], length)
        assert paths[b] == best


def test_marginals_match_brute_force_and_sum_to_one(crf_and_inputs):
    crf, emissions, mask = crf_and_inputs
    marginals = crf.marginals(emissions, mask)
    for b, length in enumerate(mask.sum(1).tolist()):
        _, _, _, expected = brute_force(crf, emissions[b], length)
        torch.testing.assert_close(marginals[b, :length], expected, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(marginals[b, :length].sum(-1), torch.ones(length))
        assert marginals[b, length:].abs().sum() == 0


def test_constraints_forbid_invalid_iob2():
    labels = ["O", "B-geo", "I-geo", "B-per", "I-per"]
    allowed, start = iob2_constraints(labels)
    crf = CRF(len(labels), allowed, start)
    torch.manual_seed(1)
    emissions = torch.randn(8, 6, len(labels))
    emissions[:, :, 2] += 3  # push towards I-geo everywhere
    for path in crf.decode(emissions):
        tags = [labels[i] for i in path]
        assert tags[0] != "I-geo"
        for prev, cur in zip(tags, tags[1:]):
            if cur.startswith("I-"):
                assert prev[2:] == cur[2:] and prev != "O"
    marg = crf.marginals(emissions)
    assert marg[:, 0, 2].max() < 1e-3  # I-geo cannot start a sentence


def test_gradients_flow(crf_and_inputs):
    crf, emissions, mask = crf_and_inputs
    emissions.requires_grad_(True)
    tags = torch.zeros(3, 4, dtype=torch.long)
    (-crf(emissions, tags, mask)).backward()
    assert emissions.grad is not None and crf.transitions.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"emissions": torch.randn(2, 3)}, "emissions must have dimension of 3, got 2"),
        ({"emissions": torch.randn(2, 3, 4)}, "expected last dimension of emissions is 3, got 4"),
        (
            {"emissions": torch.randn(2, 3, 3), "mask": torch.tensor([[0, 1, 1], [1, 1, 1]])},
            "mask of the first timestep must all be on",
        ),
    ],
)
def test_invalid_inputs_raise(kwargs, message):
    crf = CRF(3)
    with pytest.raises(ValueError, match=message):
        crf.decode(**kwargs)
