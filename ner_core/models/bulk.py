"""Tagging a whole file: sentences in batches, with progress, written as JSON lines (tokens, tags,
probabilities; the detector's probability for a pipeline), CoNLL or spaCy ``.spacy`` by the output's
suffix. A user's bulk tagging and the pool's pre-annotation are this code."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, TextIO

from tqdm import tqdm

from ..data.corpus import Sentence, format_of, write_corpus
from .pipeline import VotedPipeline, VotedSentence
from .tagger import TaggedSentence, Tagger

BATCH = 512  # sentences a batch: the tagger sorts each by length, so padding stays small


def tag_in_batches(model: Tagger | VotedPipeline, sentences: Sequence[Sequence[str]], batch: int = BATCH,
                   progress: bool = False, on_batch: Callable[[int], None] | None = None) -> Iterator[TaggedSentence | VotedSentence]:
    """``model``'s output for every sentence, in order, ``batch`` sentences at a time (a progress bar on stderr;
    ``on_batch`` told each batch's size once it is tagged)."""
    with tqdm(total=len(sentences), unit="sent", desc="tagging", disable=not progress, file=sys.stderr) as bar:
        for start in range(0, len(sentences), batch):
            part = sentences[start:start + batch]
            tagged = model.tag(part)
            bar.update(len(part))
            if on_batch is not None:
                on_batch(len(part))
            yield from tagged


def record(tagged: TaggedSentence | VotedSentence) -> dict:
    """One sentence as a JSON record: tokens, tags, probabilities (and the detector's probability)."""
    out: dict = {"tokens": list(tagged.words), "tags": list(tagged.tags), "probs": [round(p, 4) for p in tagged.probs]}
    if isinstance(tagged, VotedSentence) and tagged.detector_prob is not None:
        out["detector"] = round(tagged.detector_prob, 4)
    return out


def write_tagged(tagged: Iterable[TaggedSentence | VotedSentence], out: Path | TextIO) -> int:
    """Write every tagged sentence: to a stream or a ``.jsonl`` file as JSON lines (as they come), to a
    CoNLL or ``.spacy`` file through the corpus writers; a file replaces an earlier one only once whole. Returns
    the sentences written."""
    if isinstance(out, Path) and format_of(out.name) != "jsonl":
        sentences = [Sentence(t.words, t.tags) for t in tagged]
        write_corpus(sentences, out, numbers=range(len(sentences)))  # a CSV's "Sentence: N" from 0, as the JSON lines' (helper-100)
        return len(sentences)
    if not isinstance(out, Path):
        return _write_records(tagged, out)
    tmp = out.with_name(out.name + ".tmp-write")  # written beside, then put in place: an earlier file stays whole
    try:
        with open(tmp, "w", encoding="utf-8") as stream:
            count = _write_records(tagged, stream)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def _write_records(tagged: Iterable[TaggedSentence | VotedSentence], stream: TextIO) -> int:
    """JSON lines, each with the sentence's 0-based index among those read (as ``mine --json`` numbers them)."""
    count = 0
    for t in tagged:
        stream.write(json.dumps({"sentence": count, **record(t)}, ensure_ascii=False) + "\n")
        count += 1
    return count
