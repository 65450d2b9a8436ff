"""Frozen MiniLM word features: alignment, long sentences, and the disk cache shared by processes (real model)."""
import numpy as np
import pytest

from ner_core.models.encoder import WordEncoder
from ner_core.models.feature_cache import MAX_SHARDS, FeatureCache

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


def test_long_sentence_is_encoded_in_windows(capfd):
    words = ["word"] * 250
    (features,) = WordEncoder("first", use_disk_cache=False)([words])
    assert features.shape == (250, ENCODER_DIM) and np.abs(features[-1]).sum() > 0
    (features,) = WordEncoder("first", use_disk_cache=False)([["antidisestablishmentarianism", "Xzqwvbnmlkj"] * 120])
    assert features.shape == (240, ENCODER_DIM)  # over 512 sub-words: past the encoder's maximum
    assert "longer than the specified maximum" not in capfd.readouterr().err  # windows, not the "indexing errors" it warns of


def test_features_computed_once_are_read_by_the_next_process(monkeypatch, tmp_path):
    monkeypatch.setenv("NER_CACHE", str(tmp_path))
    writer = WordEncoder("first")
    computed = writer(SENTENCES)
    writer.flush()  # as at exit
    reader = WordEncoder("first")  # another process's: only the disk in common
    monkeypatch.setattr(reader, "_compute", lambda sentences: pytest.fail(f"recomputed {sentences}"))
    for a, b in zip(reader(SENTENCES), computed):
        np.testing.assert_allclose(a, b, atol=1e-2)


def test_a_reader_finds_what_another_wrote_after_it_opened_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("NER_CACHE", str(tmp_path))
    reader, writer = WordEncoder("first"), WordEncoder("first")
    writer._flush_words = 1  # every computation goes to disk at once
    writer(SENTENCES[:1])
    monkeypatch.setattr(reader, "_compute", lambda sentences: pytest.fail(f"recomputed {sentences}"))
    (features,) = reader(SENTENCES[:1])
    assert features.shape == (5, ENCODER_DIM) and np.abs(features).sum() > 0


def test_many_shards_are_merged_without_losing_a_sentence(monkeypatch, tmp_path):
    cache = FeatureCache(tmp_path)
    rows = {f"key{i}": np.full((i % 3 + 1, 4), i, np.float16) for i in range(MAX_SHARDS + 5)}
    for key, value in rows.items():
        cache.add({key: value})
    assert len(list(tmp_path.glob("*.json"))) == MAX_SHARDS + 5
    merged = FeatureCache(tmp_path)  # opening a cache of too many shards merges them
    assert len(list(tmp_path.glob("*.json"))) == 1 and len(merged) == len(rows)
    for key, value in rows.items():
        np.testing.assert_array_equal(merged.get(key), value)
        np.testing.assert_array_equal(cache.get(key), value)  # a reader that opened the old shards still reads them


def test_unknown_pooling():
    with pytest.raises(ValueError, match="unknown pooling 'max'"):
        WordEncoder("max")


def test_the_mean_of_all_layers_is_another_feature_cached_apart(monkeypatch, tmp_path):
    monkeypatch.setenv("NER_CACHE", str(tmp_path))
    last, mixed = WordEncoder("first"), WordEncoder("first", layers="all")
    a, b = last(SENTENCES), mixed(SENTENCES)
    assert [x.shape for x in a] == [x.shape for x in b] and not np.allclose(a[0], b[0], atol=1e-2)
    assert last.cache_path() != mixed.cache_path()
    with pytest.raises(ValueError, match="unknown layers 'some'"):
        WordEncoder("first", layers="some")


def test_a_disk_that_refuses_writes_still_serves_what_it_holds(monkeypatch, tmp_path):
    monkeypatch.setenv("NER_CACHE", str(tmp_path))
    writer = WordEncoder("first")
    writer(SENTENCES[:1])
    writer.flush()
    reader = WordEncoder("first")

    def full(features):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reader._disk, "_write", full)
    with pytest.warns(UserWarning, match="not written"):
        (new,) = reader([["Rome", "fell"]])
        reader.flush()
    assert new.shape == (2, ENCODER_DIM)
    monkeypatch.setattr(reader, "_compute", lambda sentences: pytest.fail(f"recomputed {sentences}"))
    assert reader(SENTENCES[:1])[0].shape == (5, ENCODER_DIM)  # still read from disk
    assert reader([["Rome", "fell"]])[0].shape == (2, ENCODER_DIM)  # kept in memory
