"""The tagger's options: open-vocabulary GloVe, auxiliary POS loss, char BiLSTM, recall margin, config checks."""
import numpy as np
import pytest
import torch

from ner_core.data.corpus import Sentence
from ner_core.data.tags import TagSet
from ner_core.models.features import Vocab
from ner_core.models.glove import glove_index, glove_vectors
from ner_core.models.model import CRFTagger, ModelConfig

LABELS = TagSet(("geo", "per", "org", "art")).labels


@pytest.fixture(scope="module")
def open_model():
    vocab = Vocab.build([["The", "river", "flows", "."]], glove_index(), LABELS, min_count=1)
    model = CRFTagger(ModelConfig(open_vocab=True), vocab)
    vectors, found = glove_vectors(vocab.words)
    model.init_word_vectors(torch.from_numpy(vectors), torch.from_numpy(found))
    return model.eval()


def test_open_vocab_gives_words_outside_training_their_glove_vector(open_model):
    batch = open_model.batch([["The", "Danube", "flows"], ["Qzxvw"]])
    unk = open_model.vocab.word2id["<unk>"]
    assert batch.words[0, 1] == unk and batch.words[1, 0] == unk  # neither was in training
    np.testing.assert_array_equal(batch.glove[0, 1].numpy(), glove_vectors(["danube"])[0][0])
    assert not batch.glove[1, 0].any()  # GloVe lacks it too
    assert not batch.glove[1, 1:].any()  # padding
    with torch.no_grad():
        danube = open_model.emissions(open_model.batch([["Danube"]]))
        other = open_model.emissions(open_model.batch([["Qzxvwb"]]))  # same casing and length, no vector
    assert not torch.allclose(danube, other)


def test_open_vocab_training_words_start_at_their_glove_vector(open_model):
    """The trained part of a GloVe word starts at zero, so word + offset = GloVe at first."""
    row = open_model.vocab.word2id["river"]
    assert not open_model.word_emb.weight[row].any()


def test_open_vocab_needs_glove_sized_word_features():
    with pytest.raises(ValueError, match="open_vocab"):
        ModelConfig(open_vocab=True, word_dim=100)


def test_auxiliary_pos_loss_is_added_per_sentence_and_ignores_sentences_without_pos():
    sentences = [
        Sentence(("John", "lives", "here"), ("B-per", "O", "O"), ("NNP", "VBZ", "RB")),
        Sentence(("Paris", "."), ("B-geo", "O")),  # no POS (a CoNLL file without the column)
    ]
    vocab = Vocab.build([s.words for s in sentences], glove_index(), LABELS, min_count=1)
    torch.manual_seed(0)
    model = CRFTagger(ModelConfig(pos_tags=("NNP", "RB", "VBZ"), pos_weight=0.5, dropout=0.0, word_dropout=0.0), vocab)
    batch = model.encode(sentences)
    assert batch.pos.tolist() == [[0, 2, 1], [-100, -100, -100]]
    with torch.no_grad():
        total = model.forward_loss(batch)
        states = model.hidden_states(batch)
        crf = -model.crf(model.emit(states), batch.tags, batch.mask, reduction="mean")
        pos = torch.nn.functional.cross_entropy(model.pos_head(states[0]), batch.pos[0], reduction="sum")
    torch.testing.assert_close(total, crf + 0.5 * pos / 2)
    tags_before = model.predict(model.batch([s.words for s in sentences]))[0]
    with torch.no_grad():
        model.pos_head.weight.add_(1.0)  # the POS head never changes the NER prediction
    assert model.predict(model.batch([s.words for s in sentences]))[0] == tags_before


def _tiny(config: ModelConfig, sentences) -> CRFTagger:
    vocab = Vocab.build([s.words for s in sentences], glove_index(), LABELS, min_count=1)
    torch.manual_seed(0)
    return CRFTagger(config, vocab)


