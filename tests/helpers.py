"""Test helpers that know the keys (the trainee's browser never does)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from exam.models import PaperItem
from exam.services.qtypes import REGISTRY
from question_bank import QuestionType as T


def correct_display_response(item: PaperItem) -> Any:
    v, qt = item.question_version, REGISTRY[item.type]
    if item.type is T.TRUE_FALSE:
        return v.answer
    if item.type is T.SINGLE:
        return qt.display(v.answer[0], item.option_order)
    if item.type is T.MULTIPLE:
        return qt.display(v.answer, item.option_order)
    if item.type is T.FILL_BLANK:
        return [alts[0] for alts in v.answer]
    return "（1）核实客户身份（2）了解原因（3）提出方案"


def answer_all(client, attempt, *, correct: bool = True, seq: int = 1, only=None) -> Any:
    changes = []
    for item in attempt.items:
        if only is not None and item.position not in only:
            continue
        response = correct_display_response(item) if correct else None
        changes.append({"item": item.position, "response": response, "flagged": False, "seq": seq})
    return client.post(f"/trainee/attempts/{attempt.id}/answers", json={"answers": changes})


def open_sitting(level_code: str, usernames: Iterable[str], *, now: datetime, hours: float = 24, org: str = "CT",
                 **options: Any) -> tuple[Any, Any]:
    """HR schedules a sitting of ``level_code`` open from a minute ago and enrols ``usernames`` (the
    service checks eligibility, so the report may refuse some); committed."""
    from sqlalchemy import select

    from exam.extensions import db
    from exam.models import Level, Organization, SittingMode, User
    from exam.services.sittings import enrol, schedule_sitting

    level = db.session.scalars(select(Level).where(Level.code == level_code)).one()
    organization = db.session.scalars(select(Organization).where(Organization.code == org)).one()
    sitting = schedule_sitting(db.session, name=f"{level_code} 考场 {now:%m%d%H%M%S}", level=level,
                               organization=organization, starts_at=now - timedelta(minutes=1),
                               ends_at=now + timedelta(hours=hours), mode=SittingMode.ROOM, actor_id=None, now=now,
                               **options)
    users = db.session.scalars(select(User).where(User.username.in_(list(usernames)))).all()
    report = enrol(db.session, sitting, [(u, None) for u in users], actor_id=None, now=now)
    db.session.commit()
    return sitting, report


def render_certificates() -> int:
    """What the background worker does after a pass: render every certificate still waiting for its PDF."""
    from exam.jobs import run_sweep

    return run_sweep()[1]


#: a mark field of the marking page and its maximum: one per scoring point, or one total
_MARK_FIELD = re.compile(r'<input type="number" name="(point-\d+|points)"[^>]*?max="([^"]+)"')


def mark_fields(page: str) -> list[tuple[str, float]]:
    """The marking page's mark fields (name, maximum), in order."""
    return [(name, float(top)) for name, top in _MARK_FIELD.findall(page)]


def mark(client, answer_id: int, *, share: float = 1.0, comment: str = "", follow: bool = False):  # noqa: ANN001, ANN201
    """Open the answer's marking page and award ``share`` of every field's maximum (rounded down to 0.5)."""
    page = client.get(f"/trainer/marking/{answer_id}")
    fields = mark_fields(page.get_data(as_text=True))
    assert fields, page.get_data(as_text=True)[:2000]
    data = {name: f"{int(top * share * 2) / 2:g}" for name, top in fields} | {"comment": comment}
    return client.post(f"/trainer/marking/{answer_id}", data=data, follow_redirects=follow)
