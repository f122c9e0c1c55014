"""Starting, saving, submitting and expiring attempts. Services flush; callers commit once."""
from __future__ import annotations

import dataclasses
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    QuestionVersion,
    Sitting,
    User,
    answers_by_item,
    record_audit,
)
from exam.services.assembly import Paper
from exam.services.certificates import CertificateSettings
from exam.services.grading import finalize_overdue
from exam.services.paper_pools import take_pool_paper
from exam.services.papers import draw_paper, seen_questions
from exam.services.qtypes import ResponseError, qtype


def start_attempt(session: Session, user: User, level: Level, now: datetime, settings: CertificateSettings,
                  seed: int | None = None, *, kind: AttemptKind = AttemptKind.CERTIFICATION,
                  sitting: Sitting | None = None, extra_minutes: int = 0) -> Attempt:
    """Open attempt for (user, level, kind) if there is one, else a new one with a fresh paper.

    An open attempt whose deadline passed is finalised first (it may even earn a certificate).
    A certification attempt takes a paper from the sitting's pool (else the level's active pool,
    else it is drawn); a mock attempt is always drawn, so mocks never expose pool papers. The
    deadline is the level's duration plus ``extra_minutes`` (accommodation).
    Who may start what (sitting window, eligibility) is decided by the callers.
    """
    open_attempt = session.scalars(
        select(Attempt).where(Attempt.user_id == user.id, Attempt.level_id == level.id, Attempt.kind == kind,
                              Attempt.state == AttemptState.IN_PROGRESS)
    ).one_or_none()
    if open_attempt is not None and not open_attempt.is_overdue(now):
        return open_attempt
    if open_attempt is not None:
        finalize_overdue(session, open_attempt, now, settings)
    seed = secrets.randbits(31) if seed is None else seed
    rng = random.Random(seed)
    seen = seen_questions(session, user.id, level)
    taken = None if kind is AttemptKind.MOCK else take_pool_paper(
        session, level, seen, rng, pool=sitting.pool if sitting is not None else None)
    # a pre-assembled paper when the level has a pool (no solving at a synchronized start)
    if taken:  # the same questions as others given this paper, in an order of its own within each section
        pool_paper_id, paper = taken[0].id, _shuffled_within_sections(taken[1], rng)
    else:
        pool_paper_id, paper = None, draw_paper(session, level, rng, seen=seen)
    attempt = Attempt(
        user_id=user.id, level_id=level.id, state=AttemptState.IN_PROGRESS, seed=seed, started_at=now,
        deadline_at=now + Attempt.duration_for(level) + timedelta(minutes=extra_minutes), pass_mark=level.pass_mark,
        total_points=paper.total_points, pool_paper_id=pool_paper_id, kind=kind,
        sitting_id=sitting.id if sitting is not None else None,
    )
    attempt.items = _paper_items(paper, rng, session)
    session.add(attempt)
    session.flush()
    if paper.repeated:
        record_audit(session, at=now, actor_id=user.id, action="attempt.repeats", entity=attempt,
                     repeated=paper.repeated, note="题库不足, 重考试卷含此前见过的题目 (已尽量少)")
    return attempt


def _shuffled_within_sections(paper: Paper, rng: random.Random) -> Paper:
    sections: dict[object, list] = {}
    for e in paper.items:
        sections.setdefault(e.type, []).append(e)
    for items in sections.values():
        rng.shuffle(items)
    return dataclasses.replace(paper, items=tuple(e for items in sections.values() for e in items))


def _paper_items(paper: Paper, rng: random.Random, session: Session) -> list[PaperItem]:
    versions = {v.id: v for v in session.scalars(
        select(QuestionVersion).where(QuestionVersion.id.in_([e.version_id for e in paper.items]))
    )}
    items = []
    for pos, e in enumerate(paper.items, start=1):
        order: list[int] = []
        if e.type.is_choice:
            order = list(range(len(versions[e.version_id].options)))
            rng.shuffle(order)
        items.append(PaperItem(position=pos, question_version_id=e.version_id, area_code=e.area, type=e.type,
                               difficulty=e.difficulty, points=e.points, option_order=order))
    return items


