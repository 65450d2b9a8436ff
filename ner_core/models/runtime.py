"""How many threads torch may use in the app server.

On a small machine the server shares its cores with the browser, other sessions and a training
job. Torch's OpenMP workers spin while they wait for each other, so as soon as one of them is
descheduled the others burn the core it needs: measured on 2 cores under load, tagging 600
sentences took 3.3 CPU-seconds with one thread and 19-20 with two (wall 10 s against 63-72 s).
The server therefore tags with one thread unless ``$NER_TORCH_THREADS`` says otherwise.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import torch


def server_threads() -> int:
    """``$NER_TORCH_THREADS`` (default 1): torch threads for tagging inside the app server."""
    value = os.environ.get("NER_TORCH_THREADS", "1")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"NER_TORCH_THREADS must be a positive integer, got {value!r}")
    return int(value)


def use_server_threads() -> None:
    """Size torch's intra-op pool for the server (applies to every thread of the process)."""
    torch.set_num_threads(server_threads())


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """torch's intra-op threads set to ``threads`` while the block runs (None: as the process has them), restored
    after: training in a process that also tags (the app's worker, a test run of two workers on two cores) leaves the
    process's setting as it found it."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
