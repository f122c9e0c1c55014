"""Stored pools of parallel papers: built before a sitting, handed out when attempts start.

``pools.assemble_pool`` does the assembling (pure); this module reads what it needs (the bank,
each question's observed correct rate), stores the papers, and gives a starting attempt the least
given paper that holds none of the trainee's earlier questions — no solving at start time.
"""
from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from exam.models import (
    Answer,
    Attempt,
    AttemptState,
    Level,
    PaperItem,
    PaperPool,
    PoolPaper,
    PoolStatus,
    Question,
    QuestionStatus,
    QuestionVersion,
    record_audit,
)
from exam.services.assembly import AssemblyError, Paper, PaperEntry
from exam.services.item_analysis import Flag
from exam.services.papers import bank_candidates, level_rules
from exam.services.pools import DEFAULT_POOL_SIZE, ItemStats, assemble_pool, expected_score
from exam.services.sitting_analysis import flagged_question_ids
from exam.services.version_cache import load_pool_papers
from question_bank import Difficulty, QuestionType, QuestionUse


@dataclass
class FlaggedLeftOut(AssemblyError):
    """The bank could not fill the pool without the questions left out for negative discrimination."""

    left_out: int = 0

    def __str__(self) -> str:
        return f"{super().__str__()} (已排除 {self.left_out} 道负区分度、尚未解除标记的题目)"


def item_stats(session: Session, question_ids: Iterable[int] | None = None) -> dict[int, ItemStats]:
    """Per question (all versions): graded responses and the share of points earned.

    An item left unanswered on a graded paper is a response that earned nothing.
    """
    earned = func.coalesce(Answer.score, 0.0) / PaperItem.points
    stmt = (select(QuestionVersion.question_id, func.count(PaperItem.id), func.avg(earned))
            .join(PaperItem, PaperItem.question_version_id == QuestionVersion.id)
            .join(Attempt, Attempt.id == PaperItem.attempt_id)
            .outerjoin(Answer, Answer.paper_item_id == PaperItem.id)
            .where(Attempt.state == AttemptState.GRADED)
            .group_by(QuestionVersion.question_id))
    out: dict[int, ItemStats] = {}
    ids = None if question_ids is None else sorted(set(question_ids))
    chunks = [None] if ids is None else [ids[i:i + 900] for i in range(0, len(ids), 900)]
    for chunk in chunks:
        part = stmt if chunk is None else stmt.where(QuestionVersion.question_id.in_(chunk))
        for qid, n, rate in session.execute(part):
            out[qid] = ItemStats(int(n), float(rate or 0.0))
    return out


def active_pool(session: Session, level: Level) -> PaperPool | None:
    return session.scalars(select(PaperPool).where(PaperPool.level_id == level.id,
                                                   PaperPool.status == PoolStatus.ACTIVE)).first()


def build_pool(session: Session, level: Level, *, size: int = DEFAULT_POOL_SIZE, seed: int, now: datetime,
               actor_id: int | None, tolerance: float = 0.01) -> PaperPool:
    """Assemble and store ``size`` parallel papers for ``level`` from the exam-usable questions (考试 and 两者:
    pools serve certification attempts only), leaving out questions flagged by item analysis with negative
    discrimination that no trainer has cleared; the level's previous pool is retired."""
    flagged = flagged_question_ids(session, Flag.NEGATIVE)
    bank = [c for c in bank_candidates(session, level.code, QuestionUse.EXAM) if c.question_id not in flagged]
    stats = item_stats(session)
    try:
        pool = assemble_pool(level_rules(level), bank, random.Random(seed), size=size, stats=stats,
                             tolerance=tolerance)
    except AssemblyError as exc:
        if not flagged:
            raise
        raise FlaggedLeftOut(exc.level, exc.shortages, len(flagged)) from exc
    r = pool.report
    report = {"size": r.size, "expected_scores": r.expected_scores, "spread": round(r.spread, 4),
              "mean_overlap": r.mean_overlap, "max_overlap": r.max_overlap, "max_exposure": r.max_exposure,
              "over_target": r.over_target, "questions": len(r.exposure),
              "with_statistics": sum(1 for q in r.exposure if q in stats and stats[q].responses >= 30),
              "left_out_flagged": len(flagged)}
    session.execute(update(PaperPool).where(PaperPool.level_id == level.id, PaperPool.status == PoolStatus.ACTIVE)
                    .values(status=PoolStatus.RETIRED))
    stored = PaperPool(level_id=level.id, status=PoolStatus.ACTIVE, seed=seed, size=size, created_at=now,
                       created_by_id=actor_id, report=report)
    stored.papers = [
        PoolPaper(position=i, expected_score=round(expected_score(p, stats), 4),
                  items=[[e.question_id, e.version_id, e.area, e.type.value, e.difficulty.value, e.points]
                         for e in p.items])
        for i, p in enumerate(pool.papers, start=1)]
    session.add(stored)
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="pool.build", entity=stored, level=level.code,
                 size=size, seed=seed, spread=report["spread"], max_exposure=report["max_exposure"])
    return stored


def pool_paper(stored: PoolPaper, level_code: str) -> Paper:
    return _paper_of(stored.items, level_code)


def take_pool_paper(session: Session, level: Level, seen: set[int],
                    pool: PaperPool | None = None) -> tuple[int, Paper] | None:
    """The least given paper of ``pool`` (a sitting's own) or else the level's active pool (ties broken at
    random) that holds none of ``seen`` and only questions still active and exam-usable (a trainer may have
    made one 练习 since the pool was built); None when there is no pool or no such paper (the caller then
    draws one)."""
    pool = pool or active_pool(session, level)
    if pool is None:
        return None
    papers = session.execute(select(PoolPaper.id, PoolPaper.assigned).where(PoolPaper.pool_id == pool.id)).all()
    contents = load_pool_papers(session, {p.id for p in papers})
    usable = {p.id for p in papers if not seen.intersection(row[0] for row in contents[p.id])}
    while usable:
        # the least given paper that no other start is taking at this moment (its row is locked until
        # that start commits): a synchronized start spreads over the papers instead of queueing on one
        order = (PoolPaper.assigned, func.random())
        chosen = session.scalar(select(PoolPaper.id).where(PoolPaper.id.in_(usable)).order_by(*order)
                                .limit(1).with_for_update(skip_locked=True)) \
            or session.scalar(select(PoolPaper.id).where(PoolPaper.id.in_(usable)).order_by(*order).limit(1))
        if unfit_among(session, {row[0] for row in contents[chosen]}):
            usable.discard(chosen)  # a question retired or made 练习 since the pool was built: the next paper
            continue
        session.execute(update(PoolPaper).where(PoolPaper.id == chosen).values(assigned=PoolPaper.assigned + 1))
        return chosen, _paper_of(contents[chosen], level.code)
    return None


def unfit_among(session: Session, question_ids: set[int]) -> bool:
    """Whether any of the questions was retired or made 练习 (no longer exam-usable) since its paper was made."""
    unfit = (Question.status != QuestionStatus.ACTIVE) | Question.use.not_in(QuestionUse.serving(QuestionUse.EXAM))
    return session.scalar(select(Question.id).where(Question.id.in_(question_ids), unfit).limit(1)) is not None


def _paper_of(rows: list[list], level_code: str) -> Paper:
    return Paper(level_code, tuple(PaperEntry(qid, vid, area, QuestionType(t), pts, Difficulty(d))
                                   for qid, vid, area, t, d, pts in rows))

