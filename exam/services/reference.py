"""The certification's default rules (standard.md §2, §4–§6), loaded as editable data."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import AreaWeight, DifficultyShare, KnowledgeArea, Level, PaperSection
from exam.services.assembly import LevelRules
from question_bank import Difficulty, QuestionType

T = QuestionType

#: code, name, group, headline category
AREAS: list[tuple[str, str, str, str]] = [
    ("B11", "电信基础知识", "basic", "电信知识"),
    ("B12", "服务礼仪及行为规范", "basic", "服务礼仪"),
    ("B21", "专业基本知识", "basic", "电信知识"),
    ("B22", "重点业务知识", "basic", "电信知识"),
    ("B23", "服务营销知识", "basic", "电信知识"),
    ("B30", "法律知识", "basic", "电信知识"),
    ("W01", "客户关怀", "job", "维系技能"),
    ("W02", "流失预警", "job", "维系技能"),
    ("W03", "维系挽留", "job", "维系技能"),
    ("W04", "价值提升", "job", "维系技能"),
    ("W05", "投诉处理", "job", "投诉处理"),
    ("W06", "数据分析与维系策略", "job", "维系技能"),
    ("W07", "培训指导与团队管理", "job", "维系技能"),
]

#: code, name, rank, duration, training hours
LEVELS: list[tuple[str, str, int, int, int]] = [
    ("L4", "岗位技能四级", 4, 90, 40),
    ("L3", "岗位技能三级(中级)", 3, 90, 48),
    ("L2", "岗位技能二级(高级)", 2, 120, 56),
    ("L1", "岗位技能一级(资深)", 1, 120, 64),
]

#: area → percent for L4, L3, L2, L1
WEIGHTS: dict[str, tuple[int, int, int, int]] = {
    "B11": (8, 6, 4, 3), "B12": (10, 7, 4, 2), "B21": (7, 6, 5, 4), "B22": (10, 7, 5, 4),
    "B23": (5, 4, 3, 3), "B30": (5, 5, 4, 4), "W01": (15, 12, 8, 5), "W02": (10, 12, 12, 10),
    "W03": (12, 15, 15, 12), "W04": (8, 10, 12, 12), "W05": (10, 10, 8, 6), "W06": (0, 6, 12, 18),
    "W07": (0, 0, 8, 17),
}

#: type → ((count, points) for L4, L3, L2, L1); a count of 0 means the type is not on the paper
SECTIONS: dict[QuestionType, tuple[tuple[int, int], ...]] = {
    T.TRUE_FALSE: ((20, 1), (15, 1), (10, 1), (10, 1)),
    T.SINGLE: ((40, 1), (30, 1), (25, 1), (20, 1)),
    T.MULTIPLE: ((15, 2), (15, 2), (10, 2), (10, 2)),
    T.FILL_BLANK: ((10, 1), (5, 1), (0, 1), (0, 1)),
    T.SHORT_ANSWER: ((0, 5), (2, 5), (3, 5), (2, 5)),
    T.CASE_STUDY: ((0, 10), (1, 10), (3, 10), (4, 10)),
}

DIFFICULTY_MIX = {Difficulty.EASY: 30, Difficulty.MEDIUM: 50, Difficulty.HARD: 20}
PASS_MARK = 60
#: 双评: the levels whose paper holds case studies have them marked twice; totals further apart than
#: this many points go to a third marker
MARKING_TOLERANCE = 2.0


def load_reference_data(session: Session) -> bool:
    """Insert the areas and levels that are missing; never overwrite an administrator's edits."""
    changed = False
    have_areas = set(session.scalars(select(KnowledgeArea.code)))
    for i, (code, name, group, category) in enumerate(AREAS):
        if code not in have_areas:
            session.add(KnowledgeArea(code=code, name=name, group=group, category=category, sort_order=i))
            changed = True
    session.flush()
    have_levels = set(session.scalars(select(Level.code)))
    for col, (code, name, rank, minutes, hours) in enumerate(LEVELS):
        if code in have_levels:
            continue
        level = Level(code=code, name=name, rank=rank, duration_minutes=minutes, pass_mark=PASS_MARK,
                      difficulty_tolerance=5, multiple_partial_credit=False, certificate_validity_years=3,
                      training_hours=hours, double_marking=bool(SECTIONS[T.CASE_STUDY][col][0]),
                      marking_tolerance=MARKING_TOLERANCE)
        level.weights = [AreaWeight(area_code=a, percent=w[col]) for a, w in WEIGHTS.items()]
        level.sections = [
            PaperSection(type=t, count=s[col][0], points=s[col][1], position=i)
            for i, (t, s) in enumerate(SECTIONS.items()) if s[col][0]
        ]
        level.difficulty_mix = [DifficultyShare(difficulty=d, percent=p) for d, p in DIFFICULTY_MIX.items()]
        session.add(level)
        changed = True
    session.flush()
    return changed


def default_level_rules(code: str) -> LevelRules:
    """The standard's default rules of one level as assembler input (for tests and benchmarks)."""
    col = [lv[0] for lv in LEVELS].index(code)
    return LevelRules(code, {t: s[col] for t, s in SECTIONS.items() if s[col][0]},
                      {a: w[col] for a, w in WEIGHTS.items()}, DIFFICULTY_MIX, 5)
