"""Paper assembly: a paper that matches a level's weight table and paper structure exactly.

Two stages. (1) CP-SAT decides how many items each (area, type, difficulty) cell contributes,
so that points per area, counts per type and the difficulty mix hold exactly; the objective
uses weights drawn from ``rng`` so different seeds give different allocations. (2) Each cell's
items are sampled from the cell's questions with ``rng``. Questions inside one cell are
interchangeable for every constraint, so stage 2 can never break what stage 1 proved.
When no paper exists, a relaxed model with shortfall variables finds the smallest shortfall
and the error names each cell (area, type or difficulty) that is short and by how much.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from question_bank import Difficulty, QuestionType

TYPE_ORDER = list(QuestionType)
DIFFICULTY_ORDER = list(Difficulty)


@dataclass(frozen=True)
class LevelRules:
    """What a paper of one level must satisfy; plain values so the assembler stays pure."""

    level: str
    #: type → (count, points per item)
    sections: Mapping[QuestionType, tuple[int, int]]
    #: area code → percent of the paper's points
    weights: Mapping[str, int]
    #: difficulty → percent of the paper's points
    difficulty_mix: Mapping[Difficulty, int]
    tolerance: int = 5

    @property
    def total_points(self) -> int:
        return sum(c * p for c, p in self.sections.values())

    def area_points(self) -> dict[str, int]:
        """Points each area must receive; refuses weights that do not give whole points."""
        total = self.total_points
        out: dict[str, int] = {}
        for area, pct in self.weights.items():
            pts = pct * total
            if pts % 100:
                raise AssemblyError(self.level, [Shortage("area", area, pct * total / 100, 0, "比重换算后不是整数分")])
            if pts:
                out[area] = pts // 100
        return out

    def difficulty_bounds(self) -> dict[Difficulty, tuple[int, int]]:
        total = self.total_points
        return {
            d: (max(0, math.ceil((pct - self.tolerance) * total / 100)), math.floor((pct + self.tolerance) * total / 100))
            for d, pct in self.difficulty_mix.items()
        }


@dataclass(frozen=True)
class Candidate:
    """A question the assembler may use (already active and allowed for the level)."""

    question_id: int
    area: str
    type: QuestionType
    difficulty: Difficulty
    version_id: int | None = None


@dataclass(frozen=True)
class PaperEntry:
    question_id: int
    version_id: int | None
    area: str
    type: QuestionType
    points: int
    difficulty: Difficulty


@dataclass(frozen=True)
class Paper:
    level: str
    items: tuple[PaperEntry, ...]

    @property
    def total_points(self) -> int:
        return sum(i.points for i in self.items)

    def points_by_area(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for i in self.items:
            out[i.area] += i.points
        return dict(out)

    def count_by_type(self) -> dict[QuestionType, int]:
        out: dict[QuestionType, int] = defaultdict(int)
        for i in self.items:
            out[i.type] += 1
        return dict(out)

    def points_by_difficulty(self) -> dict[Difficulty, int]:
        out: dict[Difficulty, int] = defaultdict(int)
        for i in self.items:
            out[i.difficulty] += i.points
        return dict(out)

    def to_json(self) -> dict:
        return {
            "level": self.level,
            "total_points": self.total_points,
            "items": [
                {"question_id": i.question_id, "area": i.area, "type": i.type.value, "points": i.points,
                 "difficulty": i.difficulty.value}
                for i in self.items
            ],
        }


_KIND_LABEL = {"area": "知识领域", "type": "题型", "difficulty": "难度"}


@dataclass(frozen=True)
class Shortage:
    """One cell the bank cannot fill: kind is area / type / difficulty."""

    kind: str
    key: str
    need: float
    short_by: float
    note: str = ""

    def __str__(self) -> str:
        unit = "道" if self.kind == "type" else "分"
        name = _cell_name(self.kind, self.key)
        if self.note:
            return f"{_KIND_LABEL[self.kind]} {name}: {self.note}"
        return f"{_KIND_LABEL[self.kind]} {name}: 需要 {self.need:g} {unit}, 差 {self.short_by:g} {unit}"


def _cell_name(kind: str, key: str) -> str:
    if kind == "type":
        return QuestionType(key).label
    if kind == "difficulty":
        return Difficulty(key).label
    return key


@dataclass
class AssemblyError(Exception):
    level: str
    shortages: list[Shortage] = field(default_factory=list)

    def __str__(self) -> str:
        cells = "; ".join(str(s) for s in self.shortages) or "题库无法满足比重表"
        return f"{self.level} 组卷失败, 题库不足: {cells}"


def assemble_paper(
    rules: LevelRules, bank: Iterable[Candidate], rng: random.Random, exclude: Iterable[int] = ()
) -> Paper:
    """Draw one paper that satisfies ``rules`` exactly from ``bank`` (minus ``exclude``d question ids)."""
    excluded = set(exclude)
    cells: dict[tuple[str, QuestionType, Difficulty], list[Candidate]] = defaultdict(list)
    area_points = rules.area_points()
    for c in bank:
        if c.question_id in excluded or c.area not in area_points or c.type not in rules.sections:
            continue
        cells[(c.area, c.type, c.difficulty)].append(c)
    for members in cells.values():
        members.sort(key=lambda c: c.question_id)
    keys = sorted(cells, key=lambda k: (k[0], TYPE_ORDER.index(k[1]), DIFFICULTY_ORDER.index(k[2])))

    counts = _allocate(rules, area_points, {k: len(cells[k]) for k in keys}, keys, rng)
    entries: list[PaperEntry] = []
    for k in keys:
        n = counts.get(k, 0)
        if n:
            points = rules.sections[k[1]][1]
            for c in rng.sample(cells[k], n):
                entries.append(PaperEntry(c.question_id, c.version_id, c.area, c.type, points, c.difficulty))
    # Section order of the paper structure; inside a section, a random order.
    by_type: dict[QuestionType, list[PaperEntry]] = defaultdict(list)
    for e in entries:
        by_type[e.type].append(e)
    ordered: list[PaperEntry] = []
    for t in rules.sections:
        section = by_type.get(t, [])
        rng.shuffle(section)
        ordered.extend(section)
    return Paper(rules.level, tuple(ordered))


def _allocate(
    rules: LevelRules,
    area_points: dict[str, int],
    have: dict[tuple[str, QuestionType, Difficulty], int],
    keys: Sequence[tuple[str, QuestionType, Difficulty]],
    rng: random.Random,
) -> dict[tuple[str, QuestionType, Difficulty], int]:
    model = cp_model.CpModel()
    n = _count_vars(model, rules, have, keys)
    for t, (count, _pts) in rules.sections.items():
        model.Add(sum(v for k, v in n.items() if k[1] == t) == count)
    for area, pts in area_points.items():
        model.Add(sum(rules.sections[k[1]][1] * v for k, v in n.items() if k[0] == area) == pts)
    for d, (lo, hi) in rules.difficulty_bounds().items():
        expr = sum(rules.sections[k[1]][1] * v for k, v in n.items() if k[2] == d)
        model.AddLinearConstraint(expr, lo, hi)
    model.Maximize(sum(rng.randrange(1, 1000) * v for v in n.values()))
    solver = _solver(seed=rng.randrange(2**31))
    status = solver.Solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {k: solver.Value(v) for k, v in n.items()}
    raise AssemblyError(rules.level, _diagnose(rules, area_points, have, keys))


def _count_vars(
    model: cp_model.CpModel, rules: LevelRules, have: dict[tuple[str, QuestionType, Difficulty], int],
    keys: Sequence[tuple[str, QuestionType, Difficulty]],
) -> dict[tuple[str, QuestionType, Difficulty], cp_model.IntVar]:
    """How many items each cell gives: at most what it holds and what its type needs."""
    return {k: model.NewIntVar(0, min(have[k], rules.sections[k[1]][0]), f"n{i}") for i, k in enumerate(keys)}


def _solver(seed: int = 0) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # deterministic for a given seed
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = 20.0
    return solver


def _diagnose(
    rules: LevelRules,
    area_points: dict[str, int],
    have: dict[tuple[str, QuestionType, Difficulty], int],
    keys: Sequence[tuple[str, QuestionType, Difficulty]],
) -> list[Shortage]:
    """Name the cells that are short: plain supply checks first, then the smallest shortfall."""
    out = _supply_shortages(rules, area_points, have)
    if out:
        return out
    # Supply is enough cell by cell, yet no exact paper exists: find the smallest under-fill.
    model = cp_model.CpModel()
    n = _count_vars(model, rules, have, keys)
    slack: list[tuple[str, str, int, int, cp_model.IntVar]] = []
    for t, (count, pts) in rules.sections.items():
        s = model.NewIntVar(0, count, f"st_{t.value}")
        model.Add(sum(v for k, v in n.items() if k[1] == t) + s == count)
        slack.append(("type", t.value, count, pts, s))
    for area, pts in area_points.items():
        s = model.NewIntVar(0, pts, f"sa_{area}")
        model.Add(sum(rules.sections[k[1]][1] * v for k, v in n.items() if k[0] == area) + s == pts)
        slack.append(("area", area, pts, 1, s))
    for d, (lo, hi) in rules.difficulty_bounds().items():
        s = model.NewIntVar(0, lo, f"sd_{d.value}")
        expr = sum(rules.sections[k[1]][1] * v for k, v in n.items() if k[2] == d)
        model.Add(expr + s >= lo)
        model.Add(expr <= hi)
        slack.append(("difficulty", d.value, lo, 1, s))
    model.Minimize(sum(weight * var for _kind, _key, _need, weight, var in slack))
    solver = _solver()
    if solver.Solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        out = [Shortage(kind, key, need, solver.Value(var)) for kind, key, need, _w, var in slack if solver.Value(var)]
    return out


def _supply_shortages(
    rules: LevelRules, area_points: dict[str, int], have: dict[tuple[str, QuestionType, Difficulty], int]
) -> list[Shortage]:
    """Cells whose questions cannot cover the need even if nothing else competed for them."""
    out: list[Shortage] = []
    for t, (count, _pts) in rules.sections.items():
        available = sum(n for k, n in have.items() if k[1] == t)
        if available < count:
            out.append(Shortage("type", t.value, count, count - available))

    def best_points(index: int, value: object) -> int:
        """Most points the cells with ``key[index] == value`` could give on their own."""
        return sum(pts * min(count, sum(n for k, n in have.items() if k[index] == value and k[1] == t))
                   for t, (count, pts) in rules.sections.items())

    for area, need in area_points.items():
        if (best := best_points(0, area)) < need:
            out.append(Shortage("area", area, need, need - best))
    for d, (lo, _hi) in rules.difficulty_bounds().items():
        if (best := best_points(2, d)) < lo:
            out.append(Shortage("difficulty", d.value, lo, lo - best))
    return out
