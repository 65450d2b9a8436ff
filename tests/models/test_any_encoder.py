"""Any local Hugging Face encoder: a small cased BERT built here (never downloaded) gives word features of its
own width, long sentences are windowed (never truncated), and a checkpoint refuses a missing or changed encoder."""
import json

import numpy as np
import pytest

from ner_core.data.corpus import Sentence
from ner_core.models.checkpoint import load_checkpoint
from ner_core.models.checkpoint_dirs import CheckpointError
from ner_core.models.encoder import EncoderError, WordEncoder, encoder_info
from ner_core.models.model import ModelConfig
from ner_core.training.train import TrainConfig, train

from encoders import build_tiny_bert, forget_encoders


@pytest.fixture
def tiny_bert(tmp_path):
    yield build_tiny_bert(tmp_path / "tiny-bert-cased")
    forget_encoders()


def test_a_local_encoder_gives_features_of_its_width_and_windows_long_sentences(tiny_bert, monkeypatch, tmp_path):
    monkeypatch.setenv("NER_CACHE", str(tmp_path / "cache"))
    info = encoder_info(str(tiny_bert))
    assert (info.dim, info.max_tokens) == (32, 64)
    encoder = WordEncoder("mean", name=str(tiny_bert))
    short, long = encoder([["Angela", "Merkel", "visited", "Paris"], ["Paris", "is", "big", "."] * 50])
    assert short.shape == (4, 32) and long.shape == (200, 32)
    assert np.abs(long).sum(axis=1).min() > 0  # every word of a 200-word sentence has features: nothing cut off
    assert not np.allclose(encoder([["Paris"]])[0], encoder([["paris"]])[0])  # cased: Paris is not paris
    assert tiny_bert.name in str(encoder.cache_path()) and info.fingerprint in str(encoder.cache_path())


def test_a_checkpoint_refuses_a_missing_or_changed_encoder(tiny_bert, tmp_path, monkeypatch):
    monkeypatch.setenv("NER_CACHE", str(tmp_path / "cache"))
    data = [Sentence(("Angela", "Merkel", "visited", "Paris", "."), ("B-per", "I-per", "O", "B-geo", "O"))] * 8
    out = tmp_path / "ckpt"
    train(data, data, TrainConfig(epochs=1, patience=1, batch_size=4), ModelConfig(encoder=f"{tiny_bert}-first", hidden=16),
          out_dir=out, progress=False)
    model, _ = load_checkpoint(out)
    assert model.config.encoder_fingerprint == encoder_info(str(tiny_bert)).fingerprint
    config = json.loads((tiny_bert / "config.json").read_text())
    (tiny_bert / "config.json").write_text(json.dumps({**config, "layer_norm_eps": 1e-5}))  # another version of it
    forget_encoders()
    with pytest.raises(CheckpointError, match="trained beside encoder .* fingerprint"):
        load_checkpoint(out)
    (tiny_bert / "config.json").unlink()
    forget_encoders()
    with pytest.raises(CheckpointError, match="not a transformer"):
        load_checkpoint(out)


def test_the_same_config_with_other_weights_is_another_encoder_for_the_cache_and_the_checkpoint(tiny_bert, tmp_path, monkeypatch):
    """helper-78: two copies of one encoder, one with changed weights (a fine-tuned copy), shared one feature cache
    (named by the folder's last part and the config's hash) and passed a checkpoint's check."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    monkeypatch.setenv("NER_CACHE", str(tmp_path / "cache"))
    other = tmp_path / "run-b" / tiny_bert.name  # the same folder name and config elsewhere, other weights
    shutil.copytree(tiny_bert, other)
    weights = load_file(other / "model.safetensors")
    save_file({k: v + 0.01 * torch.randn_like(v) for k, v in weights.items()}, other / "model.safetensors", metadata={"format": "pt"})
    first, second = WordEncoder("first", name=str(tiny_bert)), WordEncoder("first", name=str(other))
    assert first.info.fingerprint == second.info.fingerprint and first.cache_path() != second.cache_path()
    assert not np.allclose(first([["Paris", "is", "big"]])[0], second([["Paris", "is", "big"]])[0])
    data = [Sentence(("Angela", "Merkel", "visited", "Paris", "."), ("B-per", "I-per", "O", "B-geo", "O"))] * 8
    out = tmp_path / "ckpt"
    train(data, data, TrainConfig(epochs=1, patience=1, batch_size=4), ModelConfig(encoder=f"{tiny_bert}-first", hidden=16),
          out_dir=out, progress=False)
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["encoder_weights"]
    (out / "config.json").write_text(json.dumps({**config, "model": {**config["model"], "encoder": f"{other}-first"}}))
    with pytest.raises(CheckpointError, match="weights fingerprint .* another model, version or fine-tuned copy"):
        load_checkpoint(out)


def test_a_relative_encoder_path_is_kept_absolute_and_a_folder_without_weights_is_refused_up_front(tiny_bert, tmp_path, monkeypatch):
    """helper-78: ``--encoder myenc`` recorded "myenc", so the checkpoint worked only from the folder it was trained in;
    a folder with a config and no weights passed the check and failed in the first epoch."""
    from ner_core.cli.options import encoder_spec

    monkeypatch.chdir(tiny_bert.parent)
    assert encoder_spec(tiny_bert.name) == f"{tiny_bert}-first" and encoder_spec(f"{tiny_bert.name}-mean") == f"{tiny_bert}-mean"
    (tiny_bert / "model.safetensors").unlink()
    forget_encoders()
    with pytest.raises(EncoderError, match="no weights .* not an encoder this tagger can load"):
        encoder_spec(str(tiny_bert))


def test_an_encoder_that_is_not_here_is_refused_before_anything_trains(tmp_path):
    from ner_core.cli.options import encoder_spec

    with pytest.raises(EncoderError, match="no encoder 'no-such-model-xyz' on this machine.*nothing is downloaded") as missing:
        encoder_spec("no-such-model-xyz")
    assert "not in the local Hugging Face cache" in str(missing.value) and "huggingface.co" not in str(missing.value)
    with pytest.raises(EncoderError, match=f"^{tmp_path / 'nowhere'}: no such directory$"):  # not Hugging Face's repo id rules
        encoder_spec(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(EncoderError, match="not a transformer"):
        encoder_spec(str(tmp_path / "empty"))
    assert encoder_spec("minilm") == "minilm-first" and encoder_spec("minilm-mean") == "minilm-mean"


def test_an_encoder_with_corrupt_weights_is_a_clear_error(tiny_bert):
    from ner_core.models.encoder import _load
    from ner_core.models.finetune import FineTuneConfig, FineTuneTagger

    (tiny_bert / "model.safetensors").write_bytes(b"\x00" * 64)  # a truncated download, say
    forget_encoders()
    with pytest.raises(EncoderError, match="could not be loaded"):
        _load(str(tiny_bert))
    with pytest.raises(EncoderError, match="could not be loaded"):
        FineTuneTagger(FineTuneConfig(encoder=str(tiny_bert)), FineTuneTagger.vocab_for(["O", "B-per", "I-per"]))
