"""Double annotation: two annotators tag the same sentences, their agreement, and adjudication.

An admin assigns a share of a dataset's sentences to a pair of annotators. Each annotator's
tags of an assigned sentence are kept apart (``double_annotations``), not in the corrections,
until a reviewer adjudicates: picks one version (or an edited one), which is then saved as an
ordinary correction through :class:`~ner_core.storage.store.CorrectionStore`. Agreement per pair is
entity-level F1 of one annotator against the other (symmetric: precision and recall swap) from
:mod:`ner_core.evaluation.metrics`, and Cohen's kappa on token tags, overall and per type.
"""
from __future__ import annotations

import math
import random
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import NamedTuple, Sequence

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..data.tags import iob2_errors, repair_iob2, spans, tag_type
from ..evaluation.metrics import entity_scores
from ..storage.schema import Assignment, Correction, Dataset, DoubleAnnotation
from ..storage.store import CorrectionError, CorrectionStore, SaveResult, StaleSaveError, check_known, refuse_when_full
from ..storage.users import User, list_users, require

CHOICES = ("A", "B", "edited", "agreed")


class AgreementError(ValueError):
    """An assignment, annotation or adjudication that cannot be made (the message says why)."""


@dataclass(frozen=True)
class Disagreement:
    sentence: int
    annotators: tuple[str, str]
    words: tuple[str, ...]
    tags_a: list[str]
    tags_b: list[str]
    gold: list[str]  # the dataset's current tags
    version: int  # the version of gold: adjudicating names it
    start: list[str] = field(default_factory=list)  # the adjudicated column's default: where A and B (each over what others
    # saved since, :func:`over_later_saves`) agree, their tag; where they differ, the sentence's tag now
    later: tuple[int, ...] = ()  # tokens saved otherwise since the annotators started, where their tags differ from now
    saved_by: str | None = None  # who saved the sentence last (the later save's author, where ``later``)
    reopened: bool = False  # adjudicated once, and that save reverted (rejected by a reviewer, or undone)


@dataclass
class PairAgreement:
    annotators: tuple[str, str]
    sentences: int  # annotated by both
    tokens: int
    entity_f1: float  # micro over types
    kappa: float  # on the token tags (nan when undefined: one tag only, on both sides)
    per_type: dict[str, dict[str, float]] = field(default_factory=dict)  # type -> {"f1", "kappa", "a", "b"}: a, b = how
    # many entities of the type each annotator tagged
    disagreements: int = 0  # sentences open to adjudicate (:func:`disagreements`)
    adjudicated: int = 0  # sentences settled by an adjudicator (A's, B's or edited tags; not adopted alike)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _name(user: User | None) -> str:
    return user.name if user else "anonymous"


@refuse_when_full()
def assign(store: CorrectionStore, share: float, annotators: tuple[str, str], by: User | None,
           among: Sequence[int] | None = None, seed: int = 0, blind: bool = False) -> list[int]:
    """Assign ``share`` of the sentences (of ``among``, default all) not yet assigned to two annotators; ``blind``:
    they tag them from no entity, without the gold (else they correct the gold, which anchors them: agreement then
    measures agreement on corrections).

    The sentences are drawn at random (seeded); returns their indices, sorted.
    """
    require(by, "assign")
    a, b = annotators
    if a == b:
        raise AgreementError("double annotation needs two different annotators")
    known = {u.name for u in list_users(store.engine)}
    missing = [n for n in (a, b) if n not in known]
    if missing:
        raise AgreementError(f"no user named {', '.join(map(repr, missing))}")
    if not 0 < share <= 1:
        raise AgreementError(f"the share must be in (0, 1], got {share}")
    pool = list(range(len(store.original))) if among is None else list(among)
    with Session(store.engine) as session, session.begin():
        taken = set(session.scalars(select(Assignment.sentence).where(Assignment.dataset_id == store.dataset_id)))
        free = [i for i in pool if i not in taken and 0 <= i < len(store.original)]
        count = min(len(free), round(share * len(pool)))
        if count == 0:
            raise AgreementError(f"nothing to assign: {len(free)} free sentence(s), share {share} of {len(pool)}")
        chosen = sorted(random.Random(seed).sample(free, count))
        now = _now()
        session.add_all(Assignment(dataset_id=store.dataset_id, sentence=i, annotator_a=a, annotator_b=b,
                                   assigned_by=_name(by), assigned_at=now, blind=blind) for i in chosen)
    return chosen


