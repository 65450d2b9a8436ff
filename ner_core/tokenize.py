"""Free text -> sentences of tokens, with spaCy's rule-based English tokenizer and sentencizer."""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def _nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 5_000_000
    return nlp


def tokenize(text: str) -> list[list[str]]:
    """Sentences of non-whitespace tokens; ``[]`` for blank text."""
    doc = _nlp()(text)
    sentences = [[t.text for t in sent if not t.is_space] for sent in doc.sents]
    return [s for s in sentences if s]
