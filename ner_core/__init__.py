"""NER workbench core: corpus I/O, taggers and the voted pipeline, training, evaluation, corrections."""
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .corpus import CorpusError, Sentence, Split, default_corpus_path, read_corpus, split_corpus, write_corpus
from .crf import CRF
from .evaluate import evaluate
from .metrics import entity_scores
from .model import CRFTagger, ModelConfig
from .pipeline import TokenVote, VotedPipeline, VotedSentence, load_any
from .store import CorrectionStore, make_engine
from .tagger import TaggedSentence, Tagger
from .tags import ALL_TAGS, ENTITY_TYPES, STRONG_TYPES, WEAK_TYPES, Span, mask_types, repair_iob2, spans
from .train import TrainConfig, train

__all__ = [
    "ALL_TAGS", "CRFTagger", "CRF", "CheckpointError", "CorpusError", "CorrectionStore", "ENTITY_TYPES", "ModelConfig",
    "TokenVote", "VotedPipeline", "VotedSentence", "load_any", "make_engine",
    "STRONG_TYPES", "Sentence", "Span", "Split", "TaggedSentence", "Tagger", "TrainConfig", "WEAK_TYPES",
    "default_corpus_path", "entity_scores", "evaluate", "load_checkpoint", "mask_types", "read_corpus",
    "repair_iob2", "save_checkpoint", "spans", "split_corpus", "train", "write_corpus",
]
