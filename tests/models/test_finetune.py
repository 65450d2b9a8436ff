"""The fine-tuned encoder under the CRF: it trains, saves its encoder with it, loads through load_any
and tags; a sentence longer than the encoder's maximum length is tagged whole (windows)."""
import json

import pytest
import torch

from ner_core.data.corpus import Sentence
from ner_core.models.finetune import FineTuneConfig, FineTuneTagger
from ner_core.models.pipeline import load_any
from ner_core.training.train import TrainConfig, train

from encoders import build_tiny_bert, forget_encoders

DATA = [
    Sentence(("Angela", "Merkel", "visited", "Paris", "."), ("B-per", "I-per", "O", "B-geo", "O")),
    Sentence(("Berlin", "is", "big", "."), ("B-geo", "O", "O", "O")),
    Sentence(("the", "city", "Paris", "is", "big"), ("O", "O", "B-geo", "O", "O")),
] * 8
FAST = TrainConfig(epochs=2, patience=2, batch_size=8, lr=1e-2, encoder_lr=1e-3, warmup=0.1, lr_decay=1.0, threads=1)


@pytest.fixture
def tiny_bert(tmp_path):
    yield build_tiny_bert(tmp_path / "tiny-bert-cased", max_tokens=16)
    forget_encoders()


def test_a_fine_tuned_encoder_trains_saves_its_weights_loads_and_tags(tiny_bert, tmp_path):
    out = tmp_path / "ft"
    result = train(DATA, DATA[:6], FAST, FineTuneConfig(encoder=str(tiny_bert), pooling="mean"), out_dir=out, progress=False)
    assert isinstance(result.model, FineTuneTagger) and len(result.history) == 2
    assert (out / "encoder" / "config.json").is_file() and (out / "encoder" / "tokenizer.json").is_file()
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "finetune_tagger" and config["model"]["pooling"] == "mean"
    tiny_bert_files = list(tiny_bert.iterdir())
    for f in tiny_bert_files:  # the checkpoint does not need the encoder it started from
        f.unlink()
    forget_encoders()
    tagger = load_any(out)
    assert isinstance(tagger.model, FineTuneTagger)
    for name, value in result.model.state_dict().items():  # the fine-tuned weights, not the pre-trained ones
        assert value.equal(tagger.model.state_dict()[name]), name
    tagged = tagger.tag([["Angela", "Merkel", "visited", "Berlin", "."], []])
    assert len(tagged[0].tags) == 5 and tagged[1].tags == ()
    assert all(t in tagger.labels for t in tagged[0].tags) and all(0 <= p <= 1 for p in tagged[0].probs)


def test_a_sentence_longer_than_the_encoder_is_tagged_whole(tiny_bert):
    model = FineTuneTagger(FineTuneConfig(encoder=str(tiny_bert)), FineTuneTagger.vocab_for(["O", "B-geo", "I-geo"])).eval()
    long = ["Paris", "is", "big", "."] * 20  # 80 words: 82 sub-words with [CLS] and [SEP], the encoder takes 16
    batch = model.batch([long, ["Paris"]])
    assert batch.inputs["input_ids"].size(1) <= 16 and batch.inputs["input_ids"].size(0) > 2  # windows, none truncated
    assert sorted(batch.dst.tolist()) == [*range(80), 80 * 1 + 0]  # every word of both sentences has a sub-word
    tags, probs, marginals = model.predict(batch)
    assert [len(t) for t in tags] == [80, 1] and marginals.shape == (2, 80, 3)
    assert all(0 <= p <= 1 for p in probs[0])


def test_the_head_learns_faster_than_the_encoder(tiny_bert):
    model = FineTuneTagger(FineTuneConfig(encoder=str(tiny_bert)), FineTuneTagger.vocab_for(["O", "B-geo", "I-geo"]))
    encoder, head = model.param_groups(1e-3, 5e-5)
    assert (encoder["lr"], head["lr"]) == (5e-5, 1e-3)
    assert len(encoder["params"]) + len(head["params"]) == len(list(model.parameters()))
    assert any(p is model.crf.transitions for p in head["params"]) and any(p is model.casing_emb.weight for p in head["params"])


def test_running_out_of_gpu_memory_names_the_batch_size():
    from ner_core.models.model import DeviceMemoryError, gpu_memory_hint

    with pytest.raises(DeviceMemoryError, match="out of memory training a batch of 32 sentences: give a smaller --batch-size"):
        with gpu_memory_hint("training", 32):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