def test_recall_margin_adds_the_cost_to_wrong_tags_at_gold_entities_of_its_types_only():
    sentences = [Sentence(("the", "Koran", "says", "Paris"), ("O", "B-art", "O", "B-geo"))]
    plain = _tiny(ModelConfig(dropout=0.0, word_dropout=0.0), sentences)
    margin = _tiny(ModelConfig(dropout=0.0, word_dropout=0.0, recall_margin=2.0, margin_types=("art",)), sentences)
    batch = margin.encode(sentences)
    with torch.no_grad():
        emissions = margin.emissions(batch)
        expected = emissions.clone()
        art = margin.vocab.labels.index("B-art")
        for k in range(len(margin.vocab.labels)):
            if k != art:
                expected[0, 1, k] += 2.0  # only token 1 (gold B-art); B-geo at token 3 is not in margin_types
        want = -margin.crf(expected, batch.tags, batch.mask, reduction="mean")
        torch.testing.assert_close(margin.forward_loss(batch), want)
        assert margin.forward_loss(batch) > plain.forward_loss(plain.encode(sentences))  # same weights (seed 0)
        torch.testing.assert_close(plain.forward_loss(batch), -plain.crf(emissions, batch.tags, batch.mask, reduction="mean"))


def test_type_margins_override_the_recall_margin_per_type():
    sentences = [Sentence(("the", "Koran", "says", "Paris"), ("O", "B-art", "O", "B-geo"))]
    model = _tiny(ModelConfig(dropout=0.0, word_dropout=0.0, recall_margin=2.0, type_margins=(("art", 5.0),)), sentences)
    margins = dict(zip(model.vocab.labels, model.label_margins().tolist()))
    assert margins["B-art"] == margins["I-art"] == 5.0 and margins["B-geo"] == 2.0 and margins["O"] == 0.0
    batch = model.encode(sentences)
    with torch.no_grad():
        expected = model.emissions(batch).clone()
        gold = batch.tags[0].tolist()
        for k in range(len(model.vocab.labels)):
            expected[0, 1, k] += 5.0 * (k != gold[1])  # B-art: its own margin
            expected[0, 3, k] += 2.0 * (k != gold[3])  # B-geo: the recall margin
        torch.testing.assert_close(model.forward_loss(batch), -model.crf(expected, batch.tags, batch.mask, reduction="mean"))
    with pytest.raises(ValueError, match="type_margins"):
        ModelConfig(type_margins=(("art", -1.0),))
    with pytest.raises(ValueError, match="unknown margin types: fish; the types are geo, per, org, art"):
        _tiny(ModelConfig(type_margins=(("fish", 1.0),)), sentences)


def test_char_bilstm_features_ignore_padding_and_survive_save_and_load(tmp_path):
    from ner_core.models.checkpoint import load_checkpoint, save_checkpoint
    sentences = [Sentence(("Al", "Qaeda", "struck"), ("B-org", "I-org", "O"))]
    model = _tiny(ModelConfig(char_encoder="lstm", char_filters=20), sentences).eval()
    short = model.batch([["Al"]])
    padded = model.batch([["Al", "extraordinarily"]])  # pads "Al" to the longer word's width
    with torch.no_grad():
        alone = model.char_features(short.chars, short.char_rows)[0, 0]
        torch.testing.assert_close(model.char_features(padded.chars, padded.char_rows)[0, 0], alone)
        assert alone.shape == (20,)
    save_checkpoint(model, tmp_path / "ck", {})
    loaded, _ = load_checkpoint(tmp_path / "ck")
    batch = model.batch([s.words for s in sentences])
    assert loaded.config.char_encoder == "lstm"
    torch.testing.assert_close(loaded.predict(batch)[2], model.predict(batch)[2])


def test_char_encoder_and_margin_are_checked():
    with pytest.raises(ValueError, match="char encoder"):
        ModelConfig(char_encoder="gru")
    with pytest.raises(ValueError, match="even"):
        ModelConfig(char_encoder="lstm", char_filters=25)
    with pytest.raises(ValueError, match="recall_margin"):
        ModelConfig(recall_margin=-1)
    with pytest.raises(ValueError, match="unknown margin types: fish"):
        _tiny(ModelConfig(recall_margin=1, margin_types=("art", "fish")), [Sentence(("x",), ("B-art",))])