@dataclass
class SaveResult:
    saved: list[int]
    stale: list[int]
    #: what the page needs to keep its countdown true
    state: AttemptState
    remaining_seconds: int


class AttemptNotFound(LookupError):
    """No such attempt for this trainee."""


def save_answers(session: Session, attempt_id: int, user_id: int, changes: list[dict[str, Any]],
                 now: datetime) -> SaveResult:
    """Apply changes ``{"item": position, "response", "flagged", "seq"}``; older sequence numbers lose.

    Reads only the attempt's row and the changed items, and writes every change in one upsert whose
    ``WHERE answers.seq < excluded.seq`` keeps the newest save of each item even between concurrent
    requests. The attempt's row is share-locked, so a submit or the deadline sweep (which update it)
    waits for this save and grades it, or comes first and this save is refused with the new state.
    """
    positions = set()
    for change in changes:
        seq = change.get("seq") if isinstance(change, dict) else None
        pos = change.get("item") if isinstance(change, dict) else None
        if (not isinstance(seq, int) or isinstance(seq, bool) or seq < 1
                or not isinstance(pos, int) or isinstance(pos, bool)):
            raise ResponseError(f"无效的保存请求: {change!r}")
        positions.add(pos)
    rows = session.execute(
        select(Attempt.state, Attempt.deadline_at, Attempt.user_id, PaperItem.id, PaperItem.position,
               PaperItem.type, PaperItem.option_order)
        .outerjoin(PaperItem, (PaperItem.attempt_id == Attempt.id) & PaperItem.position.in_(positions))
        .where(Attempt.id == attempt_id)
        .with_for_update(read=True, of=Attempt)
    ).all()
    if not rows or rows[0].user_id != user_id:
        raise AttemptNotFound(attempt_id)
    state, deadline_at = rows[0].state, rows[0].deadline_at
    Attempt.check_save_allowed(state, deadline_at, now)
    items = {r.position: r for r in rows if r.id is not None}
    latest: dict[int, dict[str, Any]] = {}  # per item, the newest change of this batch
    for change in changes:
        item = items.get(change["item"])
        if item is None:
            raise ResponseError(f"无效的保存请求: 第 {change['item']} 题不存在")
        response = qtype(item.type).parse(change.get("response"), item.option_order)
        row = {"attempt_id": attempt_id, "paper_item_id": item.id, "response": response,
               "flagged": bool(change.get("flagged", False)), "seq": change["seq"], "saved_at": now}
        if item.id not in latest or latest[item.id]["seq"] < row["seq"]:
            latest[item.id] = row
    written: set[int] = set()
    if latest:
        insert = _upsert_dialect(session)(Answer).values(list(latest.values()))
        upsert = insert.on_conflict_do_update(
            index_elements=[Answer.paper_item_id],
            set_={c: insert.excluded[c] for c in ("response", "flagged", "seq", "saved_at")},
            where=Answer.seq < insert.excluded.seq,
        ).returning(Answer.paper_item_id)
        written = set(session.scalars(upsert))
    by_id = {r.id: r.position for r in items.values()}
    saved = sorted(by_id[i] for i in written)
    return SaveResult(saved=saved, stale=sorted(set(positions) - set(saved)), state=state,
                      remaining_seconds=max(0, int((deadline_at - now).total_seconds())))


def _upsert_dialect(session: Session):  # noqa: ANN202
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def client_state(session: Session, attempt: Attempt, now: datetime) -> dict[str, Any]:
    """Everything the exam page needs to resume: saved answers, flags, the true remaining time."""
    answers = answers_by_item(session, attempt.id)
    saved = {}
    for item in attempt.items:
        a = answers.get(item.id)
        if a is not None:
            saved[str(item.position)] = {
                "response": qtype(item.type).display(a.response, item.option_order),
                "flagged": a.flagged, "seq": a.seq,
            }
    return {
        "attempt": attempt.id,
        "state": attempt.state.value,
        "remaining_seconds": attempt.remaining_seconds(now),
        "max_seq": max((a["seq"] for a in saved.values()), default=0),
        "answers": saved,
    }

