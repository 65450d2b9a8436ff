"""Tagging a whole file: raw text or any corpus format in, JSON lines, CoNLL or .spacy out, every sentence in order."""
import io
import json
import zipfile

import pytest

from ner_core.cli import main
from ner_core.data.corpus import CorpusError, load_corpus, load_text, write_corpus
from ner_core.data.formats.text import MAX_TOKENS

TEXT = ("Angela Merkel visited Paris on Monday. She met\nEmmanuel Macron there.\n\n"
        "The Olympics in Athens were a success.\n")


def test_raw_text_is_read_a_paragraph_at_a_time():
    read = load_text(TEXT.encode(), "news.txt")
    assert [s.words[:2] for s in read.sentences] == [("Angela", "Merkel"), ("She", "met"), ("The", "Olympics")]
    assert read.sentences[1].words[-2:] == ("there", ".")  # a sentence wrapped over two lines stays whole
    assert all(set(s.tags) == {"O"} for s in read.sentences) and read.summary().startswith("news.txt: text, utf-8, 3 sentences")
    assert [s.words for s in load_text(b"a b  c\n\n d\n", "t.txt", tokenized=True).sentences] == [("a", "b", "c"), ("d",)]
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("news.txt", TEXT)
    assert load_text(zipped.getvalue(), "news.txt.zip").sentences == read.sentences


def test_a_sentence_over_the_token_limit_is_split_into_pieces_with_its_line():
    words = [f"w{i}" for i in range(2 * MAX_TOKENS + 10)]
    for data, tokenized in ((" ".join(words), False), (" ".join(words), True)):
        read = load_text(f"Short one.\n\n{data}\n".encode(), "long.txt", tokenized=tokenized)
        assert [len(s) for s in read.sentences][-3:] == [170, 170, 170]  # even pieces of at most MAX_TOKENS
        assert tuple(w for s in read.sentences[-3:] for w in s.words) == tuple(words)  # nothing lost
        assert f"sentences of over {MAX_TOKENS} tokens split into pieces (the first on line 3): 1" in read.summary()
    wrapped = load_text(f"Short one.\nStill the paragraph's\nfirst {' '.join(words)} .\n".encode(), "wrapped.txt")
    assert f"sentences of over {MAX_TOKENS} tokens split into pieces (the first on line 2): 1" in wrapped.summary()


@pytest.mark.parametrize("data, message", [
    (b"", "no text"), (b"  \n\n", "no text"), (b"\x00\x01binary", "not a text file"),
    (b"ok\n" + b"x" * 100_001 + b"\n", ":2: a line of 100,001 characters"),
])
def test_bad_text_is_refused_with_the_reason(data, message):
    with pytest.raises(CorpusError, match=message):
        load_text(data, "bad.txt")


@pytest.mark.slow
def test_predict_tags_a_whole_file_in_any_output_format(tiny_model, tmp_path, capsys, split):
    _, ckpt = tiny_model
    raw = tmp_path / "news.txt"
    raw.write_text(TEXT)
    out = tmp_path / "tagged.jsonl"
    assert main(["predict", "--data", str(raw), "--checkpoint", str(ckpt), "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["tokens"][:2] for r in records] == [["Angela", "Merkel"], ["She", "met"], ["The", "Olympics"]]
    assert [r["sentence"] for r in records] == [0, 1, 2]  # as mine --json numbers them
    assert all(len(r["tokens"]) == len(r["tags"]) == len(r["probs"]) and all(0 <= p <= 1 for p in r["probs"]) for r in records)
    assert "3 sentences, 21 tokens tagged" in capsys.readouterr().err

    corpus = tmp_path / "gold.csv"  # a corpus file: its tags are ignored, its words tagged, in order
    write_corpus(split.test[:300], corpus)
    for suffix in (".conll", ".spacy", ".csv"):
        target = tmp_path / f"tagged{suffix}"
        assert main(["predict", "--data", str(corpus), "--checkpoint", str(ckpt), "--out", str(target)]) == 0
        assert [s.words for s in load_corpus(target).sentences] == [s.words for s in split.test[:300]]
    assert (tmp_path / "tagged.csv").read_text().splitlines()[1].startswith("Sentence: 0,")  # as the JSON lines number it
    assert main(["predict", "--data", str(raw), "--checkpoint", str(ckpt), "--out", "-"]) == 0  # "-": stdout (helper-100)
    assert [json.loads(line)["tokens"][:2] for line in capsys.readouterr().out.splitlines()][0] == ["Angela", "Merkel"]
    assert main(["predict", "--data", str(tmp_path / "missing.txt"), "--checkpoint", str(ckpt)]) == 1
    assert "no such file" in capsys.readouterr().err
