"""JSON lines (or one JSON array) of records: tokens with tags, or text with character spans.

One record is one sentence. A record holds either

* tokens and tags: ``{"tokens": [...], "tags": [...]}``; ``words`` for ``tokens``, ``ner_tags`` or
  ``labels`` for ``tags`` (tag strings), and ``pos`` or ``pos_tags`` (strings) optionally; or
* text and character spans ``[start, end)``, as annotation tools export them: Prodigy
  ``{"text", "spans": [{"start", "end", "label"}]}`` (its own ``tokens`` are used when they carry
  offsets; ``"answer": "reject"`` / ``"ignore"`` records are skipped), doccano
  ``{"text", "label": [[start, end, label]]}`` or ``"entities": [{"start_offset", "end_offset",
  "label"}]``, Label Studio's JSON export ``{"data": {"text"}, "annotations": [{"result":
  [{"value": {"start", "end", "labels"}}]}]}`` (the first annotation not cancelled; tasks without
  one are skipped) and its JSON-MIN ``{"text", "label": [{"start", "end", "labels"}]}``.
  The text is tokenised with spaCy's English tokenizer (:mod:`ner_core.data.tokenize`: zero-width
  characters are whitespace there). Whitespace and zero-width characters at a span's edges are trimmed
  (counted), and a span of nothing else is dropped (counted); a token that a span begins or ends inside is
  split there (counted: ``BRCA1`` tagged in ``BRCA1/2``); a span that overlaps another or lies outside the
  text is refused with its line. Of a Label Studio task annotated by several people the first annotation
  is read (counted).

A record with ``tokens`` or ``text`` alone is unlabelled: all ``O`` (counted), for tagging and the pool.

Writing: ``{"tokens", "tags"}`` (and ``"pos"`` where known) per line (:func:`write`), or the annotation tools' own
tasks, the words joined by single spaces into the text with its tokens' offsets (so that reading a file back gives
the same tokens): Prodigy's accepted ``ner_manual`` answers (:func:`write_prodigy`, for ``prodigy db-in``) and Label
Studio's annotated tasks for its default NER labelling config (:func:`write_label_studio`, a JSON array for its
import; the tokens in ``data.tokens``).
"""
from __future__ import annotations

import itertools
import json
import re
from typing import Iterable, Iterator, Sequence

from ..tags import spans as tag_spans
from ..tags import type_problem
from ..tokenize import invisible, tokenize_with_offsets
from .base import RawSentence, Reading, Sentence

_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_TOKEN_KEYS = ("tokens", "words")
_TAG_KEYS = ("tags", "ner_tags", "labels")
_POS_KEYS = ("pos", "pos_tags")
_SPAN_KEYS = ("spans", "entities", "label", "labels")  # with text: doccano's "labels" of older versions


def read(lines: Iterable[str], reading: Reading) -> Iterator[RawSentence]:
    """The sentences of JSON lines, one line at a time; a file that is one JSON array is read whole
    (rare, and a record may span lines there)."""
    for line, record in _records(lines, reading):
        sentence = _record(record, line, reading)
        if sentence is not None:
            yield sentence


def write(sentences: Iterable[Sentence]) -> Iterator[str]:
    """One JSON line per sentence."""
    for sentence in sentences:
        record: dict = {"tokens": list(sentence.words), "tags": list(sentence.tags)}
        if sentence.pos is not None:
            record["pos"] = list(sentence.pos)
        yield json.dumps(record, ensure_ascii=False) + "\n"


def write_prodigy(sentences: Iterable[Sentence]) -> Iterator[str]:
    """One accepted Prodigy task per line: ``text``, ``tokens`` (with offsets) and entity ``spans``."""
    for sentence in sentences:
        text, tokens = _text(sentence.words)
        spans = [{"start": tokens[s.start]["start"], "end": tokens[s.end - 1]["end"], "token_start": s.start,
                  "token_end": s.end - 1, "label": s.type} for s in tag_spans(sentence.tags)]
        yield json.dumps({"text": text, "tokens": tokens, "spans": spans, "answer": "accept"}, ensure_ascii=False) + "\n"


