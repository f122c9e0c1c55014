"""专项练习 and 错题本: short sets of practice-usable questions, each graded at once with its key and explanation;
the wrong book is derived from every practice and mock response, so nothing has to be kept in step with it.

Keys are shown here by design, so the rules of mock exams apply: only practice-usable questions (练习, 两者),
nothing at a level while the trainee's certification attempt there runs or an enrolled sitting's window is
open (``mock_refusals``), and never a question of a running certification paper (or its enemy group).
Services flush; callers commit once.
"""
from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import (
    Answer,
    Attempt,
    AttemptKind,
    AttemptState,
    Level,
    PaperItem,
    PracticeKind,
    PracticeResponse,
    PracticeSet,
    Question,
    QuestionStatus,
    QuestionVersion,
    User,
)
from exam.services.attempts import on_running_certification
from exam.services.papers import level_bit
from exam.services.qtypes import ResponseError, qtype
from exam.services.sittings import mock_refusals
from question_bank import Difficulty, QuestionType, QuestionUse

#: graded by the machine, so the answer can be judged the moment it is given
PRACTICE_TYPES = (QuestionType.TRUE_FALSE, QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.FILL_BLANK)
#: how many items a set may have (1: one item at a time)
SET_SIZES = (1, 5, 10, 20)
#: right answers in a row that take an item out of the wrong book
RIGHT_TO_LEAVE = 2


class PracticeError(ValueError):
    """Refused, with a message for the trainee."""


def practice_refusals(session: Session, user: User, levels: Iterable[Level], now: datetime,
                      activity: str = "专项练习") -> dict[int, str]:
    """Level id → why keys of that level may not be shown to the trainee now (the mock exams' rule)."""
    return mock_refusals(session, user, levels, now, activity=activity)


def check_level_open(session: Session, user: User, level: Level, now: datetime, activity: str = "专项练习") -> None:
    why = practice_refusals(session, user, [level], now, activity).get(level.id)
    if why:
        raise PracticeError(why + "。")


def _practice_usable(level: Level):  # noqa: ANN202
    return ((Question.status == QuestionStatus.ACTIVE) & Question.use.in_(QuestionUse.serving(QuestionUse.PRACTICE))
            & (Question.levels_mask.op("&")(level_bit(level.code)) != 0))


def draw_practice_set(session: Session, user: User, level: Level, now: datetime, rng: random.Random, *,
                      area: str | None = None, qtype_: QuestionType | None = None,
                      difficulty: Difficulty | None = None, size: int = 5) -> PracticeSet:
    """A new set of ``size`` practice-usable questions of ``level`` matching the filters, questions the trainee
    has not practised before first; refused while the level is closed to practice, or when nothing matches."""
    check_level_open(session, user, level, now)
    if size not in SET_SIZES:
        raise PracticeError(f"每组题数只能是 {'、'.join(map(str, SET_SIZES))} 之一")
    if qtype_ is not None and qtype_ not in PRACTICE_TYPES:
        raise PracticeError(f"{qtype_.label}需培训师阅卷, 不能即时判分, 专项练习只含判断、单选、多选和填空题")
    q = select(Question.id, Question.current_version_id).where(
        _practice_usable(level), Question.type.in_(PRACTICE_TYPES), Question.current_version_id.is_not(None))
    if area:
        q = q.where(Question.area_code == area)
    if qtype_ is not None:
        q = q.where(Question.type == qtype_)
    if difficulty is not None:
        q = q.where(Question.difficulty == difficulty)
    blocked = on_running_certification(session, user)
    candidates = [(qid, vid) for qid, vid in session.execute(q.order_by(Question.id)) if qid not in blocked]
    if not candidates:
        raise PracticeError("没有符合条件的练习题, 请放宽知识领域、题型或难度的筛选")
    practised = set(session.scalars(select(PracticeResponse.question_id).distinct()
                                    .where(PracticeResponse.user_id == user.id)))
    fresh = [c for c in candidates if c[0] not in practised]
    known = [c for c in candidates if c[0] in practised]
    chosen = rng.sample(fresh, min(size, len(fresh)))
    chosen += rng.sample(known, min(size - len(chosen), len(known)))
    return _new_set(session, user, level, PracticeKind.PRACTICE, chosen, now, area=area or None, qtype_=qtype_,
                    difficulty=difficulty)


def _new_set(session: Session, user: User, level: Level, kind: PracticeKind, items: list[tuple[int, int]],
             now: datetime, **filters: Any) -> PracticeSet:
    pset = PracticeSet(user_id=user.id, level_id=level.id, kind=kind, items=[[q, v] for q, v in items],
                       created_at=now, area_code=filters.get("area"), type=filters.get("qtype_"),
                       difficulty=filters.get("difficulty"))
    session.add(pset)
    session.flush()
    return pset


