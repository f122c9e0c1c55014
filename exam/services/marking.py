"""Marking (阅卷) of short-answer and case-study answers, as a certification body signs it off.

- **Blind**: markers see an attempt code (``attempt_code``), never who wrote the answer.
- **Per scoring point**: when the item's reference answer carries a marking scheme (评分要点 with
  points, see ``question_bank.scheme``) the marker awards each point and the total is their sum;
  otherwise one total. Each marker's comment is kept with their mark.
- **Double marking** (双评): a certification attempt's case studies, at a level with
  ``double_marking``, are marked by two different markers who do not see each other's marks. Totals
  at most ``marking_tolerance`` apart: the answer scores their mean. Further apart: a third marker
  (仲裁; anyone but the first two, or only an administrator when ``MARKING_ARBITERS`` is ``admin``)
  sees both marks and gives the score. Mock exams and short answers are marked once.
- **Own organisation** (阅卷回避): with the setting on, a marker is never given answers of candidates
  of their own organisation or one below it (a marker at the top of the tree, the whole company, is
  not restricted); nobody ever marks their own answers.

Every mark is audited; the attempt is graded (and its certificate issued) once every answer has its
final score.
"""
from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam.models import (
    Answer,
    Attempt,
    AttemptKind,
    AttemptState,
    IllegalTransition,
    Level,
    Mark,
    Organization,
    PaperItem,
    Question,
    QuestionVersion,
    Role,
    Sitting,
    User,
    record_audit,
)
from exam.services.certificates import CertificateSettings
from exam.services.grading import finalize_if_complete
from question_bank import QuestionType
from question_bank.scheme import MarkingScheme, scheme_of

ROUND_LABELS = {1: "一评", 2: "二评", 3: "仲裁"}
FINISHED = (AttemptState.SUBMITTED, AttemptState.EXPIRED)
MANUAL_TYPES = [t for t in QuestionType if t.is_manual]
_EPS = 1e-9

# --- blind codes ---------------------------------------------------------------------------------------

#: no 0/O, 1/I: a code is read aloud and typed
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def attempt_code(attempt_id: int, key: str) -> str:
    """The attempt's marking code (密号), e.g. ``K7Q2-M9XD``: 40 bits of an HMAC of the id under the app's
    secret key, so it says nothing about the attempt, its candidate or its order."""
    digest = hmac.new(key.encode(), f"attempt-code:{attempt_id}".encode(), hashlib.sha256).digest()
    n = int.from_bytes(digest[:5], "big")
    code = "".join(_CODE_ALPHABET[(n >> shift) & 31] for shift in range(35, -1, -5))
    return f"{code[:4]}-{code[4:]}"


# --- the rules, as functions of plain values -----------------------------------------------------------


@dataclass(frozen=True)
class MarkingPolicy:
    """The deployment's marking settings (``MARKING_*`` in the config)."""

    exclude_own_organization: bool = False
    #: "any": any marker other than the first two gives the third mark; "admin": only administrators
    arbiters: str = "any"


@dataclass(frozen=True)
class Given:
    """A mark as the rules see it."""

    round: int
    marker_id: int
    points: float


def default_double(item_type: QuestionType, kind: AttemptKind, level_double: bool) -> bool:
    """Whether an answer not yet marked needs two marks: a certification case study at a double-marking level."""
    return item_type is QuestionType.CASE_STUDY and kind is AttemptKind.CERTIFICATION and level_double


def next_round(double: bool, marks: Sequence[Given], tolerance: float) -> int | None:
    """The round the answer waits for, or None when its score is decided."""
    rounds = {m.round: m for m in marks}
    if 1 not in rounds:
        return 1
    if not double or 3 in rounds:
        return None
    if 2 not in rounds:
        return 2
    return 3 if abs(rounds[1].points - rounds[2].points) > tolerance + _EPS else None


def final_score(double: bool, marks: Sequence[Given], tolerance: float) -> tuple[float | None, str]:
    """The answer's score and how it was reached: ``single``, ``mean`` (two marks within the
    tolerance), ``arbitration`` (the third mark); (None, "") while a mark is missing."""
    if next_round(double, marks, tolerance) is not None:
        return None, ""
    rounds = {m.round: m for m in marks}
    if not double:
        return rounds[1].points, "single"
    if 3 in rounds:
        return rounds[3].points, "arbitration"
    return round((rounds[1].points + rounds[2].points) / 2, 2), "mean"