def _assignment(session: Session, store: CorrectionStore, sentence: int, lock: bool = False) -> Assignment | None:
    query = select(Assignment).where(Assignment.dataset_id == store.dataset_id, Assignment.sentence == sentence)
    return session.scalar(query.with_for_update() if lock else query)


def _untagged(session: Session, *where) -> list[tuple[int, str]]:
    """(dataset id, annotator) of each open assignment's annotator who has not tagged it yet, among those ``where`` selects."""
    rows = session.execute(select(Assignment.id, Assignment.dataset_id, Assignment.annotator_a, Assignment.annotator_b).where(
        Assignment.adjudicated_at.is_(None), *where)).all()
    done = set(session.execute(select(DoubleAnnotation.assignment_id, DoubleAnnotation.annotator).where(
        DoubleAnnotation.assignment_id.in_([r.id for r in rows]))).all())
    return [(r.dataset_id, name) for r in rows for name in (r.annotator_a, r.annotator_b) if (r.id, name) not in done]


def untagged(store: CorrectionStore) -> Counter[str]:
    """How many open sentences each annotator has still to tag."""
    with Session(store.engine) as session:
        return Counter(name for _, name in _untagged(session, Assignment.dataset_id == store.dataset_id))


def left_to_tag_note(engine: Engine, name: str) -> str:
    """What a removed user leaves to tag in double annotation, per dataset (until handed over, never adjudicated)."""
    left = left_to_tag(engine, name)
    return (f"; {name} leaves {', '.join(f'{n} sentence(s) of {d!r}' for d, n in left.items())} to tag in double annotation: "
            "hand them to someone on the Agreement page") if left else ""


def left_to_tag(engine: Engine, name: str) -> dict[str, int]:
    """Per dataset, the open sentences assigned to ``name`` that ``name`` has not tagged."""
    with Session(engine) as session:
        left = Counter(dataset for dataset, who in _untagged(session, (Assignment.annotator_a == name) | (Assignment.annotator_b == name))
                       if who == name)
        names = dict(session.execute(select(Dataset.id, Dataset.name).where(Dataset.id.in_(left))).tuples().all())
    return {names[d]: n for d, n in sorted(left.items(), key=lambda item: names[item[0]])}


def reassign(store: CorrectionStore, name: str, to: str, by: User | None) -> list[int]:
    """Hand the open sentences assigned to ``name`` that ``name`` has not tagged yet to ``to`` (someone removed, or
    away); those ``name`` tagged stay theirs, and so does one that ``to`` already shares with ``name``. Returns the
    sentences handed over."""
    require(by, "assign")
    if to == name:
        raise AgreementError("choose someone else to hand the sentences to")
    if to not in {u.name for u in list_users(store.engine)}:
        raise AgreementError(f"no user named {to!r}")
    theirs = (Assignment.annotator_a == name) | (Assignment.annotator_b == name)
    with Session(store.engine) as session, session.begin():
        rows = session.scalars(select(Assignment).where(Assignment.dataset_id == store.dataset_id, theirs,
                                                        Assignment.adjudicated_at.is_(None)).with_for_update()).all()
        tagged = set(session.scalars(select(DoubleAnnotation.assignment_id).where(
            DoubleAnnotation.assignment_id.in_([r.id for r in rows]), DoubleAnnotation.annotator == name)))
        moved = [r for r in rows if r.id not in tagged and to not in (r.annotator_a, r.annotator_b)]
        if not moved:
            raise AgreementError(f"{name} has no open sentence left untagged that {to} could take ({len(rows)} open, "
                                 f"{len(tagged)} of them tagged by {name})")
        for r in moved:
            if r.annotator_a == name:
                r.annotator_a = to
            else:
                r.annotator_b = to
        return [r.sentence for r in moved]


