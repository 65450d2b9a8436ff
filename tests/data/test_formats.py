"""Corpus formats: files as other tools write them (tests/data/files), odd cases, refusals, round trips."""
import codecs
import csv
import io
import json
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from ner_core.data.corpus import (
    EXPORTS,
    SPAN_FORMATS,
    CorpusError,
    Sentence,
    corpus_bytes,
    format_corpus,
    format_problem,
    load_corpus,
    load_corpus_bytes,
    load_split,
    read_corpus,
    split_corpus,
    write_corpus,
)
from ner_core.data.formats.csv_safety import escape_cell, safe_csv, unescape_cell
from ner_core.data.formats.source import text_lines

DATA = Path(__file__).parent / "files"


def words_tags(sentences):
    return [(list(s.words), list(s.tags)) for s in sentences]


# ---------------------------------------------------------------- CoNLL and tag schemes


def test_conll2003_iob1_with_docstart_and_four_columns():
    read = load_corpus(DATA / "conll2003_iob1.txt")
    assert words_tags(read.sentences) == [
        (["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."],
         ["B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"]),
        (["Peter", "Blackburn"], ["B-PER", "I-PER"]),
        (["BRUSSELS", "1996-08-22"], ["B-LOC", "O"]),
        (["Flights", "from", "Bonn", "Berlin", "resumed", "."], ["O", "O", "B-LOC", "B-LOC", "O", "O"]),
    ]
    assert read.sentences[0].pos[:3] == ("NNP", "VBZ", "JJ")
    assert (read.format, read.encoding, read.scheme, read.converted) == ("conll", "utf-8", "IOB1", {"I->B": 6})
    assert "IOB1" in read.summary() and "I->B 6" in read.summary()


def test_bioes_tab_separated_with_bom_and_a_blank_line_of_spaces(tmp_path):
    path = tmp_path / "bom.tsv"
    path.write_bytes(codecs.BOM_UTF8 + (DATA / "bioes.tsv").read_bytes())
    for source in (DATA / "bioes.tsv", path):
        read = load_corpus(source)
        assert words_tags(read.sentences) == [
            (["Aspirin", "reduces", "fever", "in", "New", "South", "Wales", "."],
             ["B-drug", "O", "O", "O", "B-location", "I-location", "I-location", "O"]),
            (["500", "mg", "daily"], ["B-dose", "I-dose", "O"]),
        ]
        assert read.scheme == "BIOES" and read.converted == {"S->B": 1, "E->I": 2}
    assert load_corpus(path).encoding == "utf-8-sig"


def test_bilou():
    read = load_corpus(DATA / "bilou.conll")
    assert words_tags(read.sentences)[0][1] == ["B-org", "I-org", "I-org", "O", "B-dose", "I-dose", "O", "B-drug"]
    assert read.scheme == "BILOU" and read.converted == {"L->I": 2, "U->B": 2}
    assert read.sentences[1].pos is None


def test_multiconer_comment_lines_and_a_hash_token():
    read = load_corpus(DATA / "multiconer.conll")
    assert words_tags(read.sentences) == [
        (["le", "hôtel", "de", "ville", "de", "paris"], ["O", "B-LOC", "I-LOC", "I-LOC", "O", "B-LOC"]),
        (["#", "1", "pour", "stéphane"], ["O", "O", "O", "B-PER"]),
    ]
    assert read.notes == {"comment lines skipped": 2}


def test_i_after_o_in_an_iob2_file_is_repaired_and_counted():
    data = b"The O\nUN I-org\nsaid O\n\nin O\nB-foo.bar B-geo\nKabul I-geo\nvia O\nI-x I-per\n"
    read = load_corpus_bytes(data, "slip.conll")
    assert [s.tags for s in read.sentences] == [("O", "B-org", "O"), ("O", "B-geo", "I-geo", "O", "B-per")]
    assert read.scheme == "IOB2" and read.converted == {"I->B": 2}
    assert read.summary().endswith("tags IOB2, repaired (I->B 2 tags: I- tags that began an entity, read as B-; the first in "
                                   "the file's sentence 1)")  # helper-74: "tags IOB2, converted to IOB2 (I->B 1 tags)", and where?
    shifted = load_corpus_bytes(b"The O\nUN B-org\n\n" + data, "slip.conll")
    assert shifted.first_converted == 2 and "sentence 2)" in shifted.summary()


def test_any_type_is_accepted():
    read = load_corpus_bytes(b"a B-drug\nb I-drug\nc B-Dose_2.x-y\nd B-ORT\n", "x.conll")
    assert read.sentences[0].tags == ("B-drug", "I-drug", "B-Dose_2.x-y", "B-ORT")


@pytest.mark.parametrize("name, data, message", [
    ("x.conll", b"a O\nb X-foo\n", r"^x.conll:2: malformed tag 'X-foo': the prefix must be one of"),
    ("x.conll", b"a B-\n", r"^x.conll:1: malformed tag 'B-': no entity type after B-"),
    ("x.conll", b"a PER\n", r"^x.conll:1: malformed tag 'PER': expected O or PREFIX-TYPE"),
    ("x.conll", b"a b-per\n", r"^x.conll:1: malformed tag 'b-per'"),
    ("x.csv", b"Sentence #,Word,POS,Tag\nSentence: 1,a,DT,O\n,b,NN,\n", r"^x.csv:3: empty tag"),
    ("x.csv", b"Sentence #,Word,POS,Tag\nSentence: 1,a,DT,B-foo bar\n", r"^x.csv:2: malformed tag 'B-foo bar': a type holds"),
    ("x.jsonl", b'{"tokens": ["a"], "tags": ["B-"]}\n', r"^x.jsonl:1: malformed tag 'B-'"),
    ("x.conll", b"a\n", r"^x.conll:1: expected at least 2 columns"),
])
def test_malformed_tags_and_lines_are_refused_with_file_and_line(name, data, message):
    with pytest.raises(CorpusError, match=message):
        load_corpus_bytes(data, name)


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("codec, bom, expected", [
    ("utf-8", b"", "utf-8"), ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"), ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
    ("latin-1", b"", "latin-1"),
])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_encodings(codec, bom, expected, newline):
    text = "Müller B-per\nin O\nKöln B-geo\n\nCafé B-org\n".replace("\n", newline)
    read = load_corpus_bytes(bom + text.encode(codec), "x.conll")
    assert read.encoding == expected
    assert words_tags(read.sentences) == [(["Müller", "in", "Köln"], ["B-per", "O", "B-geo"]), (["Café"], ["B-org"])]