def round_label(double: bool, round_: int) -> str:
    return ROUND_LABELS[round_] if double else "评分"


def item_scheme(version: QuestionVersion, points: int) -> MarkingScheme | None:
    """The item's marking scheme when its points add up to the item's points on the paper."""
    scheme = scheme_of(version.answer, version.explanation)
    return scheme if scheme is not None and abs(scheme.total - points) < _EPS else None


def excluded_organizations(session: Session, marker: User, policy: MarkingPolicy) -> frozenset[int]:
    """Organisations whose candidates ``marker`` may not mark: their own and every one below it. The top of
    the tree is the whole company (集团, where the certification staff sit), not a unit to avoid."""
    if not policy.exclude_own_organization or marker.organization_id is None:
        return frozenset()
    org = session.get(Organization, marker.organization_id)
    return frozenset(org.subtree_ids(session)) if org and org.parent_id is not None else frozenset()


def _may_take(round_: int, marks: Sequence[Given], marker: User, policy: MarkingPolicy) -> bool:
    if any(m.marker_id == marker.id for m in marks):
        return False
    return round_ != 3 or policy.arbiters != "admin" or marker.has_role(Role.ADMIN)


# --- marking one answer --------------------------------------------------------------------------------


@dataclass
class MarkingView:
    """What a marker may do with one answer now."""

    answer: Answer
    double: bool
    #: the round the marker marks (or revises), None when they cannot mark it
    round: int | None
    #: the marker's own mark, when they revise it
    own: Mark | None
    scheme: MarkingScheme | None
    #: the first two marks, shown to the third marker only
    earlier: list[Mark] = field(default_factory=list)
    #: why the marker cannot mark it (when ``round`` is None)
    refusal: str = ""

    @property
    def label(self) -> str:
        return round_label(self.double, self.round or 1)


def _marks_of(session: Session, answer: Answer) -> list[Mark]:
    return list(session.scalars(select(Mark).where(Mark.answer_id == answer.id).order_by(Mark.round)))


def _given(marks: Sequence[Mark]) -> list[Given]:
    return [Given(m.round, m.marker_id, m.points) for m in marks]


def _is_double(answer: Answer) -> bool:
    item = answer.item
    if answer.double_marking is not None:
        return answer.double_marking
    return default_double(item.type, item.attempt.kind, item.attempt.level.double_marking)


def marking_view(session: Session, answer: Answer, marker: User, policy: MarkingPolicy) -> MarkingView:
    """Whether ``marker`` may mark (or revise their mark of) ``answer``, in which round, and with what."""
    item, attempt = answer.item, answer.item.attempt
    double, marks = _is_double(answer), _marks_of(session, answer)
    tolerance = attempt.level.marking_tolerance
    view = MarkingView(answer, double, None, None, item_scheme(item.question_version, item.points))
    own = next((m for m in marks if m.marker_id == marker.id), None)
    if attempt.state is AttemptState.IN_PROGRESS:
        view.refusal = "该试卷尚未交卷, 不能评分。"
    elif attempt.state not in FINISHED:
        view.refusal = "该试卷已定分, 不能再修改评分。"
    elif own is not None:
        if any(m.round > own.round for m in marks):
            view.refusal = "您已评过此题, 且已有后续评分, 不能再修改。"
        else:
            view.round, view.own = own.round, own
    elif attempt.user_id == marker.id or attempt.user.organization_id in excluded_organizations(
            session, marker, policy):
        view.refusal = "该答卷不在您的阅卷范围内。"
    elif (needed := next_round(double, _given(marks), tolerance)) is None:
        view.refusal = "此题已定分, 无需再评。"
    elif not _may_take(needed, _given(marks), marker, policy):
        view.refusal = "此题等待仲裁, 仲裁须由管理员 (阅卷组长) 评定。" if needed == 3 else "此题需由另一位阅卷人评分。"
    else:
        view.round = needed
    if view.round == 3:
        view.earlier = [m for m in marks if m.round < 3]
    return view