def assigned_to(store: CorrectionStore, user: str) -> list[int]:
    """Sentences assigned to ``user`` and not yet adjudicated, in order."""
    with Session(store.engine) as session:
        return list(session.scalars(
            select(Assignment.sentence).where(
                Assignment.dataset_id == store.dataset_id, Assignment.adjudicated_at.is_(None),
                (Assignment.annotator_a == user) | (Assignment.annotator_b == user),
            ).order_by(Assignment.sentence)
        ))


@dataclass(frozen=True)
class MyShare:
    """An annotator's double annotation: the sentences still open (which of them they have tagged, and which both
    annotators have: final, their tags no longer change) and how many are settled (adjudicated: they leave the list)."""

    open: list[int]
    tagged: set[int]
    settled: int
    final: set[int] = field(default_factory=set)
    blind: set[int] = field(default_factory=set)  # open ones to tag from no entity, without the gold


def my_share(store: CorrectionStore, user: str) -> MyShare:
    """``user``'s assigned sentences: open ones, those of them already tagged by ``user``, and the settled count."""
    mine = (Assignment.annotator_a == user) | (Assignment.annotator_b == user)
    with Session(store.engine) as session:
        rows = session.execute(select(Assignment.id, Assignment.sentence, Assignment.adjudicated_at, Assignment.blind)
                               .where(Assignment.dataset_id == store.dataset_id, mine).order_by(Assignment.sentence)).all()
        saved = session.execute(select(DoubleAnnotation.assignment_id, DoubleAnnotation.annotator).where(
            DoubleAnnotation.assignment_id.in_([r.id for r in rows]))).all()
    done = {a for a, who in saved if who == user}
    both = done & {a for a, who in saved if who != user}
    still = [r for r in rows if r.adjudicated_at is None]
    return MyShare([r.sentence for r in still], {r.sentence for r in still if r.id in done}, len(rows) - len(still),
                   {r.sentence for r in still if r.id in both}, {r.sentence for r in still if r.blind})


def assignments(store: CorrectionStore) -> list[dict]:
    """Every assignment of the dataset: sentence, annotators, who assigned it, and whether it is settled."""
    with Session(store.engine) as session:
        rows = session.scalars(select(Assignment).where(Assignment.dataset_id == store.dataset_id).order_by(Assignment.sentence))
        return [{"sentence": r.sentence, "annotator A": r.annotator_a, "annotator B": r.annotator_b, "blind": r.blind,
                 "assigned by": r.assigned_by, "assigned": r.assigned_at, "settled by": r.adjudicated_by, "choice": r.choice}
                for r in rows]


def annotation(store: CorrectionStore, sentence: int, user: str) -> list[str] | None:
    """``user``'s own tags of an assigned sentence, or ``None`` if not saved yet."""
    with Session(store.engine) as session:
        row = _assignment(session, store, sentence)
        if row is None:
            return None
        tags = session.scalar(select(DoubleAnnotation.tags).where(DoubleAnnotation.assignment_id == row.id,
                                                                   DoubleAnnotation.annotator == user))
        return list(tags) if tags is not None else None


def _checked(store: CorrectionStore, sentence: int, tags: Sequence[str]) -> list[str]:
    """``tags`` with IOB2 repaired, or :class:`CorrectionError` (wrong length, unknown tag)."""
    tags, length = list(tags), len(store.original[sentence].words)
    if len(tags) != length:
        raise CorrectionError(f"sentence {sentence} has {length} tokens, got {len(tags)} tags")
    check_known(store.tagset, tags)
    return repair_iob2(tags)


