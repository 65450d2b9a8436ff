"""Every table of the workbench's database, in one place (the schema Alembic migrates: ``migrations/``).

Grouped by the module that reads and writes them: corrections and datasets (:mod:`.store`), users
and sessions (:mod:`.users`), the registry and jobs (:mod:`ner_core.workbench`), double annotation
and reviews of corrections, the review queue and stored label issues (:mod:`ner_core.quality`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from ..data.tags import TYPE_MAX
from .db import Base

DATASET_NAME_MAX = 200  # characters in a dataset's name
AUTHOR_MAX = 100  # characters in a person's name typed as text (an author where no users are defined)
USER_NAME_MAX = 40  # characters in a user's name, and in the columns of other tables that hold one
NOTE_MAX = 500  # characters in a reviewer's note to the author of a batch
TAG_MAX = TYPE_MAX + 2  # characters in a tag (0016; 16 before)
# ---------------------------------------------------------------- store


class Dataset(Base):
    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(DATASET_NAME_MAX), unique=True)
    path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scheme: Mapped[str | None] = mapped_column(String(20), nullable=True)  # an imported file's tag scheme (IOB2, BIOES, ...)
    split_sizes: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)  # imported with dev and test files: the
    # sentences of its train, val and test parts, in that order (None: the seeded 80/10/10 split)
    split_rule: Mapped[str | None] = mapped_column(String(20), nullable=True)  # its one file's split: "covering" (each
    # type in every part, ner_core.data.corpus.split_indices), or None: the plain seeded split (imported before 0018)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # hidden, kept whole
    archived_by: Mapped[str | None] = mapped_column(String(AUTHOR_MAX), nullable=True)


class Correction(Base):
    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    sentence: Mapped[int] = mapped_column(Integer, index=True)
    token: Mapped[int] = mapped_column(Integer)
    old_tag: Mapped[str] = mapped_column(String(TAG_MAX))
    new_tag: Mapped[str] = mapped_column(String(TAG_MAX))
    author: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    batch: Mapped[str] = mapped_column(String(32), index=True)
    reverted: Mapped[bool] = mapped_column(Boolean, default=False)
    reverted_by: Mapped[str | None] = mapped_column(String(AUTHOR_MAX), nullable=True)  # its author (undo) or a reviewer (rejection)
    reverted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SentenceVersion(Base):
    """A sentence's version: 0 before its first save, bumped by every save and undo that touches it."""
    __tablename__ = "sentence_versions"
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), primary_key=True)
    sentence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EntityType(Base):
    """An entity type added to a dataset in the app (its file's own types are read from the file)."""
    __tablename__ = "entity_types"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    name: Mapped[str] = mapped_column(String(TYPE_MAX))
    author: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TypeGuideline(Base):
    """What an entity type of a dataset covers, as its annotators are to tag it (any type: the file's or an added one)."""
    __tablename__ = "type_guidelines"
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(TYPE_MAX), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnnotatorPosition(Base):
    """The sentence an annotator last opened in a dataset: a new session starts there."""
    __tablename__ = "annotator_positions"
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), primary_key=True)
    author: Mapped[str] = mapped_column(String(AUTHOR_MAX), primary_key=True)
    sentence: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


POOL_OPEN, POOL_ADDED, POOL_DISCARDED = "open", "added", "discarded"  # the states of a pool sentence


class PoolSentence(Base):
    """An unlabelled sentence of a dataset's pool; once annotated and saved (``added``) it is corpus
    sentence ``corpus_index`` (after the original file's), in the training split."""
    __tablename__ = "pool_sentences"
    __table_args__ = (UniqueConstraint("dataset_id", "key"), UniqueConstraint("dataset_id", "corpus_index"))
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))  # the words' hash: duplicates are dropped
    words: Mapped[list] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(300))  # the file it came from
    line: Mapped[int] = mapped_column(Integer)  # its sentence number in that file
    added_by: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(10), index=True)  # open, added, discarded
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # the ranking's; None: not ranked yet
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    types: Mapped[list | None] = mapped_column(JSON, nullable=True)  # the rare types it likely holds
    suggestion: Mapped[list | None] = mapped_column(JSON, nullable=True)  # the model's tags (the pre-annotation)
    ranked_with: Mapped[str | None] = mapped_column(String(300), nullable=True)  # the model that ranked it
    corpus_index: Mapped[int | None] = mapped_column(Integer, nullable=True)  # kept once given (an undo reopens it)
    batch: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the corrections its add saved
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the sentence's version its decision left
    decided_by: Mapped[str | None] = mapped_column(String(AUTHOR_MAX), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# ---------------------------------------------------------------- users


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(USER_NAME_MAX), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RemovedUser(Base):
    """A user removed: what they saved keeps their name, so the name stays theirs (a new user cannot take it over)."""
    __tablename__ = "removed_users"
    name: Mapped[str] = mapped_column(String(USER_NAME_MAX), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    removed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    removed_by: Mapped[str] = mapped_column(String(USER_NAME_MAX))


class SessionRow(Base):
    __tablename__ = "user_sessions"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- registry


class RegistryEntry(Base):
    """A retrained checkpoint set of a dataset; its files are under ``<data>/registry/<id>/``."""
    __tablename__ = "registry_entries"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    info: Mapped[dict] = mapped_column(JSON)


class Activation(Base):
    """One activation of an entry; the active entry is the latest not rolled back."""
    __tablename__ = "registry_activations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    entry_id: Mapped[str] = mapped_column(String(64))
    author: Mapped[str | None] = mapped_column(String(AUTHOR_MAX))
    activated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rolled_back: Mapped[bool] = mapped_column(Boolean, default=False)


# ---------------------------------------------------------------- jobs


class Job(Base):
    """A background job; ``holds_lock`` is True (unique) while it starts or runs, NULL after."""
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    spec: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))
    holds_lock: Mapped[bool | None] = mapped_column(Boolean, unique=True)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)
    started_by: Mapped[str | None] = mapped_column(String(USER_NAME_MAX))  # a signed-in user (None: the command line, no users)


