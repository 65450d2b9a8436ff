"""NER workbench core: corpus I/O, taggers and the voted pipeline, training, evaluation, corrections."""
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .corpus import CorpusError, Sentence, Split, default_corpus_path, read_corpus, split_corpus, write_corpus
from .crf import CRF
from .evaluate import evaluate
from .method import MethodSettings, train_method
from .metrics import entity_scores
from .model import CRFTagger, ModelConfig
from .pipeline import TokenVote, VotedPipeline, VotedSentence, load_any
from .store import CorrectionStore, make_engine
from .tagger import TaggedSentence, Tagger
from .tags import Span, TagSet, mask_types, repair_iob2, spans
from .train import TrainConfig, train

__all__ = [
    "CRFTagger", "CRF", "CheckpointError", "CorpusError", "CorrectionStore", "ModelConfig",
    "MethodSettings", "TokenVote", "VotedPipeline", "VotedSentence", "load_any", "make_engine", "train_method",
    "Sentence", "Span", "Split", "TagSet", "TaggedSentence", "Tagger", "TrainConfig",
    "default_corpus_path", "entity_scores", "evaluate", "load_checkpoint", "mask_types", "read_corpus",
    "repair_iob2", "save_checkpoint", "spans", "split_corpus", "train", "write_corpus",
]