def write_label_studio(sentences: Iterable[Sentence]) -> Iterator[str]:
    """A JSON array of Label Studio tasks, each with one annotation of ``labels`` results (``label`` on ``text``)."""
    yield "["
    for n, sentence in enumerate(sentences):
        text, tokens = _text(sentence.words)
        result = [{"id": f"s{n}e{i}", "from_name": "label", "to_name": "text", "type": "labels",
                   "value": {"start": start, "end": end, "text": text[start:end], "labels": [s.type]}}
                  for i, s in enumerate(tag_spans(sentence.tags))
                  for start, end in [(tokens[s.start]["start"], tokens[s.end - 1]["end"])]]
        task = {"data": {"text": text, "tokens": tokens}, "annotations": [{"result": result}]}
        yield ("," if n else "") + "\n" + json.dumps(task, ensure_ascii=False)
    yield "\n]\n"


def _text(words: Sequence[str]) -> tuple[str, list[dict]]:
    """The words joined by single spaces, and Prodigy's token records of them."""
    tokens, start = [], 0
    for i, word in enumerate(words):
        tokens.append({"text": word, "start": start, "end": start + len(word), "id": i, "ws": i < len(words) - 1})
        start += len(word) + 1
    return " ".join(words), tokens


def _records(lines: Iterable[str], reading: Reading) -> Iterator[tuple[int, object]]:
    """``(line, record)`` for each line of JSON lines, or each element of one JSON array."""
    lines = iter(lines)
    head: list[str] = []  # the lines up to the first that is not JSON whitespace only
    for line in lines:
        head.append(line)
        start = _JSON_SPACE.match(line).end()
        if start < len(line):
            break
    else:
        return
    if line.startswith("[", start):
        yield from _array("".join(itertools.chain(head, lines)), reading)
        return
    for line_no, line in enumerate(itertools.chain(head, lines), start=1):
        if line.strip():
            try:
                yield line_no, json.loads(line)
            except json.JSONDecodeError as err:
                raise reading.error(f"invalid JSON: {err.msg} (column {err.colno})", line_no) from None


def _array(text: str, reading: Reading) -> Iterator[tuple[int, object]]:
    """``(line, record)`` for each element of the JSON array ``text``."""
    start = _JSON_SPACE.match(text).end()
    decoder, position, line, counted = json.JSONDecoder(), start + 1, 1, 0
    while True:
        position = _JSON_SPACE.match(text, position).end()
        line, counted = line + text.count("\n", counted, position), position
        if text.startswith("]", position):
            break
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as err:
            raise reading.error(f"invalid JSON: {err.msg} (column {err.colno})", err.lineno) from None
        yield line, record
        position = _JSON_SPACE.match(text, position).end()
        if text.startswith(",", position):
            position += 1
        elif not text.startswith("]", position):
            raise reading.error("invalid JSON: expected ',' or ']' after a record", text.count("\n", 0, position) + 1)
    if text[position + 1 :].strip():
        raise reading.error("invalid JSON: text after the closing ']'", text.count("\n", 0, position) + 1)


def _first(record: dict, keys: tuple[str, ...]) -> str | None:
    return next((k for k in keys if k in record), None)