class JobEvent(Base):
    """A progress event of a job (an epoch, a stage), in the order reported."""
    __tablename__ = "job_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event: Mapped[dict] = mapped_column(JSON)


# ---------------------------------------------------------------- agreement


class Assignment(Base):
    __tablename__ = "double_assignments"
    __table_args__ = (UniqueConstraint("dataset_id", "sentence"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    sentence: Mapped[int] = mapped_column(Integer)
    annotator_a: Mapped[str] = mapped_column(String(40))
    annotator_b: Mapped[str] = mapped_column(String(USER_NAME_MAX))
    assigned_by: Mapped[str] = mapped_column(String(40))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    adjudicated_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    adjudicated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    choice: Mapped[str | None] = mapped_column(String(10), nullable=True)
    adjudication_batch: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the save that settled it (0015)
    blind: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # annotators start from no entity and
    # do not see the gold (0016); else they correct the gold


class DoubleAnnotation(Base):
    __tablename__ = "double_annotations"
    __table_args__ = (UniqueConstraint("assignment_id", "annotator"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("double_assignments.id"), index=True)
    annotator: Mapped[str] = mapped_column(String(40))
    tags: Mapped[list] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    base: Mapped[list | None] = mapped_column(JSON, nullable=True)  # the sentence's tags the annotator started from (0014)


# ---------------------------------------------------------------- correction_review


class CorrectionReview(Base):
    __tablename__ = "correction_reviews"
    batch: Mapped[str] = mapped_column(String(32), primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    reviewer: Mapped[str] = mapped_column(String(40))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX), nullable=True)  # the reviewer's, to the author (why rejected)


# ---------------------------------------------------------------- review_queue


class ReviewItem(Base):
    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("dataset_id", "split", "source", "sentence", "start", "end", "given", "suggested",
                                       name="uq_review_items_candidate"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    split: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(20))
    sentence: Mapped[int] = mapped_column(Integer)  # corpus index
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    given: Mapped[str] = mapped_column(String(40))
    suggested: Mapped[str] = mapped_column(String(40))
    given_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    suggested_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    score: Mapped[float] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewDecision(Base):
    __tablename__ = "review_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    author: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    sentence: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)  # tokens whose tag the decision changed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reverted: Mapped[bool] = mapped_column(Boolean, default=False)
    batch: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the correction batch it saved (None: nothing changed)


class ReviewFill(Base):
    """That a source has been added to a split's queue, for a key (a model, a scoring run, a data version)."""
    __tablename__ = "review_fills"
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), primary_key=True)
    split: Mapped[str] = mapped_column(String(10), primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- issue_scores


class IssueRun(Base):
    """One cross-validated scoring of a dataset at a data version."""

    __tablename__ = "label_issue_runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    data_version: Mapped[str] = mapped_column(String(64))
    folds: Mapped[int] = mapped_column(Integer)
    labels: Mapped[list] = mapped_column(JSON)
    thresholds: Mapped[list] = mapped_column(JSON)
    models_dir: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IssueScore(Base):
    """A sentence's flagged tokens (``[token, given, suggested, score]`` lists) in a run."""

    __tablename__ = "label_issue_scores"
    __table_args__ = (UniqueConstraint("run_id", "sentence"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("label_issue_runs.id"), index=True)
    sentence: Mapped[int] = mapped_column(Integer)
    fold: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(16))
    issues: Mapped[list] = mapped_column(JSON)



# ---------------------------------------------------------------- claims


class Claim(Base):
    """An item on an annotator's screen (a review item or a pool sentence), held from the others a few minutes."""

    __tablename__ = "claims"
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "review" or "pool"
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    looking: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # a page that has only looked