@refuse_when_full()
def save_annotation(store: CorrectionStore, sentence: int, tags: Sequence[str], user: User,
                    base: Sequence[str] | None = None) -> list[int]:
    """Keep ``user``'s own tags of a sentence assigned to them (changed until the other annotator's are in); returns the
    IOB2-repaired positions. ``base``: the sentence's tags the annotator started from (default: as they are now), kept
    from the first save, so that adjudication keeps what others save in the sentence meanwhile."""
    require(user, "correct")
    if user is None:
        raise AgreementError("double annotation needs a signed-in annotator")
    repaired = iob2_errors(tags)
    tags = _checked(store, sentence, tags)
    with Session(store.engine) as session, session.begin():
        row = _assignment(session, store, sentence, lock=True)  # not handed to someone else meanwhile (:func:`reassign`)
        if row is None or user.name not in (row.annotator_a, row.annotator_b):
            raise AgreementError(f"sentence {sentence} is not assigned to {user.name}" + (
                "" if row is None else f": it is {row.annotator_a}'s and {row.annotator_b}'s (an admin may have handed it on)"))
        if row.adjudicated_at is not None:
            raise AgreementError(f"sentence {sentence} was adjudicated by {row.adjudicated_by}; correct it on the Annotate page")
        mine = session.scalar(select(DoubleAnnotation).where(DoubleAnnotation.assignment_id == row.id,
                                                              DoubleAnnotation.annotator == user.name))
        partner = session.scalar(select(DoubleAnnotation.annotator).where(DoubleAnnotation.assignment_id == row.id,
                                                                          DoubleAnnotation.annotator != user.name))
        if mine is not None and partner is not None:  # independent work: no second look once the other's tags are in
            raise AgreementError(f"sentence {sentence} is tagged by both annotators ({user.name} and {partner}): your tags "
                                 "are final; a reviewer adjudicates where they differ")
        if mine is None:
            start = list(base) if base is not None and len(base) == len(tags) else store.tags(sentence)
            session.add(DoubleAnnotation(assignment_id=row.id, annotator=user.name, tags=tags, saved_at=_now(), base=start))
        else:
            mine.tags, mine.saved_at = tags, _now()
        session.flush()
        store.check_types(session, tags)
    return repaired


class Tagged(NamedTuple):
    """An annotator's tags of a sentence and the sentence's tags they started from (``None``: saved before 0014)."""

    tags: list[str]
    base: list[str] | None
    saved_at: datetime


def _pairs(store: CorrectionStore, open_only: bool) -> list[tuple[Assignment, Tagged, Tagged]]:
    """Assignments annotated by both, with A's and B's tags."""
    with Session(store.engine) as session:
        query = select(Assignment).where(Assignment.dataset_id == store.dataset_id)
        if open_only:
            query = query.where(Assignment.adjudicated_at.is_(None))
        rows = list(session.scalars(query.order_by(Assignment.sentence)))
        tags: dict[tuple[int, str], Tagged] = {
            (d.assignment_id, d.annotator): Tagged(list(d.tags), None if d.base is None else list(d.base), d.saved_at)
            for d in session.scalars(select(DoubleAnnotation).where(DoubleAnnotation.assignment_id.in_([r.id for r in rows])))
        }
        session.expunge_all()
    return [(r, tags[r.id, r.annotator_a], tags[r.id, r.annotator_b])
            for r in rows if (r.id, r.annotator_a) in tags and (r.id, r.annotator_b) in tags]