def next_position(pset: PracticeSet) -> int | None:
    """The first item not yet answered (1-based), or None when the set is done."""
    answered = {r.position for r in pset.responses}
    return next((i for i in range(1, len(pset.items) + 1) if i not in answered), None)


@dataclass
class ItemView:
    """One practice item as the page shows it; ``key`` and ``explanation`` only once it is answered."""

    position: int
    count: int
    question_id: int
    version: QuestionVersion
    response: PracticeResponse | None

    @property
    def type(self) -> QuestionType:
        return self.version.type

    @property
    def answered(self) -> bool:
        return self.response is not None

    @property
    def view(self) -> dict[str, Any]:
        """Stem and options (or blanks) in the version's own order: practice does not shuffle."""
        v = self.version
        return qtype(v.type).client_view(v.stem, list(v.options), list(range(len(v.options))))

    @property
    def key(self) -> str:
        return key_text(self.version)

    @property
    def given(self) -> str:
        return response_text(self.version, self.response.response if self.response else None)


def key_text(version: QuestionVersion) -> str:
    if version.type is QuestionType.TRUE_FALSE:
        return "对" if version.answer else "错"
    return qtype(version.type).key_text(version.answer, list(version.options))


def response_text(version: QuestionVersion, response: Any) -> str:
    """A stored (canonical) response as the trainee reads it: 对/错, letters, the blanks' words."""
    if response is None or response == [] or response == "":
        return "未作答"
    if version.type is QuestionType.TRUE_FALSE:
        return "对" if response else "错"
    if version.type is QuestionType.FILL_BLANK:
        return "; ".join(x or "(空)" for x in response)
    if isinstance(response, list):
        return "".join(response)
    return str(response)


def item_view(session: Session, user: User, pset: PracticeSet, position: int, now: datetime) -> ItemView:
    """Item ``position`` of the trainee's set, if its level is open to practice and the question is on no running
    certification paper."""
    if not 1 <= position <= len(pset.items):
        raise PracticeError(f"本组练习没有第 {position} 题")
    check_level_open(session, user, pset.level, now)
    question_id, version_id = pset.items[position - 1]
    if question_id in on_running_certification(session, user):
        raise PracticeError("本题出现在您正在进行的正式考试中, 交卷后才能练习")
    response = next((r for r in pset.responses if r.position == position), None)
    return ItemView(position, len(pset.items), question_id, session.get(QuestionVersion, version_id), response)


def form_response(qt: QuestionType, values: list[str]) -> Any:
    """The answer form's values (``request.form.getlist``) as the client value ``qtypes`` parses."""
    if qt in (QuestionType.MULTIPLE, QuestionType.FILL_BLANK):
        return list(values)
    return values[0] if values else None


def answer_item(session: Session, user: User, pset: PracticeSet, position: int, raw: Any,
                now: datetime) -> PracticeResponse:
    """Grade the trainee's answer to item ``position`` at once and record it; answering an item twice keeps the
    first answer (a double click, a second tab)."""
    view = item_view(session, user, pset, position, now)
    if view.response is not None:
        return view.response
    version = view.version
    try:
        response = qtype(version.type).parse(raw, list(range(len(version.options))))
    except ResponseError as exc:
        raise PracticeError(str(exc)) from None
    score = qtype(version.type).grade(response, version.answer, 1)
    row = PracticeResponse(set_id=pset.id, user_id=user.id, question_id=view.question_id,
                           question_version_id=version.id, position=position, area_code=version.area_code,
                           type=version.type, response=response, correct=score is not None and score >= 1,
                           answered_at=now)
    session.add(row)
    pset.responses.append(row)
    session.flush()
    if next_position(pset) is None:
        pset.finished_at = now
    return row


# --- 错题本 -----------------------------------------------------------------------------------


@dataclass
class WrongItem:
    question_id: int
    #: the version the trainee last got wrong, and what they answered
    version: QuestionVersion
    response: Any
    level_id: int
    #: 专项练习 / 错题重练 / 模拟考试
    source: str
    last_wrong_at: datetime
    times_wrong: int
    #: right answers since the last wrong one (RIGHT_TO_LEAVE of them take it out)
    streak: int

    @property
    def given(self) -> str:
        return response_text(self.version, self.response)

    @property
    def key(self) -> str:
        return key_text(self.version)


@dataclass
class _Event:
    question_id: int
    version_id: int
    correct: bool
    at: datetime
    response: Any
    level_id: int
    source: str
    order: tuple


