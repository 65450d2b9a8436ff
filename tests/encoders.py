"""A small cased BERT built on the spot (never downloaded), saved as a user would have one on disk: the
tests of local encoders, frozen and fine-tuned, use it. And a model set without an encoder."""
import shutil
from pathlib import Path

from ner_core.models.encoder import _load, encoder_info, weights_fingerprint, word_encoder

WORDS = ["Paris", "paris", "Berlin", "is", "big", "visited", "Merkel", "Angela", "the", "city", "."]

WITHOUT_ENCODER = shutil.ignore_patterns("bert_*", "*-bert")
"""``copytree(..., ignore=WITHOUT_ENCODER)`` copies ``small_run``'s checkpoints but the BERT-FF family: a job or
page on them never loads the encoder (transformers alone takes seconds to import)."""


def forget_encoders() -> None:
    for cached in (encoder_info, weights_fingerprint, _load, word_encoder):
        cached.cache_clear()


def build_tiny_bert(folder: Path, max_tokens: int = 64) -> Path:
    """A 2-layer, 32-wide cased BERT with a word-piece vocabulary of its own, at most ``max_tokens`` sub-words a pass."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, "##s", "##is"]
    wordpiece = Tokenizer(models.WordPiece({w: i for i, w in enumerate(pieces)}, unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=False)  # cased
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    PreTrainedTokenizerFast(tokenizer_object=wordpiece, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                            sep_token="[SEP]", mask_token="[MASK]").save_pretrained(folder)
    config = BertConfig(vocab_size=len(pieces), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=max_tokens)
    BertModel(config).save_pretrained(folder)
    forget_encoders()
    return folder
