"""Graded sittings generated straight into the database for the item-analysis tests: trainees of varied
ability answer a pool's papers by a simple response model; chosen questions can be made to behave badly."""
from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from exam.extensions import db
from exam.models import (
    Answer,
    Attempt,
    AttemptKind,
    AttemptState,
    Organization,
    PaperItem,
    QuestionVersion,
    Role,
    Sitting,
    SittingMode,
    User,
    UserRole,
)
from exam.services.paper_pools import build_pool
from exam.services.papers import level_by_code
from exam.services.qtypes import qtype
from question_bank import QuestionType as T

#: (question_id, theta, rng) → chance of answering correctly; replaces the model for chosen questions
Behaviour = Callable[[float], float]


def reversed_item(theta: float) -> float:
    """Strong trainees get it wrong, weak ones right: a miskeyed item (negative discrimination)."""
    return 1 / (1 + math.exp(2.5 * theta))


def graded_sitting(n: int, *, now: datetime, level: str = "L4", pool_size: int = 2, seed: int = 1,
                   behaviours: dict[int, Behaviour] | None = None, name: str = "统计测试考场",
                   pool=None) -> Sitting:  # noqa: ANN001
    """A closed sitting of ``level`` whose ``n`` certification attempts are graded; flushed, not committed."""
    rng = random.Random(seed)
    behaviours = behaviours or {}
    lv = level_by_code(db.session, level)
    pool = pool or build_pool(db.session, lv, size=pool_size, seed=seed, now=now - timedelta(days=2), actor_id=None)
    org = db.session.scalars(select(Organization).where(Organization.code == "CT")).one()
    sitting = Sitting(name=name, level_id=lv.id, organization_id=org.id, starts_at=now - timedelta(hours=4),
                      ends_at=now - timedelta(hours=2), mode=SittingMode.ROOM, place="", allowed_networks=[],
                      pool_id=pool.id, created_at=now - timedelta(days=1))
    db.session.add(sitting)
    db.session.flush()
    versions = {v.id: v for v in db.session.scalars(select(QuestionVersion).where(
        QuestionVersion.id.in_({row[1] for p in pool.papers for row in p.items})))}
    difficulty = {vid: rng.gauss(0, 1) for vid in versions}
    for j in range(n):
        theta = rng.gauss(0, 1)
        user = User(username=f"stat-{seed}-{sitting.id}-{j}", full_name=f"统计学员{j}", created_at=now)
        user.password_hash = "x"
        user.roles = [UserRole(role=Role.TRAINEE)]
        db.session.add(user)
        db.session.flush()
        paper = pool.papers[j % len(pool.papers)]
        started = now - timedelta(hours=3, minutes=j % 60)
        attempt = Attempt(user_id=user.id, level_id=lv.id, state=AttemptState.GRADED, kind=AttemptKind.CERTIFICATION,
                          sitting_id=sitting.id, seed=j, pool_paper_id=paper.id, started_at=started,
                          deadline_at=started + timedelta(minutes=90), finished_at=started + timedelta(minutes=80),
                          graded_at=now - timedelta(hours=1), pass_mark=60, total_points=100)
        db.session.add(attempt)
        db.session.flush()
        items = [{"attempt_id": attempt.id, "position": pos, "question_version_id": vid, "area_code": area,
                  "type": T(t), "difficulty": d, "points": pts,
                  "option_order": list(range(len(versions[vid].options)))}
                 for pos, (qid, vid, area, t, d, pts) in enumerate(paper.items, start=1)]
        db.session.execute(insert(PaperItem), items)
        ids = dict(db.session.execute(select(PaperItem.position, PaperItem.id)
                                      .where(PaperItem.attempt_id == attempt.id)).all())
        answers, total = [], 0.0
        for pos, (qid, vid, _area, t, _d, pts) in enumerate(paper.items, start=1):
            v = versions[vid]
            chance = behaviours[qid](theta) if qid in behaviours else 1 / (1 + math.exp(-1.7 * (theta - difficulty[vid])))
            response, score = _respond(v, T(t), pts, rng.random() < chance, chance, rng)
            total += score
            answers.append({"attempt_id": attempt.id, "paper_item_id": ids[pos], "response": response, "seq": 1,
                            "flagged": False, "score": score, "marker_comment": ""})
        db.session.execute(insert(Answer), answers)
        attempt.score, attempt.passed = round(total, 2), total >= 60
    db.session.flush()
    return sitting


def _respond(v: QuestionVersion, t: T, points: int, right: bool, chance: float, rng: random.Random):  # noqa: ANN202
    if t is T.TRUE_FALSE:
        response = v.answer if right else (not v.answer if rng.random() < 0.9 else None)
    elif t is T.SINGLE:
        wrong = [chr(65 + i) for i in range(len(v.options)) if chr(65 + i) not in v.answer]
        response = v.answer[0] if right else (wrong[0] if rng.random() < 0.6 else rng.choice(wrong))
    elif t is T.MULTIPLE:
        if right:
            response = sorted(v.answer)
        else:
            letters = [chr(65 + i) for i in range(len(v.options))]
            response = sorted(set(rng.sample(letters, 2)) | {v.answer[0]})
            response = response if response != sorted(v.answer) else sorted(v.answer)[:-1]
    elif t is T.FILL_BLANK:
        response = [alts[0] if right else "不知道" for alts in v.answer]
    else:
        share = round(max(0.0, min(1.0, chance + rng.gauss(0, 0.1))) * points)
        return "作答内容", float(share)
    return response, float(qtype(t).grade(response, v.answer, points))
