"""The tagger's inputs: the open-vocabulary GloVe option and the config checks."""
import numpy as np
import pytest
import torch

from ner_core.features import Vocab
from ner_core.glove import glove_index, glove_vectors
from ner_core.model import CRFTagger, ModelConfig


@pytest.fixture(scope="module")
def open_model():
    vocab = Vocab.build([["The", "river", "flows", "."]], glove_index(), min_count=1)
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
    from ner_core.corpus import Sentence

    sentences = [
        Sentence(("John", "lives", "here"), ("B-per", "O", "O"), ("NNP", "VBZ", "RB")),
        Sentence(("Paris", "."), ("B-geo", "O")),  # no POS (a CoNLL file without the column)
    ]
    vocab = Vocab.build([s.words for s in sentences], glove_index(), min_count=1)
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
