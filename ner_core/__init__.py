"""NER workbench core: corpus I/O, taggers and the voted pipeline, training, evaluation, corrections, users."""
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .corpus import CorpusError, Sentence, Split, default_corpus_path, read_corpus, split_corpus, write_corpus
from .crf import CRF
from .cross_val import CrossValConfig, cross_validate
from .evaluate import evaluate
from .issue_scores import stored_issues
from .label_issues import LabelIssue, find_label_issues
from .method import MethodSettings, train_method
from .metrics import entity_scores
from .model import CRFTagger, ModelConfig
from .pipeline import TokenVote, VotedPipeline, VotedSentence, load_any
from .store import CorrectionStore, make_engine
from .tagger import TaggedSentence, Tagger
from .tags import Span, TagSet, mask_types, repair_iob2, spans
from .train import TrainConfig, train
from .users import RoleError, SignInError, User, add_user, require, sign_in, user_for_token

__all__ = [
    "CRFTagger", "CRF", "CheckpointError", "CorpusError", "CorrectionStore", "ModelConfig",
    "MethodSettings", "TokenVote", "VotedPipeline", "VotedSentence", "load_any", "make_engine", "train_method",
    "Sentence", "Span", "Split", "TagSet", "TaggedSentence", "Tagger", "TrainConfig",
    "default_corpus_path", "entity_scores", "evaluate", "load_checkpoint", "mask_types", "read_corpus",
    "repair_iob2", "save_checkpoint", "spans", "split_corpus", "train", "write_corpus",
    "RoleError", "SignInError", "User", "add_user", "require", "sign_in", "user_for_token",
    "CrossValConfig", "LabelIssue", "cross_validate", "find_label_issues", "stored_issues",
]
