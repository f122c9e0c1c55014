"""Bridge between the database and the pure assembler: a level's rules and the bank's candidates."""
from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import Attempt, Level, PaperItem, Question, QuestionStatus, QuestionVersion
from exam.services.assembly import Candidate, Feasibility, LevelRules, Paper, assemble_paper, feasibility
from question_bank import LEVEL_CODES


def level_rules(level: Level) -> LevelRules:
    return LevelRules(
        level=level.code,
        sections={s.type: (s.count, s.points) for s in level.sections if s.count},
        weights={w.area_code: w.percent for w in level.weights},
        difficulty_mix={d.difficulty: d.percent for d in level.difficulty_mix},
        tolerance=level.difficulty_tolerance,
    )


def bank_candidates(session: Session, level_code: str) -> list[Candidate]:
    """Active questions whose current version is allowed in the level."""
    bit = 1 << LEVEL_CODES.index(level_code)
    rows = session.execute(
        select(Question.id, QuestionVersion.id, QuestionVersion.area_code, QuestionVersion.type,
               QuestionVersion.difficulty, Question.enemy_group)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .where(Question.status == QuestionStatus.ACTIVE, QuestionVersion.levels_mask.op("&")(bit) != 0)
        .order_by(Question.id)
    ).all()
    return [Candidate(qid, area, qtype, diff, vid, group) for qid, vid, area, qtype, diff, group in rows]


def level_by_code(session: Session, code: str) -> Level | None:
    return session.scalars(select(Level).where(Level.code == code)).one_or_none()


def seen_questions(session: Session, user_id: int, level: Level) -> set[int]:
    """Questions this trainee has had on papers of this level before (any version)."""
    return set(session.scalars(
        select(QuestionVersion.question_id).distinct()
        .join(PaperItem, PaperItem.question_version_id == QuestionVersion.id)
        .join(Attempt, Attempt.id == PaperItem.attempt_id)
        .where(Attempt.user_id == user_id, Attempt.level_id == level.id)
    ))


def draw_paper(session: Session, level: Level, rng: random.Random, seen: set[int] | None = None) -> Paper:
    """A paper for ``level``; with ``seen``, the trainee's earlier questions only where nothing else fits."""
    return assemble_paper(level_rules(level), bank_candidates(session, level.code), rng, seen=seen or ())


def level_feasibility(session: Session, level: Level, rules: LevelRules | None = None) -> Feasibility:
    """The cell report of ``level`` (or of ``rules`` proposed for it) against the active bank."""
    return feasibility(rules or level_rules(level), bank_candidates(session, level.code))