def _events(session: Session, user: User) -> list[_Event]:
    """Every practice answer and every answered, machine-graded item of the trainee's finished mocks, oldest
    first (an item left blank in a mock handed in unfinished is not counted as a mistake)."""
    events = [
        _Event(qid, vid, bool(correct), at, response, level_id, kind.label, (at, 1, rid))
        for rid, qid, vid, correct, at, response, level_id, kind in session.execute(
            select(PracticeResponse.id, PracticeResponse.question_id, PracticeResponse.question_version_id,
                   PracticeResponse.correct, PracticeResponse.answered_at, PracticeResponse.response,
                   PracticeSet.level_id, PracticeSet.kind)
            .join(PracticeSet, PracticeSet.id == PracticeResponse.set_id)
            .where(PracticeResponse.user_id == user.id))]
    events += [
        _Event(qid, vid, score >= points, at, response, level_id, AttemptKind.MOCK.label, (at, 0, pos, aid))
        for aid, pos, qid, vid, score, points, at, response, level_id in session.execute(
            select(Attempt.id, PaperItem.position, QuestionVersion.question_id, PaperItem.question_version_id,
                   Answer.score, PaperItem.points, Attempt.finished_at, Answer.response, Attempt.level_id)
            .join(PaperItem, PaperItem.attempt_id == Attempt.id)
            .join(Answer, Answer.paper_item_id == PaperItem.id)
            .join(QuestionVersion, QuestionVersion.id == PaperItem.question_version_id)
            .where(Attempt.user_id == user.id, Attempt.kind == AttemptKind.MOCK,
                   Attempt.state != AttemptState.IN_PROGRESS, Answer.score.is_not(None),
                   PaperItem.type.in_(PRACTICE_TYPES))) if response is not None]
    return sorted(events, key=lambda e: e.order)


def wrong_book(session: Session, user: User) -> list[WrongItem]:
    """The trainee's wrong book: every question answered wrong in practice or a mock and not answered right
    ``RIGHT_TO_LEAVE`` times in a row since, newest mistake first. Only questions still active and
    practice-usable are listed (a question a trainer retired or made certification-only is not shown again)."""
    state: dict[int, dict[str, Any]] = {}
    for e in _events(session, user):
        entry = state.get(e.question_id)
        if not e.correct:
            state[e.question_id] = {"event": e, "wrong": (entry["wrong"] if entry else 0) + 1, "streak": 0}
        elif entry is not None:
            entry["streak"] += 1
            if entry["streak"] >= RIGHT_TO_LEAVE:
                entry["event"] = None  # left the book; a later mistake brings it back
    open_entries = {qid: s for qid, s in state.items() if s["event"] is not None}
    if not open_entries:
        return []
    usable = set(session.scalars(select(Question.id).where(
        Question.id.in_(open_entries), Question.status == QuestionStatus.ACTIVE,
        Question.use.in_(QuestionUse.serving(QuestionUse.PRACTICE)))))
    versions = {v.id: v for v in session.scalars(select(QuestionVersion).where(
        QuestionVersion.id.in_({s["event"].version_id for s in open_entries.values()})))}
    items = [WrongItem(qid, versions[s["event"].version_id], s["event"].response, s["event"].level_id,
                       s["event"].source, s["event"].at, s["wrong"], s["streak"])
             for qid, s in open_entries.items() if qid in usable]
    return sorted(items, key=lambda w: (w.last_wrong_at, w.question_id), reverse=True)


def visible_wrong_items(session: Session, user: User, levels: list[Level],
                        now: datetime) -> tuple[list[WrongItem], dict[int, str], int]:
    """The wrong book as it may be shown now: items of levels closed to practice are held back (with the
    reason per level), and so are questions of a running certification paper (counted)."""
    items = wrong_book(session, user)
    closed = practice_refusals(session, user, levels, now, activity="错题本")
    blocked = on_running_certification(session, user)
    shown = [w for w in items if w.level_id not in closed and w.question_id not in blocked]
    held = sum(1 for w in items if w.level_id not in closed and w.question_id in blocked)
    return shown, {lid: why for lid, why in closed.items() if any(w.level_id == lid for w in items)}, held


def wrong_book_set(session: Session, user: User, level: Level, now: datetime, rng: random.Random,
                   size: int = 10) -> PracticeSet:
    """A set of up to ``size`` of the trainee's wrong items of ``level`` again (their current versions)."""
    check_level_open(session, user, level, now, activity="错题本")
    if size not in SET_SIZES:
        raise PracticeError(f"每组题数只能是 {'、'.join(map(str, SET_SIZES))} 之一")
    blocked = on_running_certification(session, user)
    ids = [w.question_id for w in wrong_book(session, user) if w.level_id == level.id and w.question_id not in blocked]
    if not ids:
        raise PracticeError(f"错题本中没有{level.name}的题目")
    current = dict(session.execute(select(Question.id, Question.current_version_id).where(
        Question.id.in_(ids), _practice_usable(level))).all())
    chosen = rng.sample([q for q in ids if q in current], min(size, len(current)))
    if not chosen:
        raise PracticeError(f"错题本中{level.name}的题目已不再用于练习")
    return _new_set(session, user, level, PracticeKind.WRONG_BOOK, [(q, current[q]) for q in chosen], now)