def over_later_saves(chosen: Sequence[str], base: Sequence[str], now: Sequence[str]) -> tuple[list[str], list[int]]:
    """An annotator's ``chosen`` tags, made from ``base``, over the sentence as it is ``now``: a token saved otherwise
    since keeps its later tag where the annotator left it as it was; where the annotator changed it too, to another tag,
    it is a conflict (listed; ``now``'s tag kept). Elsewhere the annotator's tag."""
    merged, conflicts = [], []
    for i, (c, b, n) in enumerate(zip(chosen, base, now)):
        if n != b and c != n:
            conflicts += [i] if c != b else []
            merged.append(n)
        else:
            merged.append(c)
    return merged, conflicts


def _base(store: CorrectionStore, sentence: int, tagged: Tagged, now: Sequence[str]) -> list[str]:
    """What ``tagged`` started from: as recorded, else (saved before 0014) ``now`` with each token saved since the
    annotation as it was before the first such save."""
    if tagged.base is not None:
        return tagged.base
    base = list(now)
    with Session(store.engine) as session:
        later = session.execute(select(Correction.token, Correction.old_tag).where(
            Correction.dataset_id == store.dataset_id, Correction.sentence == sentence, Correction.created_at > tagged.saved_at)
            .order_by(Correction.id.desc())).all()
    for token, old in later:  # newest first: the earliest save's old tag is written last
        base[token] = old
    return base


def _settled(store: CorrectionStore, sentence: int, a: Tagged, b: Tagged, now: Sequence[str]) -> tuple[list[str], list[str], tuple[int, ...]]:
    """A's and B's tags over what others saved since each started, and the tokens saved since where a version differs from now."""
    merged_a, conflicts_a = over_later_saves(a.tags, _base(store, sentence, a, now), now)
    merged_b, conflicts_b = over_later_saves(b.tags, _base(store, sentence, b, now), now)
    later = tuple(sorted(set(conflicts_a) | set(conflicts_b)))
    return merged_a, merged_b, later


def kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two label sequences; nan when undefined (both use one and the same label)."""
    if len(set(a) | set(b)) < 2:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sklearn.metrics import cohen_kappa_score  # sklearn takes seconds to import: only when measured

        return float(cohen_kappa_score(list(a), list(b)))


def pair_agreement(tags_a: Sequence[Sequence[str]], tags_b: Sequence[Sequence[str]]) -> dict[str, object]:
    """Entity F1 (micro and per type), token-tag kappa (overall and per type: the type's tokens vs the rest) and how many
    entities of each type each annotator tagged."""
    scores = entity_scores(tags_a, tags_b)
    count_a, count_b = (Counter(span.type for s in side for span in spans(s)) for side in (tags_a, tags_b))
    flat_a = [t for s in tags_a for t in s]
    flat_b = [t for s in tags_b for t in s]
    types = sorted({tag_type(t) for t in flat_a + flat_b} - {None})
    per_type = {
        t: {"f1": scores["per_type"].get(t, {}).get("f1", 0.0),
            "kappa": kappa([tag_type(x) == t for x in flat_a], [tag_type(x) == t for x in flat_b]), "a": count_a[t], "b": count_b[t]}
        for t in types
    }
    return {"entity_f1": scores["micro_f1"], "kappa": kappa(flat_a, flat_b), "per_type": per_type}


def agreement(store: CorrectionStore, open_ones: Sequence[Disagreement] | None = None) -> list[PairAgreement]:
    """Agreement per annotator pair over the sentences both have annotated (adjudicated ones too); each pair's open
    sentences are those :func:`disagreements` lists (``open_ones``, where read already), its adjudicated ones those
    settled otherwise than by adoption."""
    by_pair: dict[tuple[str, str], list[tuple[list[str], list[str], str | None]]] = {}
    for row, a, b in _pairs(store, open_only=False):  # a pair is its two names in either order (helper-86: after a
        flip = row.annotator_b < row.annotator_a      # hand-over, one pair was two rows, each with part of its sentences)
        by_pair.setdefault(_pair(row.annotator_a, row.annotator_b), []).append((b.tags, a.tags, row.choice) if flip else
                                                                               (a.tags, b.tags, row.choice))
    listed = Counter(_pair(*d.annotators) for d in (disagreements(store) if open_ones is None else open_ones))
    result = []
    for pair, items in sorted(by_pair.items()):
        tags_a, tags_b = [a for a, _, _ in items], [b for _, b, _ in items]
        scores = pair_agreement(tags_a, tags_b)
        adjudicated = sum(choice is not None and choice != "agreed" for _, _, choice in items)
        result.append(PairAgreement(pair, len(items), sum(map(len, tags_a)), scores["entity_f1"], scores["kappa"],
                                    scores["per_type"], listed[pair], adjudicated))
    return result


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def disagreements(store: CorrectionStore) -> list[Disagreement]:
    """Sentences both annotators tagged and not yet adjudicated: differently, or alike but against what someone saved in
    the sentence since they started (adopting theirs would overwrite it)."""
    pairs = _pairs(store, open_only=True)
    states = store.snapshots(row.sentence for row, _, _ in pairs)
    found = []
    for row, a, b in pairs:
        now = states[row.sentence]
        merged_a, merged_b, later = _settled(store, row.sentence, a, b, now.tags)
        reopened = row.adjudication_batch is not None  # its adjudication reverted: a person settles it again
        if a.tags != b.tags or later or merged_a != merged_b or reopened:
            found.append(Disagreement(row.sentence, (row.annotator_a, row.annotator_b), store.original[row.sentence].words,
                                      a.tags, b.tags, now.tags, now.version, _start(merged_a, merged_b, now.tags), later,
                                      now.author, reopened))
    return found


def _start(a: Sequence[str], b: Sequence[str], now: Sequence[str]) -> list[str]:
    """The adjudicated column's default, which takes neither annotator's side: their tag where they agree and the tag now
    where they differ; where that mix is no valid IOB2 or holds an entity none of the three has (their entities
    overlap each other's), the tags now."""
    merged = [x if x == y else n for x, y, n in zip(a, b, now)]
    known = set(spans(a)) | set(spans(b)) | set(spans(now))
    return merged if not iob2_errors(merged) and set(spans(merged)) <= known else list(now)


def adjudicate(store: CorrectionStore, sentence: int, tags: Sequence[str], choice: str, user: User | None,
               version: int) -> SaveResult:
    """Settle a doubly annotated sentence: ``tags`` (A's, B's or edited) become its correction.

    ``version`` is the sentence's version the adjudicator saw (:attr:`Disagreement.version`): a
    sentence changed since is refused (:class:`~ner_core.storage.store.StaleSaveError`). The assignment is
    claimed first, so two reviewers cannot settle it twice; if the save is refused, the claim is
    released and nothing changes.
    """
    require(user, "adjudicate")
    if choice not in CHOICES:
        raise AgreementError(f"unknown choice {choice!r}: {', '.join(CHOICES)}")
    if choice in ("A", "B"):  # theirs over what others saved since they started; the edited column is taken as it is
        tags = _over_later_saves_or_refuse(store, sentence, tags, choice)
    with Session(store.engine) as session, session.begin():
        row = _assignment(session, store, sentence)
        if row is None:
            raise AgreementError(f"sentence {sentence} is not doubly annotated")
        if user is not None and user.name in (row.annotator_a, row.annotator_b):  # as no one reviews their own batch
            raise AgreementError(f"sentence {sentence} is {user.name}'s own double annotation (with "
                                 f"{row.annotator_b if user.name == row.annotator_a else row.annotator_a}): another reviewer settles it")
        claimed = session.execute(
            update(Assignment).where(Assignment.id == row.id, Assignment.adjudicated_at.is_(None))
            .values(adjudicated_by=_name(user), adjudicated_at=_now(), choice=choice)
        ).rowcount
        if not claimed:
            raise AgreementError(f"sentence {sentence} was adjudicated already, by {row.adjudicated_by}")
        assignment_id = row.id
    def settled_by(session: Session, saved: SaveResult) -> None:  # its batch, in the same transaction: reverting it reopens
        session.execute(update(Assignment).where(Assignment.id == assignment_id).values(adjudication_batch=saved.batch))

    try:
        return store.save(sentence, tags, author=_name(user), expected_version=version, also=settled_by)
    except Exception:
        with Session(store.engine) as session, session.begin():
            session.execute(update(Assignment).where(Assignment.id == assignment_id)
                            .values(adjudicated_by=None, adjudicated_at=None, choice=None))
        raise


def _over_later_saves_or_refuse(store: CorrectionStore, sentence: int, tags: Sequence[str], choice: str) -> list[str]:
    """Annotator ``choice``'s ``tags`` over the sentence's later saves (:func:`over_later_saves`); a conflict is refused."""
    pair = next(((row, a, b) for row, a, b in _pairs(store, open_only=True) if row.sentence == sentence), None)
    if pair is None:
        return list(tags)  # not open: the claim below says why
    row, a, b = pair
    name, tagged = (row.annotator_a, a) if choice == "A" else (row.annotator_b, b)
    now = store.tags(sentence)
    merged, conflicts = over_later_saves(tags, _base(store, sentence, tagged, now), now)
    if conflicts:
        words = store.original[sentence].words
        raise AgreementError(f"sentence {sentence} was saved since {name} tagged it, otherwise than {name} did: "
                             + ", ".join(f'"{words[i]}" now {now[i]}, {name}\'s {tags[i]}' for i in conflicts)
                             + ": settle it in the adjudicated column.")
    return merged


class Adopted(NamedTuple):
    saved: int  # sentences settled
    stale: list[int]  # saved otherwise by someone else since the annotators started: left open to adjudicate

    def __str__(self) -> str:
        one = len(self.stale) == 1
        stale = (f" {len(self.stale)} left open: saved otherwise by someone else since the annotators started (sentence"
                 f"{'' if one else 's'} {', '.join(map(str, self.stale))}): adjudicate {'it' if one else 'them'} below."
                 if self.stale else "")
        return f"{self.saved} sentence(s) tagged alike by both saved as corrections.{stale}"


def adopt_agreed(store: CorrectionStore, user: User | None) -> Adopted:
    """Settle every open sentence both annotators tagged alike: one batch of corrections, each sentence
    checked against the version it was read at, and their assignments closed in the same transaction."""
    require(user, "adjudicate")
    pairs = [(row, a, b) for row, a, b in _pairs(store, open_only=True)
             if a.tags == b.tags and row.adjudication_batch is None]  # a reverted adjudication is a person's to settle again
    states = store.snapshots(row.sentence for row, _, _ in pairs)
    agreed, stale = {}, []
    for row, a, b in pairs:  # theirs over what others saved in the sentence since they started; a conflict waits
        merged_a, merged_b, later = _settled(store, row.sentence, a, b, states[row.sentence].tags)
        if later or merged_a != merged_b:
            stale.append(row.sentence)
        else:
            agreed[row.sentence] = merged_a
    versions = {s: states[s].version for s in agreed}

    def settle(session: Session, saved: SaveResult) -> None:
        session.execute(update(Assignment).where(Assignment.dataset_id == store.dataset_id, Assignment.sentence.in_(list(agreed)),
                                                 Assignment.adjudicated_at.is_(None))
                        .values(adjudicated_by=_name(user), adjudicated_at=_now(), choice="agreed", adjudication_batch=saved.batch))

    while agreed:
        try:
            store.save_many(agreed, author=_name(user), expected=versions, also=settle)
            break
        except StaleSaveError as err:
            stale.append(err.sentence)
            del agreed[err.sentence], versions[err.sentence]
    return Adopted(len(agreed), sorted(stale))
