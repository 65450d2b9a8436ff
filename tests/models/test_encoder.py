"""Frozen MiniLM word features: alignment, long sentences, and the disk cache (real model)."""
import numpy as np
import pytest

from ner_core.models.encoder import WordEncoder

ENCODER_DIM = 384  # MiniLM-L6's hidden size

pytestmark = pytest.mark.slow
SENTENCES = [["Angela", "Merkel", "visited", "Paris", "unbelievably"], ["Hello", "world", "!"]]


def test_one_vector_per_word_first_vs_mean(monkeypatch, tmp_path):
    monkeypatch.setenv("NER_CACHE", str(tmp_path))
    first = WordEncoder("first", use_disk_cache=False)(SENTENCES)
    mean = WordEncoder("mean", use_disk_cache=False)(SENTENCES)
    assert [f.shape for f in first] == [(5, ENCODER_DIM), (3, ENCODER_DIM)]
    np.testing.assert_allclose(first[1], mean[1], atol=1e-3)  # one sub-word each: the same vector
    assert not np.allclose(first[0][4], mean[0][4], atol=1e-3)  # "unbelievably" has several sub-words


def test_long_sentence_is_encoded_in_windows():
    words = ["word"] * 250
    (features,) = WordEncoder("first", use_disk_cache=False)([words])
    assert features.shape == (250, ENCODER_DIM) and np.abs(features[-1]).sum() > 0


def test_disk_cache_round_trip(monkeypatch, tmp_path):
    monkeypatch.setenv("NER_CACHE", str(tmp_path))
    built = WordEncoder("first", use_disk_cache=False)
    path = built.build_cache(SENTENCES)
    assert (path / "features.npy").is_file()
    reader = WordEncoder("first")
    assert reader._lookup(next(iter(reader._disk[1]))) is not None
    for a, b in zip(reader(SENTENCES), built(SENTENCES)):
        np.testing.assert_allclose(a, b, atol=1e-2)


def test_unknown_pooling():
    with pytest.raises(ValueError, match="unknown pooling 'max'"):
        WordEncoder("max")