def test_one_bad_byte_in_a_utf8_file_is_refused_with_its_line():
    data = "Müller B-per\nin O\n".encode() + b"K\xf6ln B-geo\n"
    with pytest.raises(CorpusError, match=r"^up.conll:3: byte 0xf6 is not valid utf-8, yet the file holds UTF-8"):
        load_corpus_bytes(data, "up.conll")
    assert load_corpus_bytes(data, "up.conll", encoding="latin-1").sentences[0].words == ("MÃ¼ller", "in", "Köln")


def test_utf16_without_bom_is_not_text():
    with pytest.raises(CorpusError, match=r"not a text file .* UTF-16 needs a byte-order mark"):
        load_corpus_bytes("a O\n".encode("utf-16-le"), "x.conll")


def test_encoding_is_detected_across_chunks():
    # The file is decoded a megabyte at a time: what lies past the first chunk, or across a boundary, counts too.
    filler = b"a O\n" * 300_000  # 1.2 MB
    cut = filler[: (1 << 20) - 1]  # "é" straddles the first chunk's end
    assert load_corpus_bytes(cut + "é O\n".encode() + filler, "x.conll").encoding == "utf-8"
    assert load_corpus_bytes(filler + "K\xf6ln O\n".encode("latin-1"), "x.conll").encoding == "latin-1"
    late = filler + b"K\xf6ln O\n" + "Müller O\n".encode()  # the bad byte first, the UTF-8 text after it
    with pytest.raises(CorpusError, match=r"^x.conll:300001: byte 0xf6 is not valid utf-8, yet the file holds UTF-8"):
        load_corpus_bytes(late, "x.conll")
    with pytest.raises(CorpusError, match=r"^x.conll:300002: byte 0xff is not valid utf-8; save"):
        load_corpus_bytes(codecs.BOM_UTF8 + filler + b"b O\n\xff O\n", "x.conll")
    with pytest.raises(CorpusError, match=r"^x.conll: unknown encoding 'base64'"):
        load_corpus_bytes(filler, "x.conll", encoding="base64")


# ---------------------------------------------------------------- JSON lines and character spans


def test_jsonl_tokens_and_string_tags():
    read = load_corpus(DATA / "hf_tokens.jsonl")
    assert words_tags(read.sentences)[1] == (["Peter", "Blackburn"], ["B-PER", "I-PER"])
    assert read.sentences[0].pos[0] == "NNP" and read.sentences[1].pos is None  # numeric POS ids are ignored
    assert read.format == "jsonl"


def test_prodigy_spans_with_its_tokens_and_skipped_answers():
    read = load_corpus(DATA / "prodigy.jsonl")
    assert words_tags(read.sentences) == [
        (["Angela", "Merkel", "visited", "Paris", "."], ["B-PERSON", "I-PERSON", "O", "B-GPE", "O"]),
        (["No", "entities", "here", ",", "Dr.", "Who", "?"], ["O"] * 7),
    ]
    assert read.notes == {"rejected or ignored records skipped": 1, "texts without their tokens, tokenised with spaCy": 1}  # one record has no tokens


def test_doccano_label_and_entities():
    assert words_tags(read_corpus(DATA / "doccano.jsonl")) == [
        (["Metformin", "500", "mg", "twice", "daily", "."], ["B-drug", "B-dose", "I-dose", "O", "O", "O"]),
        (["EU", "rejects", "German", "call", "."], ["B-org", "O", "B-misc", "O", "O"]),
    ]


def test_label_studio_export_and_json_min():
    read = load_corpus(DATA / "label_studio.json")
    assert words_tags(read.sentences) == [
        (["Angela", "Merkel", "met", "Macron", "in", "Berlin", "."], ["B-PER", "I-PER", "O", "O", "O", "B-LOC", "O"]),
    ]
    assert read.notes == {"tasks without an annotation skipped": 1, "Label Studio tasks": 2, "texts without their tokens, tokenised with spaCy": 1}  # helper-74: said
    assert read.summary().endswith("label_studio.json: jsonl, utf-8, 1 sentence, 7 tokens, tags IOB2, Label Studio tasks: 2, tasks "
                                   "without an annotation skipped: 1, texts without their tokens, tokenised with spaCy: 1")
    assert words_tags(read_corpus(DATA / "label_studio_min.json")) == [(["Aspirin", "100", "mg"], ["B-drug", "B-dose", "I-dose"])]


def test_span_edges_with_whitespace_are_trimmed():
    read = load_corpus_bytes(b'{"text": "in New York now", "spans": [{"start": 2, "end": 12, "label": "geo"}]}', "x.jsonl")
    assert read.sentences[0].tags == ("O", "B-geo", "I-geo", "O")
    assert read.notes == {"span edges trimmed of whitespace or zero-width characters": 1, "texts without their tokens, tokenised with spaCy": 1}


def test_a_token_a_span_begins_or_ends_inside_is_split_there():
    """helper-70: one span inside a token ("BRCA1" of "BRCA1/2", usual in biomedical text) refused the whole file."""
    read = load_corpus_bytes(b'{"text": "New Yorkers cheered", "label": [[0, 8, "geo"]]}\n'
                             b'{"text": "BRCA1/2 carriers", "labels": [[0, 5, "GENE"]]}\n', "x.jsonl")  # doccano's older "labels"
    assert words_tags(read.sentences) == [(["New", "York", "ers", "cheered"], ["B-geo", "I-geo", "O", "O"]),
                                          (["BRCA1", "/2", "carriers"], ["B-GENE", "O", "O"])]
    assert read.notes == {"tokens split where an entity begins or ends inside them": 2, "texts without their tokens, tokenised with spaCy": 2}


def test_of_a_task_annotated_by_several_people_the_first_annotation_is_read_and_counted():
    task = {"data": {"text": "Aspirin helps"}, "annotations": [
        {"result": [{"type": "labels", "value": {"start": 0, "end": 7, "labels": ["CHEM"]}}]},
        {"result": [{"type": "labels", "value": {"start": 8, "end": 13, "labels": ["EFFECT"]}}]}]}
    read = load_corpus_bytes(json.dumps([task]).encode(), "x.json")
    assert words_tags(read.sentences) == [(["Aspirin", "helps"], ["B-CHEM", "O"])]
    assert read.notes == {"tasks annotated by several people: the first annotation kept": 1, "Label Studio tasks": 1, "texts without their tokens, tokenised with spaCy": 1}