def give_mark(session: Session, answer: Answer, marker: User, *, awards: list[float] | None, total: float | None,
              comment: str, now: datetime, settings: CertificateSettings, policy: MarkingPolicy) -> Mark:
    """Record ``marker``'s mark (per scheme point in ``awards``, else ``total``), decide the answer's score
    when its marks allow, and grade the attempt when that was its last open answer."""
    item, attempt = answer.item, answer.item.attempt
    if not item.type.is_manual:
        raise IllegalTransition("客观题由系统自动评分。")
    view = marking_view(session, answer, marker, policy)
    if view.round is None:
        raise IllegalTransition(view.refusal)
    if view.scheme is not None:
        if awards is None or len(awards) != len(view.scheme.points):
            raise IllegalTransition("请按评分要点逐项给分。")
        for i, (a, p) in enumerate(zip(awards, view.scheme.points, strict=True), start=1):
            if not 0 <= a <= p.points:
                raise IllegalTransition(f"要点 {i}: 得分应在 0 到 {p.points:g} 分之间。")
        total = round(sum(awards), 2)
    else:
        awards = []
    if total is None or not 0 <= total <= item.points:
        raise IllegalTransition(f"得分应在 0 到 {item.points} 分之间。")
    mark = view.own
    if mark is None:
        mark = Mark(answer_id=answer.id, round=view.round, marker_id=marker.id)
        session.add(mark)
    mark.points, mark.point_scores, mark.comment, mark.marked_at = float(total), list(awards), comment.strip(), now
    if answer.double_marking is None:
        answer.double_marking = view.double
    session.flush()
    record_audit(session, at=now, actor_id=marker.id, action="answer.mark", entity=answer, attempt_id=attempt.id,
                 position=item.position, round=view.round, points=float(total), point_scores=list(awards),
                 revised=view.own is not None)
    _decide(session, answer, view.double, now, settings, marker)
    return mark


def _decide(session: Session, answer: Answer, double: bool, now: datetime, settings: CertificateSettings,
            marker: User) -> None:
    attempt = answer.item.attempt
    marks = _marks_of(session, answer)
    score, how = final_score(double, _given(marks), attempt.level.marking_tolerance)
    if score is None:
        answer.score, answer.marked_by_id, answer.marked_at, answer.marker_comment = None, None, None, ""
        session.flush()
        return
    by_round = {m.round: m for m in marks}
    if how == "mean":
        comment = "\n".join(f"{ROUND_LABELS[r]}: {by_round[r].comment}" for r in (1, 2) if by_round[r].comment)
    else:
        comment = by_round[3 if how == "arbitration" else 1].comment
    changed = answer.score != score
    answer.score, answer.marked_by_id, answer.marked_at, answer.marker_comment = score, marker.id, now, comment
    session.flush()
    if changed:
        record_audit(session, at=now, actor_id=marker.id, action="answer.score", entity=answer, attempt_id=attempt.id,
                     position=answer.item.position, score=score, decided_by=how,
                     marks={ROUND_LABELS[m.round]: m.points for m in marks})
    finalize_if_complete(session, attempt, now, settings)


# --- the marker's list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One answer a marker may mark now. ``attempt_id`` is for the code only: never shown."""

    answer_id: int
    attempt_id: int
    level_code: str
    kind: AttemptKind
    position: int
    type: QuestionType
    points: int
    round: int
    double: bool

    @property
    def label(self) -> str:
        return round_label(self.double, self.round)


