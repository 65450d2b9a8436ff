"""The study's method on any dataset: strong and weak taggers, a weak-sentence detector, the vote.

:func:`train_method` trains it from a split and a :class:`~ner_core.data.tags.TagSet` into one
directory, built aside and swapped in when everything has trained::

    NAME/pipeline.json   the voted pipeline, its detector threshold tuned on dev
    NAME/strong/         a tagger with the weak types masked to O
    NAME/weak/           a tagger with the strong types masked, trained with a recall margin
    NAME/detector/       does a sentence hold an entity of a weak type?

A dataset with no weak type gets the single tagger only: ``NAME/`` is then its checkpoint.
The training helpers here are also what :mod:`ner_core.study.experiments` retrains the tables with.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..data.corpus import Sentence, Split
from ..data.tags import TagSet, spans
from ..evaluation.evaluate import evaluate
from ..evaluation.metrics import entity_scores
from ..models.checkpoint import load_checkpoint
from ..models.checkpoint_dirs import building
from ..models.detector import DetectorConfig, WeakSentenceDetector, detector_proba, holds_weak_entity
from ..models.finetune import FineTuneConfig
from ..models.model import ModelConfig
from ..models.pipeline import VotedPipeline, save_pipeline, vote
from ..models.tagger import TaggedSentence, Tagger
from .recipes import RecipeChoice, finetune_settings, train_recipe
from .sampling import weak_training_set
from .train import BatchCallback, EpochReport, TrainConfig, TrainResult, train
from .train_detector import score_detector, train_detector

ROLES = ("single", "strong", "weak")
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]
DETECTOR_EPOCH_SHARE = 0.3  # a detector epoch's time as a share of a tagger epoch's, until one is measured
BATCH_REPORT_EVERY = 1.0  # seconds between progress events within an epoch

Report = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Recipe:
    """How a model family builds the method's models. The default is the shipped Bi-LSTM-CRF's
    (README: dropout 0.4, the weak tagger on every sentence with a recall margin of 3, an
    LSTM-attention detector with the class-weighted loss) plus the open vocabulary: a word that
    the training file lacks but GloVe knows keeps its GloVe vector, which pays off where the
    test data's words are not the training data's (another file, a smaller corpus)."""

    model: ModelConfig | FineTuneConfig = field(default_factory=lambda: ModelConfig(dropout=0.4, open_vocab=True))
    weak_others_per_weak: float = 0.0  # the weak tagger's data: weak sentences + this many others per one (0: all)
    weak_oversample: int = 1  # ... with the weak sentences repeated this many times
    weak_margin: float = 3.0  # the weak tagger's recall margin (softmax-margin cost of a missed entity)
    detector_arch: str = "lstm_attn"
    detector_weights: tuple[float, float] | None = (0.02, 0.98)  # class weights of the detector's loss

    def weak_data(self, sentences: Sequence[Sentence], weak_types: Iterable[str], seed: int) -> list[Sentence]:
        """The weak tagger's training data (the one recipe, for the method and for retraining from scratch)."""
        return weak_training_set(sentences, list(weak_types), self.weak_others_per_weak, self.weak_oversample, seed)


@dataclass(frozen=True)
class Family:
    """One model family: how its models are built, and its checkpoint names."""

    label: str
    recipe: Recipe
    single: str
    strong: str
    weak: str
    voted: str
    double: str


FAMILIES = (
    # The best taggers on val (README, reports/weak_classes.md): Bi-LSTM-CRF with dropout 0.4,
    # its weak tagger on all sentences with a recall margin of 3; the BERT-FF weak tagger on weak
    # sentences x3 + 10 others per weak one.
    Family("Bi-LSTM-CRF", Recipe(ModelConfig(dropout=0.4)), "bilstm_crf", "strong", "weak", "voted", "double"),
    Family(
        "BERT-FF",
        Recipe(ModelConfig(word_features=False, encoder="minilm-first", head="ff", hidden=128),
               weak_others_per_weak=10.0, weak_oversample=3, weak_margin=0.0),
        "bert_ff", "bert_strong", "bert_weak", "voted-bert", "double-bert",
    ),
)
"""The model families of the method: the app, the CLI, retraining and the study's tables use this list."""