def _record(record: object, line: int, reading: Reading) -> RawSentence | None:
    if not isinstance(record, dict):
        raise reading.error(f"expected a record (a JSON object), got {type(record).__name__}", line)
    if record.get("answer") in ("reject", "ignore"):
        reading.notes["rejected or ignored records skipped"] += 1
        return None
    if isinstance(record.get("data"), dict) and ("annotations" in record or "completions" in record):
        reading.notes["Label Studio tasks"] += 1
        return _label_studio(record, line, reading)
    token_key, tag_key = _first(record, _TOKEN_KEYS), _first(record, _TAG_KEYS)
    if token_key and tag_key:
        return _from_tags(record, token_key, tag_key, line, reading)
    if isinstance(record.get("text"), str) and (_first(record, _SPAN_KEYS) or isinstance(record.get("tokens"), list)):
        items = record.get(_first(record, _SPAN_KEYS) or "spans") or []
        return _from_spans(record["text"], items, record.get("tokens"), line, reading)
    unlabelled = token_key and isinstance(record[token_key], list) or isinstance(record.get("text"), str)
    if unlabelled and not reading.ignore_tags:  # worth a note only where tags count
        reading.notes["records without tags read as all O"] += 1
    if token_key and isinstance(record[token_key], list):  # unlabelled: tokens alone
        return _from_tags({**record, "tags": ["O"] * len(record[token_key])}, token_key, "tags", line, reading)
    if isinstance(record.get("text"), str):  # unlabelled: text alone
        return _from_spans(record["text"], [], None, line, reading)
    if _first(record, _SPAN_KEYS) and not isinstance(record.get("text"), str):  # JSON-MIN names the text as its config does
        fields = ", ".join(k for k, v in record.items() if isinstance(v, str))
        raise reading.error(f"a record with spans needs its text under the key text (its string fields: {fields or 'none'}); "
                            "rename the field, or export Label Studio's JSON (not JSON-MIN), which names it in data", line)
    if reading.ignore_tags:
        raise reading.error("a record needs text (key text) or tokens (keys tokens/words)", line)
    raise reading.error(
        "a record needs tokens and tags (keys tokens/words and tags/ner_tags/labels) or text and spans "
        "(keys text and spans/entities/label, or Label Studio's data and annotations)",
        line,
    )


def _from_tags(record: dict, token_key: str, tag_key: str, line: int, reading: Reading) -> RawSentence | None:
    words, tags = record[token_key], record[tag_key]
    if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
        raise reading.error(f"'{token_key}' must be a list of non-empty strings", line)
    if not isinstance(tags, list) or len(tags) != len(words):
        raise reading.error(f"'{tag_key}' must be a list of as many tags as there are tokens ({len(words)})", line)
    if not all(isinstance(t, str) for t in tags):
        raise reading.error(
            f"'{tag_key}' holds numbers: give the tag strings (B-PER, ...), not label ids", line
        )
    if not words:
        reading.notes["empty records skipped"] += 1
        return None
    pos_key = _first(record, _POS_KEYS)
    pos = record.get(pos_key) if pos_key else None
    pos_ok = isinstance(pos, list) and len(pos) == len(words) and all(isinstance(p, str) for p in pos)
    return tuple(words), tuple(reading.tag(t, line) for t in tags), tuple(pos) if pos_ok else None


def _label_studio(record: dict, line: int, reading: Reading) -> RawSentence | None:
    data = record["data"]
    text = data.get("text")
    if not isinstance(text, str):
        strings = [v for v in data.values() if isinstance(v, str)]
        if len(strings) != 1:
            raise reading.error("a Label Studio task needs its text in data.text", line)
        text = strings[0]
    annotations = [a for a in record.get("annotations") or record.get("completions") or []
                   if isinstance(a, dict) and not a.get("was_cancelled")]
    if not annotations:
        reading.notes["tasks without an annotation skipped"] += 1
        return None
    if len(annotations) > 1:
        reading.notes["tasks annotated by several people: the first annotation kept"] += 1
    results = [r for r in annotations[0].get("result") or [] if isinstance(r, dict) and r.get("type", "labels") == "labels"]
    return _from_spans(text, results, data.get("tokens"), line, reading)


def _span(item: object, line: int, reading: Reading) -> tuple[int, int, str]:
    """``(start, end, label)`` of one span in any of the accepted shapes."""
    if isinstance(item, (list, tuple)) and len(item) == 3:
        start, end, label = item
    elif isinstance(item, dict):
        value = item.get("value", item) if isinstance(item.get("value"), dict) else item
        start, end = value.get("start", value.get("start_offset")), value.get("end", value.get("end_offset"))
        label = value.get("label", value.get("labels"))
        if isinstance(label, list):
            if len(label) != 1:
                raise reading.error(f"the span {start}-{end} has {len(label)} labels; expected one", line)
            label = label[0]
    else:
        raise reading.error(f"a span must be [start, end, label] or an object, got {item!r}", line)
    if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
        raise reading.error(f"a span needs integer start and end offsets, got {item!r}", line)
    problem = type_problem(label) if isinstance(label, str) else f"a span's label must be a string, got {label!r}"
    if problem is not None:
        raise reading.error(problem, line)
    return start, end, label