def test_averaging_checkpoints_gives_the_mean_weights_and_refuses_other_architectures(tmp_path):
    from ner_core.models.checkpoint import average_checkpoints, load_checkpoint, save_checkpoint
    from ner_core.models.checkpoint_dirs import CheckpointError
    sentences = [Sentence(("Al", "Qaeda", "struck"), ("B-org", "I-org", "O"))]
    a = _tiny(ModelConfig(), sentences)
    torch.manual_seed(1)
    b = CRFTagger(ModelConfig(), a.vocab)
    save_checkpoint(a, tmp_path / "a")
    save_checkpoint(b, tmp_path / "b")
    average_checkpoints([tmp_path / "a", tmp_path / "b"], tmp_path / "soup")
    soup, meta = load_checkpoint(tmp_path / "soup")
    assert meta["averaged_from"] == [str(tmp_path / "a"), str(tmp_path / "b")]
    for name, weight in soup.state_dict().items():
        if weight.is_floating_point():
            torch.testing.assert_close(weight, (a.state_dict()[name] + b.state_dict()[name]) / 2)
    save_checkpoint(_tiny(ModelConfig(hidden=16), sentences), tmp_path / "small")
    with pytest.raises(CheckpointError, match="same architecture"):
        average_checkpoints([tmp_path / "a", tmp_path / "small"], tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_a_sentence_in_capitals_is_read_in_the_forms_the_training_sentences_use(tmp_path):
    """helper-83/84: an all-capitals sentence looked like a row of acronyms (0.26 micro F1 on the test split upper-cased);
    a headline's capitals like a row of names (0.50 in Title Case)."""
    import json

    from ner_core.models.checkpoint import load_checkpoint, save_checkpoint
    training = [["John", "visited", "Moscow", "with", "US", "troops", "."], ["the", "US", "and", "Moscow", "talked"],
                ["The", "troops", "left", "."]]
    vocab = Vocab.build(training, glove_index(), LABELS, min_count=1)
    assert vocab.cased == ["John", "Moscow", "US"]  # "The" once against "the" once: lower case wins a tie
    shouted = ["JOHN", "VISITED", "MOSCOW", "WITH", "US", "TROOPS", "IN", "ZZYZX", "."]
    assert vocab.truecase(shouted) == ["John", "visited", "Moscow", "with", "US", "troops", "In", "Zzyzx", "."]
    mixed = ["JOHN", "McCAIN", "VISITED", "MOSCOW", "in", "TROOPS", "WITH", "US", "TALKED", "."]  # helper-88: stray words
    assert vocab.truecase(mixed) == ["John", "McCAIN", "visited", "Moscow", "in", "troops", "with", "US", "talked", "."]
    for as_is in (["Talks", "IN", "MOSCOW"], ["NATO"], ["1990", "."], ["北京", "上海"]):  # few capitals, one word, none
        assert vocab.truecase(as_is) is as_is
    torch.testing.assert_close(vocab.encode([shouted]).words, vocab.encode([vocab.truecase(shouted)]).words)
    headline = ["John", "Visited", "Moscow", "With", "US", "Troops", "And", "Zzyzx", "Talked", "In", "Anti-US", "1990s"]
    assert vocab.truecase(headline) == ["John", "visited", "Moscow", "with", "US", "troops", "and", "Zzyzx", "talked", "In",
                                        "Anti-US", "1990s"]  # usual forms; unknown, short and mixed words as they are
    assert vocab.truecase(["John", "Talked", "With", "Troops"]) == ["John", "talked", "with", "troops"]  # short (helper-93)
    for as_is in (["Talked", "With"], ["The", "Troops", "Left", "Moscow", "with", "US", "troops"]):
        assert vocab.truecase(as_is) is as_is  # one such word after the first; half of them in lower case
    model = CRFTagger(ModelConfig(word_dim=50, hidden=8, char_dim=4, char_filters=4), vocab)
    save_checkpoint(model, tmp_path / "ck", {})
    assert load_checkpoint(tmp_path / "ck")[0].vocab.truecase(shouted) == vocab.truecase(shouted)
    saved = json.loads((tmp_path / "ck" / "vocab.json").read_text())
    del saved["cased"]  # a checkpoint written before: capitals read as they come
    (tmp_path / "ck" / "vocab.json").write_text(json.dumps(saved))
    assert load_checkpoint(tmp_path / "ck")[0].vocab.truecase(shouted) is shouted