@dataclass
class MethodSettings:
    """How long and on what to train: the most epochs per model (early stopping on dev decides)."""

    epochs: int = 30
    weak_epochs: int = 40
    detector_epochs: int = 6
    patience: int = 4
    weak_patience: int = 6
    detector_patience: int = 3
    threads: int | None = None  # torch threads while training (None: as the process has them)
    seed: int = 13
    batch_size: int = 32  # the taggers' (a GPU out of memory: give a smaller one)
    recipe: Recipe = field(default_factory=Recipe)
    progress: bool = True  # tqdm bars on the terminal
    device: str | None = None  # where to train: cpu, cuda[:N], mps, auto; None: $NER_DEVICE, else auto
    choice: RecipeChoice | None = None  # choose the single/strong tagger's recipe on dev (recipes.py), then use it for
    # the weak tagger too; None: ``recipe`` as it is (the families, the app's jobs)

    def __post_init__(self) -> None:
        for name in ("epochs", "weak_epochs", "detector_epochs", "patience", "weak_patience", "detector_patience", "threads", "batch_size"):
            if getattr(self, name) is not None and getattr(self, name) < 1:  # threads None: as the process has them
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


def tagger_settings(
    role: str, split: Split, tagset: TagSet, settings: MethodSettings, recipe: Recipe | None = None
) -> tuple[Sequence[Sentence], ModelConfig | FineTuneConfig, TrainConfig]:
    """The training data, model and training settings of the ``single``, ``strong`` (weak types masked) or
    ``weak`` (strong types masked) tagger."""
    if role not in ROLES:
        raise ValueError(f"unknown tagger role {role!r}: expected one of {', '.join(ROLES)}")
    recipe = recipe or settings.recipe
    data, model = split.train, recipe.model
    epochs, patience, masked = settings.epochs, settings.patience, ()
    if role == "strong":
        masked = tuple(sorted(tagset.weak))
    elif role == "weak":
        data = recipe.weak_data(split.train, tagset.weak, settings.seed)
        model = replace(model, recall_margin=recipe.weak_margin)
        epochs, patience, masked = settings.weak_epochs, settings.weak_patience, tagset.strong
    config = TrainConfig(epochs=epochs, patience=patience, batch_size=settings.batch_size, threads=settings.threads,
                         seed=settings.seed, mask_types=masked, device=settings.device)
    return data, model, finetune_settings(config) if isinstance(model, FineTuneConfig) else config


def train_tagger(
    role: str,
    split: Split,
    tagset: TagSet,
    out: Path,
    settings: MethodSettings,
    recipe: Recipe | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    on_batch: BatchCallback | None = None,
) -> TrainResult:
    """Train the ``single``, ``strong`` (weak types masked) or ``weak`` (strong types masked) tagger into ``out``."""
    data, model, config = tagger_settings(role, split, tagset, settings, recipe)
    return train(data, split.val, config, model, out, on_epoch=on_epoch, progress=settings.progress, tagset=tagset,
                 on_batch=on_batch)


def choose_and_train(
    role: str,
    split: Split,
    tagset: TagSet,
    out: Path,
    settings: MethodSettings,
    on_epoch: Callable[[EpochReport], None] | None = None,
    on_batch: BatchCallback | None = None,
    on_candidate: Callable[[str, int, float | None], None] = lambda _name, _epochs, _left: None,
    on_log: Callable[[str], None] = lambda _line: None,
) -> tuple[TrainResult, Recipe, dict[str, Any] | None]:
    """Train the ``single`` or ``strong`` tagger: by ``settings.choice`` when set (the recipe then chosen is
    returned, for the weak tagger, with its record), else by ``settings.recipe``. The choice's lines (each recipe's
    estimate, start, score or why it was skipped) go to stderr and to ``on_log``."""
    if settings.choice is None:
        return train_tagger(role, split, tagset, out, settings, on_epoch=on_epoch, on_batch=on_batch), settings.recipe, None
    data, model, config = tagger_settings(role, split, tagset, settings)
    chosen = train_recipe(data, split.val, config, settings.choice, model, out, tagset, on_epoch, on_batch,
                          settings.progress, log=lambda line: (print(f"{role}: {line}", file=sys.stderr), on_log(line)),
                          on_candidate=on_candidate)
    return chosen.result, replace(settings.recipe, model=chosen.model_config), chosen.record


