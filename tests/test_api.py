"""The public API: a script drives the workbench with ``import ner_core`` alone (no internal module)."""
import ner_core


def test_every_public_name_resolves():
    for name in ner_core.__all__:
        assert getattr(ner_core, name) is not None, name


def test_a_script_imports_corrects_and_reviews_a_dataset(tmp_path, monkeypatch):
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    engine = ner_core.make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    data = b"Paris\tB-geo\nis\tO\nbig\tO\n\nParis\tB-org\nagain\tO\n\nParis\tB-geo\nsleeps\tO\n"
    ner_core.import_dataset(engine, "cities", data, "cities.conll", tmp_path / "datasets")
    assert "cities" in ner_core.dataset_paths(engine)
    store = ner_core.open_dataset("cities", engine)

    seen = store.snapshot(1)  # tags and version, read together
    assert seen == ner_core.SentenceState(["B-org", "O"], 0, None)
    saved = store.save(1, ["B-geo", "O"], author="script", expected_version=seen.version)
    assert saved.changed == 1 and store.snapshot(1).version == 1
    try:  # a second write from the same, now stale, version is refused with the current state
        store.save(1, ["O", "O"], author="other", expected_version=seen.version)
        raise AssertionError("a stale save was accepted")
    except ner_core.StaleSaveError as stale:
        assert stale.tags == ["B-geo", "O"] and stale.author == "script"
    assert store.undo("script", batch=saved.batch).sentences == [1]

    queue = ner_core.ReviewQueue(store)
    parts = dict(zip(ner_core.SPLITS, ner_core.split_indices(len(store.original))))  # as the README shows
    parts["train"] = range(3)  # three sentences: all of them
    assert ner_core.fill_queue(queue, parts, store.corrected, "train") == 1  # "Paris" tagged org once, geo twice
    [item] = queue.items("train")
    queue.decide(item.id, ner_core.ACCEPTED, "script", store.snapshot(item.sentence).version)
    assert store.tags(1) == ["B-geo", "O"] and queue.count("train") == 0
    assert ner_core.active_id("cities", engine) == "shipped" and ner_core.load_index("cities", engine)["entries"] == []