@pytest.mark.parametrize("record, message", [
    ('{"text": "New York", "label": [[0, 8, "geo"], [4, 8, "city"]]}', r"^x.jsonl:2: the span 4-8 \(city\) overlaps the span 0-8"),
    ('{"text": "abc", "label": [[0, 9, "geo"]]}', r"^x.jsonl:2: the span 0-9 \(geo\) lies outside the text"),
    ('{"text": "abc", "label": [[0, 3, "a b"]]}', r"^x.jsonl:2: label 'a b'"),
    ('{"tokens": ["a"], "ner_tags": [3]}', r"^x.jsonl:2: 'ner_tags' holds numbers"),
    ('{"tokens": ["a", "b"], "tags": ["O"]}', r"^x.jsonl:2: 'tags' must be a list of as many tags"),
    ('{"sentence": "abc"}', r"^x.jsonl:2: a record needs tokens and tags"),
    ('{"abstract": "Aspirin helps", "id": 3, "label": [{"start": 0, "end": 7, "labels": ["CHEM"]}]}',  # helper-70: JSON-MIN
     r"^x.jsonl:2: a record with spans needs its text under the key text \(its string fields: abstract\); rename the field"),
    ('{"text": "abc", "label": [[0, 3', r"^x.jsonl:2: invalid JSON"),
])
def test_bad_json_records_are_refused_with_their_line(record, message):
    data = ('{"tokens": ["ok"], "tags": ["O"]}\n' + record + "\n").encode()
    with pytest.raises(CorpusError, match=message):
        load_corpus_bytes(data, "x.jsonl")


def test_a_bad_record_in_a_json_array_is_reported_with_its_line():
    data = b'[\n  {"tokens": ["a"], "tags": ["O"]},\n  {"tokens": ["b"],\n   "tags": ["Q"]}\n]\n'
    with pytest.raises(CorpusError, match=r"^x.json:3: malformed tag 'Q'"):
        load_corpus_bytes(data, "x.json")


# ---------------------------------------------------------------- spaCy DocBin


def test_docbin_written_by_spacy():
    import spacy
    from spacy.tokens import DocBin, Span

    nlp = spacy.blank("en")
    doc = nlp("Angela Merkel visited Paris.  Then she left.")
    doc.ents = [Span(doc, 0, 2, "PERSON"), Span(doc, 3, 4, "GPE")]
    for token in doc:
        token.is_sent_start = token.i in (0, 6)
    plain = nlp("No entities")  # no entity annotation at all
    read = load_corpus_bytes(DocBin(docs=[doc, plain]).to_bytes(), "train.spacy")
    assert words_tags(read.sentences) == [
        (["Angela", "Merkel", "visited", "Paris", "."], ["B-PERSON", "I-PERSON", "O", "B-GPE", "O"]),
        (["Then", "she", "left", "."], ["O"] * 4),
        (["No", "entities"], ["O", "O"]),
    ]
    assert read.notes == {"whitespace tokens dropped": 1} and read.encoding is None and read.format == "spacy"


def test_a_docbin_tag_is_named_by_its_doc_and_token():
    import spacy
    from spacy.tokens import DocBin, Span

    nlp = spacy.blank("en")
    first, second = nlp("Angela Merkel spoke"), nlp("They saw Hamlet")
    first.ents = [Span(first, 0, 2, "PERSON")]
    second.ents = [Span(second, 2, 3, "WORK OF ART")]
    with pytest.raises(CorpusError, match=r"^x.spacy, doc 2, token 3: malformed tag 'B-WORK OF ART'"):
        load_corpus_bytes(DocBin(docs=[first, second]).to_bytes(), "x.spacy")
    second.ents = [Span(second, 2, 3, "ART")]
    read = load_corpus_bytes(DocBin(docs=[first, second]).to_bytes(), "x.spacy")
    assert read.as_written(["B-ART", "B-PERSON"]) == ["B-PERSON (doc 1, token 1)", "I-PERSON (doc 1, token 2)", "B-ART (doc 2, token 3)"]


def test_not_a_docbin():
    with pytest.raises(CorpusError, match=r"^x.spacy: not a spaCy DocBin"):
        load_corpus_bytes(b"hello", "x.spacy")


# ---------------------------------------------------------------- uploads: size, zip bombs, CSV fields