def _tokens(text: str, tokens: object, reading: Reading) -> list[tuple[int, int]]:
    """Token ``(start, end)`` offsets: the record's own (Prodigy's, or ours in a Label Studio task's data) where they
    carry offsets, else spaCy's (counted: a corpus tokenised otherwise shows it in the summary)."""
    if isinstance(tokens, list) and tokens and all(isinstance(t, dict) and isinstance(t.get("start"), int)
                                                   and isinstance(t.get("end"), int) for t in tokens):
        offsets = [(t["start"], t["end"]) for t in tokens]
        if all(0 <= s < e <= len(text) for s, e in offsets):
            return [(s, e) for s, e in offsets if not invisible(text[s:e])]
    if not reading.ignore_tags:  # a corpus: a file of the same sentences with their tokens would count others
        reading.notes["texts without their tokens, tokenised with spaCy"] += 1
    return [(t.start, t.start + len(t.text)) for sentence in tokenize_with_offsets(text) for t in sentence]


def _from_spans(text: str, items: object, tokens: object, line: int, reading: Reading) -> RawSentence | None:
    if not isinstance(items, list):
        raise reading.error(f"the spans must be a list, got {type(items).__name__}", line)
    offsets = _tokens(text, tokens, reading)
    if not offsets:
        reading.notes["empty records skipped"] += 1
        return None
    starts, ends = {s for s, _ in offsets}, {e for _, e in offsets}
    entities = []
    for start, end, label in sorted(_span(item, line, reading) for item in items):
        if not 0 <= start < end <= len(text):
            raise reading.error(f"the span {start}-{end} ({label}) lies outside the text of {len(text)} characters", line)
        trimmed_start, trimmed_end = start, end  # trimmed of what shows nothing and is no token's
        while trimmed_start < trimmed_end and trimmed_start not in starts and invisible(text[trimmed_start]):
            trimmed_start += 1
        while trimmed_end > trimmed_start and trimmed_end not in ends and invisible(text[trimmed_end - 1]):
            trimmed_end -= 1
        if trimmed_start == trimmed_end:
            reading.notes["entities of only whitespace or zero-width characters dropped"] += 1
            continue
        if (trimmed_start, trimmed_end) != (start, end):
            reading.notes["span edges trimmed of whitespace or zero-width characters"] += 1
        entities.append((trimmed_start, trimmed_end, label, start, end))
    offsets = _split_at(offsets, {edge for entity in entities for edge in entity[:2]}, reading)
    first_of, last_of = {s: i for i, (s, _) in enumerate(offsets)}, {e: i for i, (_, e) in enumerate(offsets)}
    tags = ["O"] * len(offsets)
    owner: list[tuple[int, int] | None] = [None] * len(offsets)
    for trimmed_start, trimmed_end, label, start, end in entities:
        if trimmed_start not in first_of or trimmed_end not in last_of:  # an edge in whitespace that is a token's
            raise reading.error(f"the span {start}-{end} {text[start:end]!r} ({label}) does not begin and end on token "
                                "boundaries", line)
        first, last = first_of[trimmed_start], last_of[trimmed_end]
        clash = next((o for o in owner[first : last + 1] if o is not None), None)
        if clash is not None:
            raise reading.error(f"the span {start}-{end} ({label}) overlaps the span {clash[0]}-{clash[1]}", line)
        for i in range(first, last + 1):
            tags[i] = ("B-" if i == first else "I-") + label
            owner[i] = (start, end)
    return tuple(text[s:e] for s, e in offsets), tuple(tags), None


def _split_at(offsets: list[tuple[int, int]], edges: set[int], reading: Reading) -> list[tuple[int, int]]:
    """The tokens split where an entity begins or ends inside one (``BRCA1`` of ``BRCA1/2``: ``BRCA1``, ``/2``), counted."""
    split = []
    for start, end in offsets:
        cuts = sorted(edge for edge in edges if start < edge < end)
        if cuts:
            reading.notes["tokens split where an entity begins or ends inside them"] += 1
        bounds = [start, *cuts, end]
        split += zip(bounds, bounds[1:])
    return split