def train_weak_detector(
    split: Split,
    tagset: TagSet,
    out: Path,
    settings: MethodSettings,
    recipe: Recipe | None = None,
    balanced: bool = False,
    on_epoch: Callable[[EpochReport], None] | None = None,
    on_batch: BatchCallback | None = None,
) -> TrainResult:
    """Train a detector of ``tagset``'s weak types into ``out`` (the recipe's architecture and
    loss; on all training sentences or ``balanced``), kept at its best dev ROC-AUC."""
    recipe = recipe or settings.recipe
    config = TrainConfig(epochs=settings.detector_epochs, patience=settings.detector_patience, threads=settings.threads, seed=settings.seed, device=settings.device)
    detector = DetectorConfig(tuple(sorted(tagset.weak)), arch=recipe.detector_arch, class_weights=recipe.detector_weights)
    return train_detector(split.train, split.val, config, detector, balanced=balanced, select_on="roc_auc",
                          out_dir=out, progress=settings.progress, on_epoch=on_epoch,
                          on_batch=on_batch)


def check_split_sizes(split: Split, name: str = "the data", advice: str | None = None) -> None:
    """Refuse, before any training, a split of ``name`` without train or val sentences, saying what each part holds;
    ``advice`` ends the message."""
    empty = [part for part, sentences in (("train", split.train), ("val", split.val)) if not sentences]
    if empty:
        sizes = f"{len(split.train)} train, {len(split.val)} val, {len(split.test)} test"
        total = len(split.train) + len(split.val) + len(split.test)
        raise ValueError(f"the {' and '.join(empty)} split{'s' * (len(empty) > 1)} of {name} {'are' if len(empty) > 1 else 'is'} empty "
                         f"({total} sentences: {sizes}): training needs train and val sentences; "
                         f"{advice or 'give a larger file, or a dev file'}")


def check_method_data(split: Split, tagset: TagSet, name: str = "the data", advice: str | None = None) -> None:
    """Refuse, before any training, a split of ``name`` that :func:`train_method` cannot train on: no train or val
    sentences (:func:`check_split_sizes`), or val sentences all with or all without a weak entity; ``advice`` ends
    the message."""
    check_split_sizes(split, name, advice)
    weak = [holds_weak_entity(s.tags, tagset.weak) for s in split.val] if tagset.weak else []
    if weak and len(set(weak)) == 1:  # the detector's ROC-AUC needs val sentences with and without a weak entity
        held = "no entity" if not weak[0] else f"in each of its {len(weak)} sentences an entity"
        where = f"the val split of {name}" if split.val_name == "val split" else f"the {split.val_name}"
        raise ValueError(f"{where} holds {held} of the weak types ({', '.join(sorted(tagset.weak))}): nothing to "
                         f"select the detector and tune its threshold on; {advice or 'give a larger dev set or --weak-types'}")


def zero_score_warning(role: str, types: Sequence[str], dev: Sequence[Sentence], where: str = "val split") -> str:
    """Why the ``role`` tagger (single, strong or weak) of ``types`` scored 0 micro F1 on ``dev`` (``where``: what it
    is called), and what helps."""
    counts = Counter(span.type for s in dev for span in spans(s.tags))
    held = " and ".join(f"{counts[t]} {t}" for t in types if counts[t])
    tagger, wanted = "the tagger" if role == "single" else f"the {role} tagger", ", ".join(types)
    if not held:
        return f"{tagger} scored 0 micro F1: the {where} holds no {wanted} entity to find; more annotated sentences are needed"
    return (f"{tagger} found none of the {where}'s {held} entities: more annotated {wanted} sentences are needed "
            "(New text mines for them)")