def _zip(member: str, payload: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(member, payload)
    return out.getvalue()


def test_zip_bomb_is_refused_quickly_with_bounded_memory(monkeypatch):
    monkeypatch.setenv("NER_MAX_UPLOAD_MB", "2")
    bomb = _zip("ner.csv", b"Sentence #,Word,POS,Tag\n" + b"0" * 60_000_000)
    assert len(bomb) < 100_000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(CorpusError, match=r"^bomb.csv.zip: ner.csv expands to 60.0 MB, over the limit of 2.0 MB \(set NER_MAX_UPLOAD_MB"):
        load_corpus_bytes(bomb, "bomb.csv.zip")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert time.perf_counter() - started < 1 and peak < 1_000_000


def test_zip_member_that_lies_about_its_size_is_read_no_further(monkeypatch):
    monkeypatch.setenv("NER_MAX_UPLOAD_MB", "2")
    bomb = bytearray(_zip("ner.csv", b"0" * 20_000_000))
    declared = (20_000_000).to_bytes(4, "little")
    assert bomb.count(declared) == 2  # the local header and the central directory
    bomb = bytes(bomb).replace(declared, (1000).to_bytes(4, "little"))
    tracemalloc.start()
    with pytest.raises(CorpusError, match=r"^lie.csv.zip: not a valid zip archive"):
        load_corpus_bytes(bomb, "lie.csv.zip")
    assert tracemalloc.get_traced_memory()[1] < 5_000_000
    tracemalloc.stop()


def test_size_cap_for_plain_files_and_docbin(monkeypatch):
    monkeypatch.setenv("NER_MAX_UPLOAD_MB", "0.001")
    with pytest.raises(CorpusError, match=r"^big.conll: 0.0 MB, over the limit of 0.0 MB"):
        load_corpus_bytes(b"a O\n" * 300, "big.conll")
    import zlib

    with pytest.raises(CorpusError, match=r"^big.spacy: expands to more than the limit"):
        load_corpus_bytes(zlib.compress(b"\0" * 100_000), "big.spacy")
    monkeypatch.setenv("NER_MAX_UPLOAD_MB", "lots")
    with pytest.raises(CorpusError, match="NER_MAX_UPLOAD_MB='lots' is not a number"):
        load_corpus_bytes(b"a O\n", "x.conll")


def test_zip_must_hold_one_file():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.csv", "x")
        archive.writestr("b.csv", "y")
    with pytest.raises(CorpusError, match="must hold exactly one file, found 2"):
        load_corpus_bytes(out.getvalue(), "two.zip")


def test_zipped_conll_is_named_by_its_member():
    read = load_corpus_bytes(_zip("train.conll", b"Paris B-geo\n"), "upload.zip")
    assert read.format == "conll" and read.sentences[0].tags == ("B-geo",)


def test_csv_field_over_the_limit_is_a_corpus_error_with_its_line():
    data = b"Sentence #,Word,POS,Tag\nSentence: 1,a,DT,O\n," + b"x" * 200_000 + b",NN,O\n"
    with pytest.raises(CorpusError, match=r"^huge.csv:3: unreadable CSV: a field longer than 131,072 characters"):
        load_corpus_bytes(data, "huge.csv")


def test_a_zip_is_read_as_a_stream_with_bounded_memory():
    # 24 MB of (long) document markers, then one sentence: a reader holding the file or its text needs > 24 MB.
    data = _zip("big.conll", (b"-DOCSTART-\t" + b"x" * 10_000 + b"\n") * 2_400 + b"Paris B-geo\n")
    tracemalloc.start()
    read = load_corpus_bytes(data, "big.conll.zip")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert read.sentences == [Sentence(("Paris",), ("B-geo",))] and peak < 12_000_000


@pytest.mark.parametrize("env, limit, message", [
    ("NER_MAX_IMPORT_SENTENCES", "3",
     r"^x.conll: more than 3 sentences, the limit per file \(stopped reading at 4 sentences\); set NER_MAX_IMPORT_SENTENCES"),
    ("NER_MAX_IMPORT_TOKENS", "7",
     r"^x.conll: more than 7 tokens, the limit per file \(stopped reading at 8 tokens\); set NER_MAX_IMPORT_TOKENS"),
])
def test_a_file_over_a_limit_is_refused_before_it_is_read_in_full(monkeypatch, env, limit, message):
    import ner_core.data.corpus

    monkeypatch.setenv(env, limit)
    lines_read = []

    def counted(*args):
        for line in text_lines(*args):
            lines_read.append(line)
            yield line

    monkeypatch.setattr(ner_core.data.corpus, "text_lines", counted)
    data = b"a O\nb O\n\n" * 100_000 + b"a MALFORMED\n"  # the malformed tail is never reached
    with pytest.raises(CorpusError, match=message):
        load_corpus_bytes(data, "x.conll")
    assert len(lines_read) < 20
    assert len(load_corpus_bytes(b"a O\nb O\n\nc O\n", "x.conll").sentences) == 2  # at the limit: read
    monkeypatch.setenv(env, "lots")
    with pytest.raises(CorpusError, match=f"{env}='lots' is not a whole number"):
        load_corpus_bytes(b"a O\n", "x.conll")


def test_equal_strings_of_a_file_are_one_object():
    data = b"Sentence #,Word,POS,Tag\nSentence: 1,the,DT,O\n,UN,NNP,B-org\nSentence: 2,the,DT,O\n,UN,NNP,I-org\n"
    first, second = load_corpus_bytes(data, "x.csv").sentences
    assert first.words[0] is second.words[0] and first.words[1] is second.words[1]
    assert first.pos[1] is second.pos[1] and first.tags[1] is second.tags[1] == "B-org"  # I-org repaired to B-org


# ---------------------------------------------------------------- writers


ODD = [
    Sentence(("=HYPERLINK(\"http://x\",\"y\")", "+1", "-", "@user", "'=x", "''+y", "'s", "\tz", "\rw"),
             ("B-org", "O", "O", "B-per", "O", "O", "O", "O", "O"), ("NNP", "-LRB-", ":", "NN", "POS", "'", "POS", "X", "Y")),
    Sentence(("\x85", "5\xa0storm", "Müller", "日本", "a\u2028b", "#"), ("O", "B-eve", "B-per", "B-geo", "O", "O"), None),
    Sentence(("Aspirin",), ("B-drug.name",), ("NN",)),
]


@pytest.mark.parametrize("suffix", [".csv", ".conll", ".jsonl", ".spacy"])
def test_every_writer_round_trips(tmp_path, suffix):
    sentences = ODD if suffix != ".conll" else [ODD[1], ODD[2], Sentence(ODD[0].words[:7], ODD[0].tags[:7], ODD[0].pos[:7])]
    path = tmp_path / f"out{suffix}"
    write_corpus(sentences, path)
    back = read_corpus(path)
    assert back == sentences
    if suffix != ".csv":  # Kaggle CSV has a POS column for every sentence
        assert [s.pos for s in back] == [s.pos for s in sentences]


@pytest.mark.parametrize("token", ["\tz", "a\nb", "x\r", " lead", "trail ", "-DOCSTART-", ""])
def test_conll_refuses_tokens_it_cannot_write_and_says_so_before_writing(token):
    sentences = [*ODD[1:], Sentence(("ok", token), ("O", "O")), ODD[2]]
    with pytest.raises(CorpusError) as raised:
        format_corpus(sentences, "conll")
    assert (f"cannot write {token!r} to CoNLL" if token else "cannot write an empty token to CoNLL") in str(raised.value)
    assert format_problem(sentences, "conll") == str(raised.value)  # the app's export says it without writing
    assert format_problem(sentences, "csv") is None and format_problem(sentences, "jsonl") is None
    assert format_problem(sentences[:2], "conll") is None


def test_conll_export_is_tab_separated():
    assert format_corpus(ODD[1:], "conll") == (
        "\x85\tO\n5\xa0storm\tB-eve\nMüller\tB-per\n日本\tB-geo\na\u2028b\tO\n#\tO\n\nAspirin\tNN\tB-drug.name\n\n"
    )


def test_kaggle_sample():
    read = load_corpus(DATA / "kaggle.csv")
    assert words_tags(read.sentences)[1] == (["Iranian", "officials", "say"], ["B-gpe", "O", "O"])
    assert read.sentences[0].pos[-2:] == ("NNP", ".") and (read.format, read.encoding) == ("csv", "utf-8")


def test_csv_export_is_safe_in_a_spreadsheet():
    text = format_corpus(ODD, "csv")
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=HYPERLINK" in text and "'''=x" not in text and "''=x" in text and "'''+y" in text
    for cell in ["=1", "'=1", "''=1", "'s", "", "-", "a=b", "'"]:
        assert unescape_cell(escape_cell(cell)) == cell


def test_predict_style_csv_of_a_data_frame_is_safe_in_a_spreadsheet():
    import pandas as pd

    frame = pd.DataFrame({"sentence": [1, 1, 2, 2, 2], "token": ["=1+1", "-", "@user", "\tz", "'=x"],
                          "tag": ["O", "B-per", "O", "O", "O"], "probability": [0.5, -0.25, 1.0, 0.75, 0.125]})
    rows = list(csv.reader(io.StringIO(safe_csv(frame), newline="")))
    assert rows[0] == ["sentence", "token", "tag", "probability"]
    assert [r[1] for r in rows[1:]] == ["'=1+1", "'-", "'@user", "'\tz", "''=x"]
    assert [r[3] for r in rows[1:]] == ["0.5", "-0.25", "1.0", "0.75", "0.125"]  # numbers are not text: as they are
    assert [unescape_cell(r[1]) for r in rows[1:]] == list(frame["token"])


def test_a_failed_write_leaves_no_file(tmp_path):
    with pytest.raises(CorpusError, match="cannot write"):
        write_corpus([ODD[2], Sentence(("a\tb",), ("O",))], tmp_path / "out.conll")
    assert not list(tmp_path.iterdir())


def test_corpus_bytes_and_unknown_formats(tmp_path):
    assert corpus_bytes(ODD[2:], "jsonl") == b'{"tokens": ["Aspirin"], "tags": ["B-drug.name"], "pos": ["NN"]}\n'
    with pytest.raises(CorpusError, match="cannot write the format 'xml'; use one of csv, conll, jsonl, spacy, prodigy"):
        format_corpus(ODD, "xml")
    with pytest.raises(CorpusError, match="out.xml: unknown corpus format"):
        write_corpus(ODD, tmp_path / "out.xml")


# ---------------------------------------------------------------- train / dev / test files


def test_load_split(tmp_path):
    sentences = [Sentence((f"w{i}",), ("O",)) for i in range(50)]
    for name, part in (("all", sentences), ("dev", sentences[:5]), ("test", sentences[5:9])):
        write_corpus(part, tmp_path / f"{name}.conll")
    one = load_split(tmp_path / "all.conll")
    assert one == split_corpus(sentences) and one.sources[0].endswith("conll, utf-8, 50 sentences, 50 tokens, tags IOB2")
    given = load_split(tmp_path / "all.conll", tmp_path / "dev.conll", tmp_path / "test.conll")
    assert (given.train, given.val, given.test) == (sentences, sentences[:5], sentences[5:9]) and len(given.sources) == 3
    no_dev = load_split(tmp_path / "all.conll", test=tmp_path / "test.conll")
    assert (len(no_dev.train), len(no_dev.val), no_dev.test) == (45, 5, sentences[5:9])
    assert sorted(no_dev.train + no_dev.val, key=lambda s: int(s.words[0][1:])) == sentences
    assert load_split(tmp_path / "all.conll", tmp_path / "dev.conll").test == []


def test_a_line_of_only_zero_width_or_whitespace_characters_separates_sentences():
    """As the dev file of a published social-media corpus holds: a lone U+FEFF between two sentences."""
    data = "Apple\tB-corporation\nrocks\tO\n\ufeff\nParis\tB-location\n\u200b \u00a0\nnow\tO\n".encode()
    read = load_corpus_bytes(data, "dev.conll")
    assert [s.words for s in read.sentences] == [("Apple", "rocks"), ("Paris",), ("now",)]
    assert read.notes == {"blank lines holding invisible characters (U+FEFF, U+200B, no-break spaces) read as sentence breaks": 2}
    assert "read as sentence breaks: 2" in read.summary()


INVISIBLE_TOKENS = [  # (token, tag): an entity keeps its visible tokens; a sentence of invisible ones is none
    [("Apple", "B-org"), ("\u200b\u200c", "I-org"), ("Inc", "I-org"), ("\u200b", "O"), ("👩🏽\u200d💻", "O")],
    [("Bo", "B-per"), ("\u200b", "B-per"), ("Ann", "I-per"), ("\u2060\ufeff", "B-geo"), ("smiled", "O")],
    [("\u200b", "O"), ("\u200d", "B-per")],
]


@pytest.mark.parametrize("name", ["x.conll", "x.csv", "x.jsonl"])
def test_a_token_of_only_zero_width_characters_is_dropped_and_counted(name):
    text = {"x.conll": "".join("".join(f"{w}\t{t}\n" for w, t in s) + "\n" for s in INVISIBLE_TOKENS),
            "x.csv": "Sentence #,Word,POS,Tag\n" + "".join(f"{'S' * (i == 0)},{w},X,{t}\n" for s in INVISIBLE_TOKENS
                                                           for i, (w, t) in enumerate(s)),
            "x.jsonl": "".join(json.dumps({"tokens": [w for w, _ in s], "tags": [t for _, t in s]}) + "\n" for s in INVISIBLE_TOKENS)}
    read = load_corpus_bytes(text[name].encode(), name)
    assert words_tags(read.sentences) == [
        (["Apple", "Inc", "👩🏽\u200d💻"], ["B-org", "I-org", "O"]),  # the joiner inside the emoji is kept
        (["Bo", "Ann", "smiled"], ["B-per", "B-per", "O"]),  # Ann still begins an entity of her own
    ]
    assert read.notes == {"tokens of only zero-width characters dropped": 6,
                          "entities of only whitespace or zero-width characters dropped": 2}
    assert read.converted == {}  # nothing the file wrote was repaired
    words = load_corpus_bytes(text[name].encode(), name, tags=False)  # as the pool reads it
    assert [s.words for s in words.sentences] == [("Apple", "Inc", "👩🏽\u200d💻"), ("Bo", "Ann", "smiled")]


def test_a_span_of_only_zero_width_characters_is_dropped_and_edges_of_them_trimmed():
    text = "Apple \u200b Inc and \u200b"
    record = {"text": text, "label": [[0, 11, "org"], [16, 17, "per"]]}
    read = load_corpus_bytes(json.dumps(record).encode(), "x.jsonl")
    assert words_tags(read.sentences) == [(["Apple", "Inc", "and"], ["B-org", "I-org", "O"])]
    assert read.notes == {"entities of only whitespace or zero-width characters dropped": 1, "texts without their tokens, tokenised with spaCy": 1}
    edge = load_corpus_bytes(json.dumps({"text": text, "label": [[0, 7, "org"]]}).encode(), "x.jsonl")
    assert edge.sentences[0].tags == ("B-org", "O", "O")
    assert edge.notes == {"span edges trimmed of whitespace or zero-width characters": 1, "texts without their tokens, tokenised with spaCy": 1}


def test_running_text_reads_zero_width_characters_as_whitespace():
    from ner_core.data.corpus import load_text

    with pytest.raises(CorpusError, match="no text"):
        load_text("\u200b\n\u200b \u200c \u200d\n\ufeff\n".encode(), "zw.txt")
    read = load_text("Paris is\n\u200b\u2060\nnice \u200b .\n".encode(), "zw.txt")  # a line of them ends a paragraph
    assert [s.words for s in read.sentences] == [("Paris", "is"), ("nice", ".")] and read.notes == {}
    lines = load_text("\u200b \u200c\nRome \u200d is\n\n".encode(), "zw.txt", tokenized=True)
    assert [s.words for s in lines.sentences] == [("Rome", "is")]
    assert lines.notes == {"lines of only invisible characters (zero-width spaces, U+FEFF ...) skipped": 1}  # not the blank one


def test_running_text_as_pasted_from_a_web_page_a_pdf_or_a_windows_file_is_read_as_text():
    """helper-94: tags and references became tokens ("Berlin</h1><p", "met&nbsp;Putin"), a script's text was read,
    "Tues-" / "day" stayed apart, and a Windows file's quotes were control characters ("\x93We")."""
    from ner_core.data.corpus import load_text

    page = ('<div><h1>Merkel&nbsp;meets Obama in Berlin</h1><script>var x = "<b>Paris</b>";</script>'
            '<p>&ldquo;We discussed Iran &amp; Syria,&rdquo; Merkel said.</p></div>\n')
    read = load_text(page.encode(), "page.txt")
    assert [" ".join(s.words) for s in read.sentences] == ["Merkel meets Obama in Berlin", "“ We discussed Iran & Syria , ” Merkel said ."]
    assert read.notes == {"HTML tags taken out": 10, "HTML character references decoded (&amp; ...)": 4}
    pdf = load_text(b"Talks resumed on Tues-\nday in Teh-\nran with the United Na-\ntions.\n", "pdf.txt")
    assert pdf.sentences[0].words[:8] == ("Talks", "resumed", "on", "Tuesday", "in", "Tehran", "with", "the")
    assert pdf.notes["words hyphenated at a line break joined"] == 3
    windows = load_text(b"\x93We will win,\x94 said Clinton \x96 on Monday.\n", "word.txt")  # latin-1: not UTF-8
    assert windows.sentences[0].words[:6] == ("“", "We", "will", "win", ",", "”") and "–" in windows.sentences[0].words
    assert load_text(b"AT&amp;T paid $5 &lt;billion&gt;.\n", "a.txt").sentences[0].words[:2] == ("AT&T", "paid")
    # helper-95: words read as a tag, "&reg" decoded in a link, a compound's hyphen dropped
    assert "".join(load_text(b"When a<b and c>d , Microsoft wins .\n", "b.txt").sentences[0].words).startswith("Whena<bandc>d,")
    linked = load_text(b"<p>See x.com/?id=5&region=eu &amp; more</p>\n", "l.txt")
    assert "x.com/?id=5&region=eu" in linked.sentences[0].words and "&" in linked.sentences[0].words
    mail = load_text(b"From: John Smith\nDate: Mon, 3 Mar 2014 09:15:02 +0000\nSubject: Re: Kabul\n\nThe minister arrives in "
                     b"Kabul on Tuesday.\n\n> Thanks, Maria\n\nJohn\nTel: +1 (212) 555-0199\n", "mail.txt")  # helper-94: ranked first
    assert [" ".join(s.words) for s in mail.sentences] == ["The minister arrives in Kabul on Tuesday .", "John"]
    assert mail.notes["e-mail header, contact and quoted lines left out"] == 5
    assert load_text(b"Date: tomorrow we meet in Paris.\n", "d.txt").sentences[0].words[0] == "Date"  # one such line: prose
    compound = load_text(b"A Washington-\nbased group and a long-\nterm plan.\n", "c.txt").sentences[0].words
    assert compound[:3] == ("A", "Washington-based", "group") or compound[:5] == ("A", "Washington", "-", "based", "group")


def test_typed_text_is_read_as_a_files_lines_are_a_headline_a_line_and_wrapped_lines_whole():
    """helper-94: three headlines pasted on Predict, one a line, were one sentence of 32 tokens (a file's: three)."""
    from ner_core.data.formats.text import typed_sentences

    text = "Bush Meets Putin In Moscow\nStorm Hits Coast\n\u200b\nThe talks were held\nin Berlin on Monday.\r\nIt rained."
    sentences = typed_sentences(text)
    assert [[t.text for t in s] for s in sentences] == [["Bush", "Meets", "Putin", "In", "Moscow"], ["Storm", "Hits", "Coast"],
                                                         ["The", "talks", "were", "held", "in", "Berlin", "on", "Monday", "."],
                                                         ["It", "rained", "."]]
    assert all(text[t.start:t.start + len(t.text)] == t.text for s in sentences for t in s)  # offsets in the text typed
    assert typed_sentences(" \n\u200b") == []


def test_a_byte_order_mark_that_begins_a_token_line_is_dropped_and_counted():
    """Two UTF-8 files with BOMs concatenated: the second file's first token keeps no U+FEFF."""
    data = "\ufeffApple\tB-corporation\n\n\ufeffParis\tB-location\nnow\tO\n".encode()
    read = load_corpus_bytes(data, "cat.conll")
    assert [s.words for s in read.sentences] == [("Apple",), ("Paris", "now")]
    assert read.notes == {"byte order marks (U+FEFF) dropped from the start of a token line": 1}


# ---------------------------------------------------------------- a .txt: CoNLL or running text

BIOES_TXT = (b"-DOCSTART- O\n\nrituximab S-DRUG\nreduced O\nthe O\nB-cell B-CELL\ncount E-CELL\n\n"
             b"High B-DOSE\ndoses E-DOSE\nhelp O\n")


def test_a_txt_of_conll_lines_is_conll_and_a_txt_of_running_text_is_refused_as_a_corpus():
    from ner_core.data.formats.conll import not_conll

    read = load_corpus_bytes(BIOES_TXT, "bio.txt")
    assert read.format == "conll" and read.scheme == "BIOES" and len(read.sentences) == 2
    assert read.sentences[0].tags == ("B-DRUG", "O", "O", "B-CELL", "I-CELL")
    assert not_conll(BIOES_TXT.decode().splitlines(keepends=True)) is None
    for prose in (b"Hello there\nGeneral Kenobi\n", b"The leader spoke .\nIt rained all day in Paris .\n"):
        assert not_conll(prose.decode().splitlines()) == (1, prose.decode().splitlines()[0])
        with pytest.raises(CorpusError, match=r"^prose.txt:1: .*this \.txt reads as running text, not as a CoNLL corpus"):
            load_corpus_bytes(prose, "prose.txt")
    mostly = b"Paris B-geo\nsleeps O\n\nRome GEO\nwakes O\n\nOslo B-geo\n"  # CoNLL with one slip: its line, as CoNLL
    with pytest.raises(CorpusError, match=r"^mostly.txt:4: malformed tag 'GEO'"):
        load_corpus_bytes(mostly, "mostly.txt")
    assert not_conll([]) == (0, "") and not_conll(["\n", "# a comment\n", "Paris B-geo\n", "sleeps O\n"]) is None
    assert not_conll(["Paris B-geo\n"]) == (0, "")  # no O: "Drive on I-95" alike, read as text where that is asked
    assert load_corpus_bytes(b"Paris B-geo\n", "one.txt").sentences[0].tags == ("B-geo",)  # as a corpus: read all the same
    with pytest.raises(CorpusError, match=r"^empty.txt: no sentences"):
        load_corpus_bytes(b"\n\n", "empty.txt")


def test_a_txt_read_for_its_words_by_one_rule_conll_lines_as_conll_and_prose_as_text(tmp_path):
    from ner_core.data.corpus import load_unlabelled

    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("bio.txt", BIOES_TXT)
    path = tmp_path / "bio.txt"
    path.write_bytes(BIOES_TXT)
    for read in (load_unlabelled(BIOES_TXT, "bio.txt"), load_unlabelled(path), load_unlabelled(zipped.getvalue(), "bio.txt.zip"),
                 load_unlabelled(BIOES_TXT, "stdin")):  # helper-78: piped to predict, its tag column was tagged as words
        assert [s.words for s in read.sentences] == [("rituximab", "reduced", "the", "B-cell", "count"),
                                                     ("High", "doses", "help")]
        assert all(set(s.tags) == {"O"} for s in read.sentences)
        assert "read as CoNLL, tags ignored" in read.summary()
    for name in ("prose.txt", "stdin"):
        prose = load_unlabelled(b"Hello there\nGeneral Kenobi\n\nB-52 bombers\n", name)
        assert prose.format == "text" and [s.words for s in prose.sentences] == [("Hello", "there"), ("General", "Kenobi"),
                                                                                ("B-52", "bombers")]
        # helper-81: lines whose last word looks like a tag read as CoNLL, and every word but the first was dropped
        tags_alike = load_unlabelled(b"Take the I-95\nWe watched a B-movie\nFlying the B-52\n", name)
        assert tags_alike.format == "text" and [s.words[:2] for s in tags_alike.sentences] == [("Take", "the"), ("We", "watched"),
                                                                                              ("Flying", "the")]
        assert load_unlabelled(b"Send an E-mail\n", name).sentences[0].words[:2] == ("Send", "an")  # all its words
    piped = b'{"tokens": ["Rain", "fell", "in", "Spain"], "tags": ["O", "O", "O", "B-geo"]}\n{"text": "Snow fell."}\n'
    read = load_unlabelled(piped, "stdin")  # helper-85: JSON lines piped to predict had their braces and quotes tagged as words
    assert [s.words for s in read.sentences] == [("Rain", "fell", "in", "Spain"), ("Snow", "fell", ".")]
    assert "read as JSON lines, tags ignored" in read.summary() and all(set(s.tags) == {"O"} for s in read.sentences)
    assert load_unlabelled(b"{braces} open a line of prose\n", "stdin").sentences[0].words[0] == "{"
    with pytest.raises(CorpusError, match="no such file"):
        load_unlabelled(tmp_path / "missing.txt")


def test_a_line_break_ends_a_sentence_unless_the_lines_look_wrapped():
    """Headlines, titles or posts one a line are a sentence each, whatever their lengths or case; prose wrapped at a
    width (it ends as a sentence ends, its breaks where a wrap puts them) stays one text; the summary counts both."""
    from ner_core.data.corpus import load_unlabelled

    headlines = ("Fed holds rates steady as inflation cools\nApple unveils new iPhone at Cupertino event\n"
                 "Floods displace thousands in southern Brazil\nMerkel meets Macron in Berlin for EU talks\n")
    posts = "so excited for the concert in Houston tonight\n@jack twitter is down again lol\nugh Monday again\n"
    prose = "The ministers met in\nBrussels on Monday, where\nthey agreed on a plan that\nwill be signed in May.\n"
    read = load_unlabelled(f"{headlines}\n{posts}\nIntroduction to Machine Learning\nDeep Learning\n\n{prose}".encode(), "mixed.txt")
    assert [" ".join(s.words) for s in read.sentences] == [
        *headlines.splitlines(), "so excited for the concert in Houston tonight", "@jack twitter is down again lol",
        "ugh Monday again", "Introduction to Machine Learning", "Deep Learning",
        "The ministers met in Brussels on Monday , where they agreed on a plan that will be signed in May ."]
    assert read.notes == {"lines read one by one (a line break ends a sentence)": 9,
                          "lines read as running text (joined, then split into sentences)": 4}


# ---------------------------------------------------------------- tag schemes on writing, tags as written


@pytest.mark.parametrize("fmt", ["conll", "jsonl", "csv"])
@pytest.mark.parametrize("scheme", ["IOB2", "IOB1", "BIOES", "BILOU"])
def test_an_export_in_each_tag_scheme_reads_back_as_the_same_corpus(fmt, scheme):
    sentences = load_corpus_bytes(BIOES_TXT, "bio.txt").sentences + ODD[1:]
    data = corpus_bytes(sentences, fmt, scheme)
    back = load_corpus_bytes(data, f"out.{fmt}")
    assert back.sentences == sentences and back.scheme == scheme
    if scheme == "BIOES" and fmt == "conll":
        assert data.decode().startswith("rituximab\tS-DRUG\nreduced\tO\nthe\tO\nB-cell\tB-CELL\ncount\tE-CELL\n\n")


@pytest.mark.parametrize("fmt", ["prodigy", "label-studio"])
def test_an_annotation_tool_export_holds_its_tasks_and_reads_back_as_the_same_corpus(fmt):
    sentences = [*load_corpus_bytes(BIOES_TXT, "bio.txt").sentences, Sentence(ODD[0].words, ODD[0].tags),
                 Sentence(ODD[1].words[1:], ODD[1].tags[1:]), Sentence(ODD[2].words, ODD[2].tags)]
    data = corpus_bytes(sentences, fmt)
    back = load_corpus_bytes(data, f"out{EXPORTS[fmt]}")
    assert back.sentences == sentences and back.format == "jsonl"
    tasks = [json.loads(line) for line in data.decode().split("\n")[:-1]] if fmt == "prodigy" else json.loads(data)
    first = sentences[0]  # rituximab S-DRUG reduced O the O B-cell B-CELL count E-CELL
    if fmt == "prodigy":
        assert tasks[0]["answer"] == "accept" and tasks[0]["text"] == " ".join(first.words)
        assert tasks[0]["spans"] == [{"start": 0, "end": 9, "token_start": 0, "token_end": 0, "label": "DRUG"},
                                     {"start": 22, "end": 34, "token_start": 3, "token_end": 4, "label": "CELL"}]
        assert tasks[0]["tokens"][3] == {"text": "B-cell", "start": 22, "end": 28, "id": 3, "ws": True}
    else:
        result = tasks[0]["annotations"][0]["result"]
        assert tasks[0]["data"]["text"] == " ".join(first.words) and len(tasks) == len(sentences)
        assert [r["value"] for r in result] == [{"start": 0, "end": 9, "text": "rituximab", "labels": ["DRUG"]},
                                                {"start": 22, "end": 34, "text": "B-cell count", "labels": ["CELL"]}]
        assert {(r["from_name"], r["to_name"], r["type"]) for r in result} == {("label", "text", "labels")}


def test_an_export_refuses_a_scheme_it_cannot_write():
    for fmt in SPAN_FORMATS:
        with pytest.raises(CorpusError, match=f"a {fmt} file holds entity spans, not tags: no BIOES tags"):
            corpus_bytes(ODD[1:], fmt, "BIOES")
    with pytest.raises(CorpusError, match="unknown tag scheme 'IOE1'"):
        corpus_bytes(ODD[1:], "conll", "IOE1")


def test_tags_are_named_as_the_file_writes_them_with_their_first_line():
    read = load_corpus_bytes(BIOES_TXT, "bio.txt")
    assert read.as_written(["B-DRUG", "I-CELL"]) == [
        "S-DRUG (line 3; read as B-DRUG)", "B-CELL (line 6)", "E-CELL (line 7; read as I-CELL)"]
    lower = load_corpus_bytes(b"Aspirin\tB-drug\nhelps\tO\n", "low.conll")
    assert lower.as_written(iter(["B-drug"])) == ["B-drug (line 1)"]
    records = b'{"tokens": ["a"], "tags": ["O"]}\n{"tokens": ["b", "c"], "tags": ["U-x", "O"]}\n'
    assert load_corpus_bytes(records, "x.jsonl").as_written(["B-x"]) == ["U-x (line 2; read as B-x)"]
    kaggle = b"Sentence #,Word,POS,Tag\nSentence: 1,a,DT,O\n,b,NN,S-x\n"
    assert load_corpus_bytes(kaggle, "x.csv").as_written(["B-x"]) == ["S-x (line 3; read as B-x)"]
    words_only = load_corpus_bytes(BIOES_TXT, "bio.conll", tags=False)
    assert words_only.tag_lines == {} and words_only.as_written(["B-x"]) == ["B-x"]


def test_a_type_with_spaces_is_refused_with_a_name_it_could_take():
    read = pytest.raises(CorpusError, load_corpus_bytes, "Hamlet\tB-WORK OF ART\n".encode(), "x.conll")
    assert "malformed tag 'B-WORK OF ART': a type holds only letters, digits, '_', '-' and '.': rename it, e.g. 'WORK_OF_ART'" \
        in str(read.value)


def test_a_sentence_conll_cannot_hold_is_named_with_the_way_out():
    from ner_core.data.corpus import corpus_bytes

    sentences = [Sentence(("fine",), ("O",)), Sentence(("a\tb",), ("O",))]
    with pytest.raises(CorpusError, match=r"^sentence 1: cannot write 'a\\tb' to CoNLL: .*; write JSONL \(\.jsonl\) or CSV instead"):
        corpus_bytes(sentences, "conll")


def test_a_csv_without_pos_reads_back_without_pos():
    """A dataset without POS exported to CSV (an empty POS column) and read back exports to CoNLL as token and tag."""
    from ner_core.data.corpus import corpus_bytes

    back = load_corpus_bytes(corpus_bytes([Sentence(("Paris", "sleeps"), ("B-geo", "O"))], "csv"), "x.csv").sentences
    assert back == [Sentence(("Paris", "sleeps"), ("B-geo", "O"))] and back[0].pos is None
    assert corpus_bytes(back, "conll") == b"Paris\tB-geo\nsleeps\tO\n\n"
