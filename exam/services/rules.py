"""Editing a level's tables: weight table, paper structure, difficulty mix and the exam's settings."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from exam.models import AreaWeight, DifficultyShare, Level, PaperSection, record_audit
from exam.services.assembly import TYPE_ORDER, LevelRules
from question_bank import AREA_CODES, Difficulty, QuestionType


@dataclass(frozen=True)
class RulesEdit:
    """Everything a trainer or administrator may change about one level, as plain values."""

    weights: dict[str, int]
    #: type → (count, points per item); a count of 0 leaves the type off the paper
    sections: dict[QuestionType, tuple[int, int]]
    difficulty_mix: dict[Difficulty, int]
    tolerance: int
    duration_minutes: int
    pass_mark: int
    multiple_partial_credit: bool
    certificate_validity_years: int
    #: 双评 of certification case studies, and the points two marks may differ before a third decides
    double_marking: bool = False
    marking_tolerance: float = 2.0

    @property
    def total_points(self) -> int:
        return sum(c * p for c, p in self.sections.values())

    def level_rules(self, code: str) -> LevelRules:
        return LevelRules(code, {t: s for t, s in self.sections.items() if s[0]}, self.weights,
                          self.difficulty_mix, self.tolerance)


def rules_of(level: Level) -> RulesEdit:
    sections = {t: (0, 1) for t in TYPE_ORDER}
    sections.update({s.type: (s.count, s.points) for s in level.sections})
    weights = dict.fromkeys(AREA_CODES, 0)
    weights.update({w.area_code: w.percent for w in level.weights})
    return RulesEdit(
        weights=weights, sections=sections,
        difficulty_mix={d: 0 for d in Difficulty} | {s.difficulty: s.percent for s in level.difficulty_mix},
        tolerance=level.difficulty_tolerance, duration_minutes=level.duration_minutes, pass_mark=level.pass_mark,
        multiple_partial_credit=level.multiple_partial_credit,
        certificate_validity_years=level.certificate_validity_years,
        double_marking=level.double_marking, marking_tolerance=level.marking_tolerance,
    )


def check_rules(edit: RulesEdit) -> list[str]:
    """Every reason the tables cannot be saved, in the words a trainer reads on the page."""
    problems: list[str] = []
    if any(not 0 <= p <= 100 for p in edit.weights.values()):
        problems.append("比重表: 每个领域的比重应在 0–100 之间")
    if (total := sum(edit.weights.values())) != 100:
        problems.append(f"比重表合计应为 100%, 现在是 {total}%")
    if any(c < 0 or p < 1 for c, p in edit.sections.values()):
        problems.append("题型结构: 题量不能为负, 每题分值至少 1 分")
    if not any(c for c, _p in edit.sections.values()):
        problems.append("题型结构: 至少要有一种题型")
    total_points = edit.total_points
    if total_points and sum(edit.weights.values()) == 100:
        for area, pct in edit.weights.items():
            if pct * total_points % 100:
                problems.append(f"领域 {area}: {pct}% × {total_points} 分 = {pct * total_points / 100:g} 分, 不是整数分")
    if (dsum := sum(edit.difficulty_mix.values())) != 100:
        problems.append(f"难度比例合计应为 100%, 现在是 {dsum}%")
    if not 0 <= edit.tolerance <= 50:
        problems.append("难度允许偏差应在 0–50 个百分点之间")
    if edit.duration_minutes <= 0 or edit.duration_minutes > 600:
        problems.append("考试时长应在 1–600 分钟之间")
    if not 0 <= edit.pass_mark <= min(100, total_points or 100):
        problems.append(f"合格线应在 0 到总分 {total_points} 之间")
    if not 1 <= edit.certificate_validity_years <= 20:
        problems.append("证书有效期应在 1–20 年之间")
    if not 0 <= edit.marking_tolerance <= max(1, total_points) or (edit.marking_tolerance * 2) % 1:
        problems.append(f"双评允许分差应在 0 到 {max(1, total_points)} 分之间, 且为 0.5 分的整数倍")
    return problems


def apply_rules(session: Session, level: Level, edit: RulesEdit, *, actor_id: int | None, now: datetime) -> list[str]:
    """Store a checked edit and audit what changed (before → after); returns the changed parts."""
    before = rules_of(level)
    changed = [f.name for f in dataclasses.fields(RulesEdit) if getattr(before, f.name) != getattr(edit, f.name)]
    if not changed:
        return []
    # rows are updated in place: replacing them would insert before the old ones are deleted
    _update_rows(level.weights, "area_code", edit.weights, lambda a, p: AreaWeight(area_code=a, percent=p))
    _update_rows(level.difficulty_mix, "difficulty", edit.difficulty_mix,
                 lambda d, p: DifficultyShare(difficulty=d, percent=p))
    existing = {s.type: s for s in level.sections}
    for i, t in enumerate(TYPE_ORDER):
        count, points = edit.sections[t]
        if t in existing:
            existing[t].count, existing[t].points, existing[t].position = count, points, i
        elif count:
            level.sections.append(PaperSection(type=t, count=count, points=points, position=i))
    level.difficulty_tolerance, level.duration_minutes = edit.tolerance, edit.duration_minutes
    level.pass_mark, level.multiple_partial_credit = edit.pass_mark, edit.multiple_partial_credit
    level.certificate_validity_years = edit.certificate_validity_years
    level.double_marking, level.marking_tolerance = edit.double_marking, edit.marking_tolerance
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="level.rules", entity=level, level=level.code,
                 changed=changed, before=_plain(before, changed), after=_plain(edit, changed))
    return changed


def _update_rows(rows: list, key: str, percents: dict, new_row) -> None:  # noqa: ANN001
    """Set each row's percent from ``percents`` by its ``key`` column, appending rows that are missing."""
    by_key = {getattr(r, key): r for r in rows}
    for k, pct in percents.items():
        if k in by_key:
            by_key[k].percent = pct
        else:
            rows.append(new_row(k, pct))


def _plain(edit: RulesEdit, fields: list[str]) -> dict:
    out = {}
    for name in fields:
        value = getattr(edit, name)
        if isinstance(value, dict):
            value = {str(k): list(v) if isinstance(v, tuple) else v for k, v in value.items()}
        out[name] = value
    return out