def marker_tasks(session: Session, marker: User, policy: MarkingPolicy) -> list[Task]:
    """Every answer ``marker`` may mark now: certification attempts first (a certificate waits on them),
    then mock exams, oldest first; arbitration before first marks within an attempt's items."""
    finished = Attempt.state.in_(FINISHED)
    rows = session.execute(
        select(Answer.id, Answer.double_marking, Attempt.id, Attempt.kind, Attempt.user_id, User.organization_id,
               Level.code, Level.double_marking, Level.marking_tolerance, PaperItem.position, PaperItem.type,
               PaperItem.points)
        .join(PaperItem, Answer.paper_item_id == PaperItem.id).join(Attempt, PaperItem.attempt_id == Attempt.id)
        .join(User, Attempt.user_id == User.id).join(Level, Attempt.level_id == Level.id)
        .where(Answer.score.is_(None), finished)
        .order_by(Attempt.kind == AttemptKind.MOCK, Attempt.finished_at, Attempt.id, PaperItem.position)
    ).all()
    marks: dict[int, list[Given]] = {}
    for answer_id, round_, marker_id, points in session.execute(
            select(Mark.answer_id, Mark.round, Mark.marker_id, Mark.points)
            .join(Answer, Mark.answer_id == Answer.id).join(Attempt, Answer.attempt_id == Attempt.id)
            .where(Answer.score.is_(None), finished)):
        marks.setdefault(answer_id, []).append(Given(round_, marker_id, points))
    excluded = excluded_organizations(session, marker, policy)
    tasks = []
    for (answer_id, answer_double, attempt_id, kind, user_id, org_id, level_code, level_double, tolerance,
         position, item_type, points) in rows:
        if user_id == marker.id or org_id in excluded:
            continue
        double = answer_double if answer_double is not None else default_double(item_type, kind, level_double)
        given = marks.get(answer_id, [])
        needed = next_round(double, given, tolerance)
        if needed is not None and _may_take(needed, given, marker, policy):
            tasks.append(Task(answer_id, attempt_id, level_code, kind, position, item_type, points, needed, double))
    return tasks


def revisable_marks(session: Session, marker: User) -> list[Mark]:
    """The marker's own marks they may still change: the attempt is not graded and no later round exists."""
    own = list(session.scalars(
        select(Mark).join(Answer, Mark.answer_id == Answer.id).join(Attempt, Answer.attempt_id == Attempt.id)
        .where(Mark.marker_id == marker.id, Attempt.state.in_(FINISHED)).order_by(Mark.marked_at.desc())))
    if not own:
        return []
    later = {(a, r) for a, r in session.execute(
        select(Mark.answer_id, Mark.round).where(Mark.answer_id.in_([m.answer_id for m in own])))}
    return [m for m in own if not any((m.answer_id, r) in later for r in range(m.round + 1, 4))]


# --- progress of a sitting -----------------------------------------------------------------------------


@dataclass
class ItemProgress:
    """One question's answers in the sitting: how far their marking has come."""

    key: str
    type: QuestionType
    stem: str
    answers: int = 0
    #: blank answers score 0 without a marker
    blank: int = 0
    double: int = 0
    first: int = 0
    second: int = 0
    #: two marks too far apart, no third yet
    awaiting_arbitration: int = 0
    arbitrated: int = 0
    decided: int = 0

    @property
    def percent(self) -> int:
        return int(100 * self.decided / self.answers) if self.answers else 100


@dataclass
class MarkerProgress:
    name: str
    rounds: Counter = field(default_factory=Counter)
    #: double-marked answers where this marker's mark and the other's were beyond the tolerance
    beyond_tolerance: int = 0

    @property
    def total(self) -> int:
        return sum(self.rounds.values())


@dataclass
class SittingProgress:
    sitting: Sitting
    tolerance: float
    finished: int = 0
    graded: int = 0
    items: list[ItemProgress] = field(default_factory=list)
    markers: list[MarkerProgress] = field(default_factory=list)

    @property
    def answers(self) -> int:
        return sum(i.answers for i in self.items)

    @property
    def decided(self) -> int:
        return sum(i.decided for i in self.items)

    @property
    def awaiting_arbitration(self) -> int:
        return sum(i.awaiting_arbitration for i in self.items)

    def as_json(self) -> dict[str, Any]:
        return {
            "sitting": {"id": self.sitting.id, "level": self.sitting.level.code,
                        "starts_at": self.sitting.starts_at.isoformat() + "Z"},
            "tolerance": self.tolerance, "finished": self.finished, "graded": self.graded,
            "answers": self.answers, "decided": self.decided, "awaiting_arbitration": self.awaiting_arbitration,
            "items": [{"key": i.key, "type": i.type.value, "answers": i.answers, "blank": i.blank,
                       "double_marked": i.double, "first": i.first, "second": i.second,
                       "awaiting_arbitration": i.awaiting_arbitration, "arbitrated": i.arbitrated,
                       "decided": i.decided} for i in self.items],
            "markers": [{"name": m.name, "first": m.rounds[1], "second": m.rounds[2], "arbitration": m.rounds[3],
                         "beyond_tolerance": m.beyond_tolerance} for m in self.markers],
        }