def tune_threshold(strong: list[TaggedSentence], weak: list[TaggedSentence], probs: list[float], gold: list[Sequence[str]]) -> tuple[float, float]:
    """The detector threshold with the best voted macro F1 on these (dev) sentences, and that F1."""
    best = (0.5, -1.0)
    for threshold in THRESHOLDS:
        tags = [vote(s, w, p, threshold).tags for s, w, p in zip(strong, weak, probs)]
        macro = entity_scores(gold, tags)["macro_f1"]
        if macro > best[1]:
            best = (threshold, macro)
    return best


def dev_threshold(dev: Sequence[Sentence], strong: Tagger, weak: Tagger, detector: WeakSentenceDetector) -> float:
    """:func:`tune_threshold` on the ``dev`` sentences."""
    words = [s.words for s in dev]
    return tune_threshold(strong.tag(words), weak.tag(words), detector_proba(detector, words), [s.tags for s in dev])[0]


class StageProgress:
    """Progress events of training in stages (:func:`train_method`, the retrain jobs): per epoch and (at most every
    :data:`BATCH_REPORT_EVERY` seconds) per batch, with an upper bound on the time left (the
    remaining stages at their most epochs; early stopping usually ends them sooner).

    Within an epoch, its time is the batches' pace plus the check after the last batch (scoring
    the dev set, saving): ``check_seconds`` until one is measured. ``timed`` stages (no epochs of
    their own, e.g. scoring) take the seconds given, estimated like ``check_seconds`` (of the first
    stage) and so scaled by how long its measured check took against it (the load may have changed)."""

    def __init__(self, stages: list[tuple[str, int]], report: Report, check_seconds: float = 0.0,
                 timed: dict[str, float] | None = None) -> None:
        self.stages, self.report, self.started = list(stages), report, time.perf_counter()
        self.epoch_seconds: dict[str, float] = {}
        self.checks: dict[str, float] = {}  # measured end-of-epoch check per stage
        self.check_seconds, self.timed = check_seconds, dict(timed or {})
        self.first_batch: dict[str, float] = {}  # when the current epoch's first batch ended
        self.pace: dict[str, tuple[float, int]] = {}  # seconds per batch, batches per epoch
        self.last_batch: dict[str, float] = {}
        self.last_batch_report = 0.0
        self.recipes: dict[str, str] = {}  # the recipe a stage is training now, where it tries several
        self.stage_started: dict[str, float] = {}  # when the stage (or its current candidate) started
        self.budget_ends: dict[str, float] = {}  # a stage choosing its recipe: when its budget ends (recipes to come)

    def _per_epoch(self, stage: str) -> float | None:
        if stage in self.timed:  # scaled by the first stage's measured check, the one check_seconds estimates
            first = self.checks.get(self.stages[0][0])
            return self.timed[stage] * (first / self.check_seconds if first and self.check_seconds else 1.0)
        if stage in self.epoch_seconds:
            return self.epoch_seconds[stage]
        taggers = [s for name, s in self.epoch_seconds.items() if name != "detector"]
        if not taggers:
            return None
        return sum(taggers) / len(taggers) * (DETECTOR_EPOCH_SHARE if stage == "detector" else 1.0)

    def _eta(self, index: int, done: float) -> int | None:
        left, now = 0.0, time.perf_counter()
        for i, (stage, total) in enumerate(self.stages[index:], start=index):
            per_epoch, ends = self._per_epoch(stage), self.budget_ends.get(stage) if i == index else None
            if per_epoch is None and ends is None:
                return None
            here = per_epoch * (total - done if i == index else total) if per_epoch is not None else 0.0
            left += here if ends is None else max(here, ends - now)  # recipes still to come: their budget
        return round(left)

    def start(self, stage: str) -> Callable[[EpochReport], None]:
        """Report the start of ``stage``; return its per-epoch callback."""
        index = [s for s, _ in self.stages].index(stage)
        self.stage_started[stage] = time.perf_counter()
        self.report({"stage": stage, "done": 0, "total": self.stages[index][1], "eta_seconds": self._eta(index, 0),
                     "seconds": round(self.stage_started[stage] - self.started, 1)})

        def on_epoch(r: EpochReport) -> None:
            now, total = time.perf_counter(), self.stages[index][1]
            self.epoch_seconds[stage] = (now - self.stage_started[stage]) / r.epoch  # setup included: without batch times only
            if stage in self.last_batch:
                self.checks[stage] = now - self.last_batch[stage]
            if stage in self.pace:  # the batches' pace: the stage's setup (vocabulary, vectors) is not an epoch's
                per_batch, batches = self.pace[stage]
                self.epoch_seconds[stage] = per_batch * batches + self.checks[stage]
            self.report({"stage": stage, **self._recipe(stage), "done": r.epoch, "total": total, "eta_seconds": self._eta(index, r.epoch),
                         "loss": round(r.loss, 4), "val": round(r.val_score, 4), "best": round(r.best_score, 4),
                         "seconds": round(time.perf_counter() - self.started, 1)})

        return on_epoch

    def batches(self, stage: str) -> BatchCallback:
        """The per-batch callback of ``stage`` (call after :meth:`start`): the epoch time is
        estimated from the batches done so far."""
        index = [s for s, _ in self.stages].index(stage)

        def on_batch(epoch: int, batch: int, batches: int) -> None:
            total = self.stages[index][1]
            now = self.last_batch[stage] = time.perf_counter()
            done = epoch - 1 + batch / batches
            if batch == 1:  # the pace is timed from the end of the first batch (the one that warms up)
                self.first_batch[stage] = now
            else:
                self.pace[stage] = ((now - self.first_batch[stage]) / (batch - 1), batches)
            if stage in self.pace:
                checks = list(self.checks.values())
                check = self.checks.get(stage, sum(checks) / len(checks) if checks else self.check_seconds)
                self.epoch_seconds[stage] = self.pace[stage][0] * batches + check
            if now - self.last_batch_report < BATCH_REPORT_EVERY or batch == batches or self._per_epoch(stage) is None:
                return
            self.last_batch_report = now
            self.report({"stage": stage, **self._recipe(stage), "done": epoch - 1, "total": total, "batch": batch,
                         "batches": batches, "eta_seconds": self._eta(index, done), "seconds": round(now - self.started, 1)})

        return on_batch

    def candidate(self, stage: str, choice: RecipeChoice | None) -> Callable[[str, int, float | None], None]:
        """The callback of a stage that tries ``choice``'s recipes: the timing of them all is reported at once, then each
        one's start, named in the stage's later events; while recipes are to come after it, the time left holds the
        budget left."""
        index = [s for s, _ in self.stages].index(stage)
        if choice is not None and choice.budget_minutes is not None:  # a budget: the recipes are timed first
            self.budget_ends[stage] = time.perf_counter() + 60 * choice.budget_minutes
            self.report({"stage": f"{stage}: timing each recipe", "done": 0, "total": 1, "eta_seconds": self._eta(index, 0),
                         "seconds": round(time.perf_counter() - self.started, 1)})

        def on_candidate(name: str, epochs: int, seconds_left: float | None) -> None:
            self.recipes[stage] = name
            self.stages[index] = (stage, epochs)  # the candidate's cap: the totals and the time left follow it
            self.stage_started[stage] = now = time.perf_counter()
            self.budget_ends.pop(stage, None)
            if seconds_left is not None:
                self.budget_ends[stage] = now + seconds_left
            for measured in (self.epoch_seconds, self.pace, self.checks, self.first_batch, self.last_batch):
                measured.pop(stage, None)  # the previous candidate's pace is not this one's
            self.report({"stage": stage, "recipe": name, "done": 0, "total": epochs, "eta_seconds": self._eta(index, 0),
                         "seconds": round(now - self.started, 1)})

        return on_candidate

    def log(self, stage: str) -> Callable[[str], None]:
        """The callback of a stage's lines about its recipe choice: each one an event of its own (``log``), which the
        progress line skips and a job's page lists."""
        return lambda line: self.report({"stage": stage, "log": line, "seconds": round(time.perf_counter() - self.started, 1)})

    def _recipe(self, stage: str) -> dict[str, str]:
        return {"recipe": self.recipes[stage]} if stage in self.recipes else {}

    def finish(self, stage: str, **extra: Any) -> None:
        """Report the end of ``stage``, with the time the stages after it will take."""
        index = [s for s, _ in self.stages].index(stage)
        total = self.stages[index][1]
        self.report({"stage": stage, "done": total, "total": total, "eta_seconds": self._eta(index + 1, 0),
                     "seconds": round(time.perf_counter() - self.started, 1), **extra})


