"""A linear-chain CRF with start/end transitions: NLL, Viterbi, and forward-backward marginals.

Batch-first throughout. ``mask`` marks real tokens; every sequence must start at position 0 and
be right-padded. Transitions forbidden by ``allowed`` (e.g. ``O -> I-x`` in IOB2) get a score of
``-1e4``, so decoding never produces them.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

_FORBIDDEN = -1e4


class CRF(nn.Module):
    def __init__(
        self,
        num_tags: int,
        allowed: Tensor | None = None,
        allowed_start: Tensor | None = None,
    ) -> None:
        """``allowed[i, j]`` says whether tag ``j`` may follow tag ``i``; ``allowed_start[j]``
        whether a sentence may start with ``j``. Both default to all-true."""
        super().__init__()
        if num_tags <= 0:
            raise ValueError(f"invalid number of tags: {num_tags}")
        self.num_tags = num_tags
        self.start_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.end_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags).uniform_(-0.1, 0.1))
        allowed = torch.ones(num_tags, num_tags, dtype=torch.bool) if allowed is None else allowed.bool()
        allowed_start = torch.ones(num_tags, dtype=torch.bool) if allowed_start is None else allowed_start.bool()
        if allowed.shape != (num_tags, num_tags) or allowed_start.shape != (num_tags,):
            raise ValueError("allowed must be (num_tags, num_tags) and allowed_start (num_tags,)")
        self.register_buffer("allowed", allowed)
        self.register_buffer("allowed_start", allowed_start)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_tags={self.num_tags})"

    # ------------------------------------------------------------ scores

    def _scores(self) -> tuple[Tensor, Tensor, Tensor]:
        start = self.start_transitions.masked_fill(~self.allowed_start, _FORBIDDEN)
        trans = self.transitions.masked_fill(~self.allowed, _FORBIDDEN)
        return start, trans, self.end_transitions

    def _validate(self, emissions: Tensor, tags: Tensor | None, mask: Tensor | None) -> Tensor:
        if emissions.dim() != 3:
            raise ValueError(f"emissions must have dimension of 3, got {emissions.dim()}")
        if emissions.size(2) != self.num_tags:
            raise ValueError(f"expected last dimension of emissions is {self.num_tags}, got {emissions.size(2)}")
        if tags is not None and tags.shape != emissions.shape[:2]:
            raise ValueError(
                f"the first two dimensions of emissions and tags must match, got "
                f"{tuple(emissions.shape[:2])} and {tuple(tags.shape)}"
            )
        if mask is None:
            return torch.ones(emissions.shape[:2], dtype=torch.bool, device=emissions.device)
        if mask.shape != emissions.shape[:2]:
            raise ValueError(
                f"the first two dimensions of emissions and mask must match, got "
                f"{tuple(emissions.shape[:2])} and {tuple(mask.shape)}"
            )
        if emissions.size(1) and not mask[:, 0].all():
            raise ValueError("mask of the first timestep must all be on")
        return mask.bool()

    # ------------------------------------------------------------ public API

    def forward(self, emissions: Tensor, tags: Tensor, mask: Tensor | None = None, reduction: str = "sum") -> Tensor:
        """Log-likelihood of ``tags``; ``reduction`` is ``none``, ``sum``, ``mean`` or ``token_mean``."""
        if reduction not in ("none", "sum", "mean", "token_mean"):
            raise ValueError(f"invalid reduction: {reduction}")
        mask = self._validate(emissions, tags, mask)
        llh = self._path_score(emissions, tags, mask) - self.log_partition(emissions, mask)  # (B,)
        if reduction == "none":
            return llh
        if reduction == "sum":
            return llh.sum()
        if reduction == "mean":
            return llh.mean()
        return llh.sum() / mask.sum()

    def log_partition(self, emissions: Tensor, mask: Tensor | None = None) -> Tensor:
        """``log Z`` of each sequence, shape ``(B,)``."""
        mask = self._validate(emissions, None, mask)
        alpha = self._forward_alphas(emissions, mask)  # (B, T, K)
        _, _, end = self._scores()
        last = mask.sum(1) - 1  # (B,)
        final = alpha[torch.arange(alpha.size(0)), last]  # (B, K)
        return torch.logsumexp(final + end, dim=1)

    def marginals(self, emissions: Tensor, mask: Tensor | None = None) -> Tensor:
        """``P(y_t = k | x)`` by forward-backward, shape ``(B, T, K)``; zero at padding.

        In probability space with every step rescaled (as an HMM's scaled forward algorithm), so each
        step is a small matrix product instead of a ``logsumexp``; in float64, whose range the rescaled
        values never leave. Each step's scale cancels in ``alpha_t * beta_t`` normalised over tags.
        """
        mask = self._validate(emissions, None, mask)
        start, trans, end = (x.double() for x in self._scores())
        scores = emissions.double()
        steps = torch.exp((scores - scores.amax(dim=2, keepdim=True)).clamp_min(-700))  # (B, T, K): a step's best tag at 1
        moves = torch.exp(trans)  # (K, K); forbidden moves are 0
        length = emissions.size(1)
        alpha = torch.exp(start - start.max()) * steps[:, 0]
        alphas = [alpha / alpha.sum(1, keepdim=True)]
        for t in range(1, length):
            nxt = (alphas[-1] @ moves) * steps[:, t]
            alphas.append(torch.where(mask[:, t, None], nxt / nxt.sum(1, keepdim=True), alphas[-1]))
        final = torch.exp(end - end.max()).expand(emissions.size(0), -1)
        betas = [final]
        for t in range(length - 2, -1, -1):
            nxt = (steps[:, t + 1] * betas[-1]) @ moves.T
            betas.append(torch.where(mask[:, t + 1, None], nxt / nxt.sum(1, keepdim=True), final))
        probs = torch.stack(alphas, dim=1) * torch.stack(betas[::-1], dim=1)  # (B, T, K), up to a scale per step
        probs = probs / probs.sum(2, keepdim=True).clamp_min(torch.finfo(probs.dtype).tiny)
        return (probs * mask[:, :, None]).to(emissions.dtype)

    def decode(self, emissions: Tensor, mask: Tensor | None = None) -> list[list[int]]:
        """The Viterbi path of each sequence (unpadded)."""
        mask = self._validate(emissions, None, mask)
        start, trans, end = self._scores()
        batch, length, _ = emissions.shape
        if length == 0:
            return [[] for _ in range(batch)]
        score = start + emissions[:, 0]  # (B, K)
        history = []
        for t in range(1, length):
            candidates = score[:, :, None] + trans[None]  # (B, K_prev, K)
            best, best_prev = candidates.max(dim=1)  # (B, K)
            step = mask[:, t, None]
            score = torch.where(step, best + emissions[:, t], score)
            history.append(best_prev)
        lengths = mask.sum(1).cpu().numpy()
        last = (score + end).argmax(dim=1).cpu().numpy()  # (B,): each sequence's best final tag
        pointers = torch.stack(history, dim=1).cpu().numpy() if history else None  # (B, T-1, K)
        rows, tags = np.arange(batch), np.empty((batch, length), dtype=np.int64)
        tags[:, -1] = tag = last
        padded = bool((lengths < length).any())
        for t in range(length - 2, -1, -1):  # back through the pointers, all sequences at once (in numpy: a
            # torch call per step costs more than a short sentence's whole path)
            tag = pointers[rows, t, tag]
            if padded:  # a sequence that ends at t starts from its own last tag
                tag = np.where(t + 1 < lengths, tag, last)
            tags[:, t] = tag
        return [path[:n] for path, n in zip(tags.tolist(), lengths.tolist())]

    # ------------------------------------------------------------ internals

    def _path_score(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        start, trans, end = self._scores()
        batch = torch.arange(emissions.size(0))
        maskf = mask.to(emissions.dtype)
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
        score = start[tags[:, 0]] + (emitted * maskf).sum(1)  # (B,)
        moves = trans[tags[:, :-1], tags[:, 1:]]  # (B, T-1)
        score = score + (moves * maskf[:, 1:]).sum(1)
        last = tags[batch, mask.sum(1) - 1]  # (B,)
        return score + end[last]

    def _forward_alphas(self, emissions: Tensor, mask: Tensor) -> Tensor:
        start, trans, _ = self._scores()
        alpha = start + emissions[:, 0]  # (B, K)
        alphas = [alpha]
        for t in range(1, emissions.size(1)):
            nxt = torch.logsumexp(alpha[:, :, None] + trans[None], dim=1) + emissions[:, t]  # (B, K)
            alpha = torch.where(mask[:, t, None], nxt, alpha)
            alphas.append(alpha)
        return torch.stack(alphas, dim=1)