def sitting_progress(session: Session, sitting: Sitting) -> SittingProgress:
    """The marking of a sitting's open answers, per question and per marker (counts only: no candidate,
    no attempt, no single mark is shown)."""
    level = sitting.level
    progress = SittingProgress(sitting, level.marking_tolerance)
    for state, n in session.execute(select(Attempt.state, func.count()).where(Attempt.sitting_id == sitting.id)
                                    .group_by(Attempt.state)):
        if state is not AttemptState.IN_PROGRESS:
            progress.finished += n
        if state is AttemptState.GRADED:
            progress.graded += n
    in_sitting = (Attempt.sitting_id == sitting.id) & (Attempt.state != AttemptState.IN_PROGRESS)
    rows = session.execute(
        select(Answer.id, Answer.score, Answer.double_marking, PaperItem.type, Question.key,
               QuestionVersion.stem)
        .join(PaperItem, Answer.paper_item_id == PaperItem.id).join(Attempt, PaperItem.attempt_id == Attempt.id)
        .join(QuestionVersion, PaperItem.question_version_id == QuestionVersion.id)
        .join(Question, QuestionVersion.question_id == Question.id)
        .where(in_sitting, PaperItem.type.in_(MANUAL_TYPES))
        .order_by(PaperItem.type, Question.key)).all()
    marks: dict[int, list[Given]] = {}
    for answer_id, round_, marker_id, points in session.execute(
            select(Mark.answer_id, Mark.round, Mark.marker_id, Mark.points)
            .join(Answer, Mark.answer_id == Answer.id).join(Attempt, Answer.attempt_id == Attempt.id)
            .where(in_sitting)):
        marks.setdefault(answer_id, []).append(Given(round_, marker_id, points))
    items: dict[str, ItemProgress] = {}
    per_marker: dict[int, MarkerProgress] = {}
    for answer_id, score, answer_double, item_type, key, stem in rows:
        item = items.setdefault(key, ItemProgress(key, item_type, stem))
        item.answers += 1
        given = marks.get(answer_id, [])
        double = answer_double if answer_double is not None else default_double(
            item_type, AttemptKind.CERTIFICATION, level.double_marking)
        if not given and score is not None:
            item.blank += 1
        item.double += double
        rounds = {g.round: g for g in given}
        item.first += 1 in rounds
        item.second += 2 in rounds
        item.arbitrated += 3 in rounds
        if double and next_round(double, given, level.marking_tolerance) == 3:
            item.awaiting_arbitration += 1
        item.decided += score is not None
        for g in given:
            per_marker.setdefault(g.marker_id, MarkerProgress("")).rounds[g.round] += 1
        if double and 1 in rounds and 2 in rounds and (
                abs(rounds[1].points - rounds[2].points) > level.marking_tolerance + _EPS):
            for r in (1, 2):
                per_marker[rounds[r].marker_id].beyond_tolerance += 1
    progress.items = list(items.values())
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(list(per_marker)))).all()) \
        if per_marker else {}
    for marker_id, mp in per_marker.items():
        mp.name = names.get(marker_id, "")
    progress.markers = sorted(per_marker.values(), key=lambda m: (-m.total, m.name))
    return progress


def sittings_with_marking(session: Session, limit: int = 20) -> list[Sitting]:
    """The latest sittings whose papers hold open questions and that someone has handed in."""
    ids = select(Attempt.sitting_id).join(PaperItem, PaperItem.attempt_id == Attempt.id).where(
        Attempt.sitting_id.is_not(None), Attempt.state != AttemptState.IN_PROGRESS,
        PaperItem.type.in_(MANUAL_TYPES)).distinct()
    return list(session.scalars(select(Sitting).where(Sitting.id.in_(ids)).order_by(Sitting.starts_at.desc())
                                .limit(limit)))