def train_method(
    split: Split,
    tagset: TagSet,
    out_dir: str | Path,
    settings: MethodSettings | None = None,
    report: Report = lambda event: None,
) -> dict[str, Any]:
    """Train the method on ``split`` (early stopping and the threshold on ``split.val``) into ``out_dir``.

    ``report`` gets progress events: dicts with ``stage`` (``single``, ``strong``, ``weak``,
    ``detector``, ``threshold``), ``done`` and ``total`` (epochs, or 0/1), and ``eta_seconds``
    (an upper bound; ``None`` until one epoch is timed). Returns a summary with the dev scores and ``warnings``:
    a line per tagger that scored 0 dev micro F1 (:func:`zero_score_warning`).
    """
    settings = settings or MethodSettings()
    out_dir = Path(out_dir)
    check_method_data(split, tagset)
    started = time.perf_counter()
    summary: dict[str, Any] = {"tagset": tagset.to_dict(), "train_sentences": len(split.train), "dev_sentences": len(split.val)}
    if not tagset.weak:
        progress = StageProgress([("single", settings.epochs)], report)
        result, _, record = choose_and_train("single", split, tagset, out_dir, settings, progress.start("single"),
                                             progress.batches("single"), progress.candidate("single", settings.choice),
                                             progress.log("single"))
        progress.finish("single", note="no weak type: the single model only")
        warnings = [zero_score_warning("single", tagset.types, split.val, split.val_name)] if result.best_score == 0 else []
        return {**summary, "pipeline": False, "dev_micro_f1": result.best_score, **({"recipe": record} if record else {}),
                "warnings": warnings, "seconds": round(time.perf_counter() - started, 1)}
    progress = StageProgress(
        [("strong", settings.epochs), ("weak", settings.weak_epochs), ("detector", settings.detector_epochs), ("threshold", 1)], report
    )
    with building(out_dir) as tmp:
        strong, recipe, record = choose_and_train("strong", split, tagset, tmp / "strong", settings,
                                                  progress.start("strong"), progress.batches("strong"), progress.candidate("strong", settings.choice),
                                                  progress.log("strong"))
        weak = train_tagger("weak", split, tagset, tmp / "weak", settings, recipe, on_epoch=progress.start("weak"),
                            on_batch=progress.batches("weak"))
        if record:
            summary["recipe"] = record
        train_weak_detector(split, tagset, tmp / "detector", settings, on_epoch=progress.start("detector"),
                            on_batch=progress.batches("detector"))
        progress.start("threshold")
        detector, _ = load_checkpoint(tmp / "detector")
        threshold = dev_threshold(split.val, Tagger.from_checkpoint(tmp / "strong"), Tagger.from_checkpoint(tmp / "weak"), detector)
        save_pipeline(tmp, "strong", "weak", "detector", threshold)
        voted = evaluate(VotedPipeline.load(tmp), split.val)
        progress.finish("threshold", threshold=threshold)
        summary.update(
            pipeline=True, threshold=threshold, dev_strong_micro_f1=strong.best_score, dev_weak_micro_f1=weak.best_score,
            dev_detector_roc_auc=score_detector(detector, split.val)["roc_auc"],
            dev_micro_f1=voted["micro_f1"], dev_macro_f1=voted["macro_f1"],
            warnings=[zero_score_warning(role, types, split.val, split.val_name) for role, types, result
                      in (("strong", tagset.strong, strong), ("weak", sorted(tagset.weak), weak)) if result.best_score == 0],
        )
    return {**summary, "seconds": round(time.perf_counter() - started, 1)}
