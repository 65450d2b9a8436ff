"""spaCy's binary ``DocBin`` (``.spacy``), as ``spacy convert`` and spaCy's training read and write.

Reading: each doc's sentences (the whole doc when it has no sentence boundaries) become
sentences; tags come from the entity annotation (``ent_iob_`` / ``ent_type_``; none means ``O``),
POS tags from ``tag_`` where the doc has them. Tokens of ASCII spaces, tabs and line breaks outside
entities (spaCy makes them of extra spacing) are dropped and counted; other whitespace is kept.

Writing: one doc per sentence, words joined by single spaces, ``tag_`` from the POS tags.
"""
from __future__ import annotations

import zlib
from typing import Iterable

from .base import CorpusError, RawSentence, Reading, Sentence


def read(raw: bytes, reading: Reading, limit: int) -> list[RawSentence]:
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    if not raw:
        raise reading.error("the file is empty")
    inflate = zlib.decompressobj()
    try:
        inflate.decompress(raw, limit + 1)
    except zlib.error:
        raise reading.error("not a spaCy DocBin (.spacy) file") from None
    if inflate.unconsumed_tail:
        raise reading.error(f"expands to more than the limit of {limit / 1e6:,.1f} MB (set NER_MAX_UPLOAD_MB to allow more)")
    try:
        docs = list(DocBin().from_bytes(raw).get_docs(Vocab()))
    except Exception as err:  # msgpack and spaCy raise many kinds on a damaged file
        raise reading.error(f"not a readable spaCy DocBin ({type(err).__name__}: {err})") from None
    sentences: list[RawSentence] = []
    for n, doc in enumerate(docs, start=1):
        has_pos = doc.has_annotation("TAG")
        for sent in doc.sents if doc.has_annotation("SENT_START") else [doc[:]]:
            words, tags, pos = [], [], []
            for token in sent:
                iob = token.ent_iob_ or "O"
                if not token.text.strip(" \t\n\r") and iob == "O":
                    reading.notes["whitespace tokens dropped"] += 1
                    continue
                words.append(token.text)
                tags.append(reading.tag("O" if iob == "O" else f"{iob}-{token.ent_type_}", f"doc {n}, token {token.i + 1}"))
                pos.append(token.tag_)
            if words:
                sentences.append((tuple(words), tuple(tags), tuple(pos) if has_pos else None))
    return sentences


def write(sentences: Iterable[Sentence]) -> bytes:
    from spacy.tokens import Doc, DocBin
    from spacy.vocab import Vocab

    vocab, docs = Vocab(), DocBin()
    for sentence in sentences:
        if not all(sentence.words):
            raise CorpusError("cannot write an empty token to a DocBin")
        spaces = [True] * (len(sentence) - 1) + [False] if len(sentence) else []
        try:
            docs.add(Doc(vocab, words=list(sentence.words), spaces=spaces,
                         tags=list(sentence.pos) if sentence.pos is not None else None, ents=list(sentence.tags)))
        except ValueError as err:
            raise CorpusError(f"cannot write {' '.join(sentence.words)!r} to a DocBin: {err}") from None
    return docs.to_bytes()
