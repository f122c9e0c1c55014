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
from typing import TYPE_CHECKING, Protocol

from question_bank import Difficulty, QuestionType

if TYPE_CHECKING:  # imported by the functions that build or solve a model: OR-Tools (and the pandas it loads) take
    # a third of a second to import, which a process that never draws a paper (the CLI's bank commands) need not pay
    from ortools.sat.python import cp_model

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
    #: enemy group: questions that give each other away share one; at most one of them per paper
    group: str | None = None

    @property
    def cell(self) -> tuple[str, QuestionType, Difficulty]:
        return self.area, self.type, self.difficulty


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
    #: questions the trainee had seen before on this level (0 unless the bank left no other way)
    repeated: int = 0

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


Cell = tuple[str, QuestionType, Difficulty]
#: weight of one repeated question against the random tie-breaking weights (each < 1000 per item)
REPEAT_PENALTY = 1_000_000
#: per earlier use of a question in the same pool: fresh questions first, but never at the price of a repeat
WEAR_PENALTY = 2_000
#: feasibility's objective, lexicographic: phantom items first, then items beyond a third of their cell's supply
SLACK_WEIGHT = 1_000


class CellSupply(Protocol):
    """A cell's ungrouped, unseen questions, counted without being loaded.

    ``take(ranks)`` returns the members at those positions in question-id order; a supply may also
    offer ``take_together(requests)`` to serve several cells at once (one database round trip).
    """

    def __len__(self) -> int: ...

    def take(self, ranks: list[int]) -> list[Candidate]: ...


@dataclass
class _Extended:
    """A cell supply followed by some loaded candidates (the enemy groups' representatives)."""

    base: CellSupply
    extra: list[Candidate]

    def __len__(self) -> int:
        return len(self.base) + len(self.extra)

    def take(self, ranks: list[int]) -> list[Candidate]:
        n = len(self.base)
        return _take_all([(self, ranks)])[0] if any(r < n for r in ranks) else [self.extra[r - n] for r in ranks]


def _take_all(requests: list[tuple[Sequence[Candidate] | CellSupply, list[int]]]) -> list[list[Candidate]]:
    """The members at the given ranks of each supply; lazy supplies that can are read together."""
    out: list[list[Candidate] | None] = [None] * len(requests)
    lazy: dict[object, list[tuple[int, CellSupply, list[int]]]] = defaultdict(list)
    for i, (members, ranks) in enumerate(requests):
        if isinstance(members, Sequence):
            out[i] = [members[r] for r in ranks]
            continue
        base, extra = (members.base, members.extra) if isinstance(members, _Extended) else (members, [])
        n = len(base)
        lazy[getattr(base, "take_together", None)].append((i, base, [r for r in ranks if r < n]))
        out[i] = [extra[r - n] for r in ranks if r >= n]
    for together, group in lazy.items():
        if together is None:
            got = [base.take(ranks) for _i, base, ranks in group]
        else:
            got = together([(base, ranks) for _i, base, ranks in group])
        for (i, _base, _ranks), members in zip(group, got, strict=True):
            out[i] = members + (out[i] or [])
    return out  # type: ignore[return-value]


@dataclass
class CellPools:
    """A cell's candidates split the way the model treats them: interchangeable new ones (a list,
    or a supply that is only counted until a paper needs some), ones the trainee has seen, and
    ones in an enemy group (decided one by one)."""

    new: Sequence[Candidate] | CellSupply = field(default_factory=list)
    seen: list[Candidate] = field(default_factory=list)
    grouped: list[Candidate] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.new) + len(self.seen) + len(self.grouped)


def cells_of(rules: LevelRules, bank: Iterable[Candidate], excluded: Iterable[int] = (),
             seen: Iterable[int] = ()) -> dict[Cell, CellPools]:
    """The bank's candidates by (area, type, difficulty), only cells the level's tables use."""
    area_points, excluded, seen = rules.area_points(), set(excluded), set(seen)
    cells: dict[Cell, CellPools] = defaultdict(CellPools)
    for c in bank:
        if c.question_id in excluded or c.area not in area_points or c.type not in rules.sections:
            continue
        pools = cells[(c.area, c.type, c.difficulty)]
        members = pools.grouped if c.group else pools.seen if c.question_id in seen else pools.new
        members.append(c)  # type: ignore[union-attr]
    for pools in cells.values():
        for members in (pools.new, pools.seen, pools.grouped):
            members.sort(key=lambda c: c.question_id)  # type: ignore[union-attr]
    return sort_cells(cells)


def sort_cells(cells: Mapping[Cell, CellPools]) -> dict[Cell, CellPools]:
    return dict(sorted(cells.items(), key=lambda kv: _cell_order(kv[0])))


def _cell_order(k: Cell) -> tuple[str, int, int]:
    return k[0], TYPE_ORDER.index(k[1]), DIFFICULTY_ORDER.index(k[2])


def _with_representatives(cells: Mapping[Cell, CellPools], seen: set[int], usage: Mapping[int, int],
                          rng: random.Random) -> dict[Cell, CellPools]:
    """One member of each enemy group, drawn at random (an unseen, least-used one where the group has
    one), joins its cell as an ordinary question; the others sit this paper out. At most one per
    group holds by construction and the model needs no variable per grouped question."""
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for pools in cells.values():
        for c in pools.grouped:
            groups[c.group or ""].append(c)
    reps: dict[Cell, list[Candidate]] = defaultdict(list)
    for _name, members in sorted(groups.items()):
        fresh = [c for c in members if c.question_id not in seen] or members
        if usage:
            least = min(usage.get(c.question_id, 0) for c in fresh)
            fresh = [c for c in fresh if usage.get(c.question_id, 0) == least]
        rep = rng.choice(fresh)
        reps[rep.cell].append(rep)
    out = {}
    for k, pools in cells.items():
        extra = reps.get(k, [])
        new = pools.new
        fresh_extra = [c for c in extra if c.question_id not in seen]
        seen_list = list(pools.seen) + [c for c in extra if c.question_id in seen]
        if isinstance(new, Sequence):
            new = list(new) + fresh_extra
        elif fresh_extra:
            new = _Extended(new, fresh_extra)
        out[k] = CellPools(new=new, seen=seen_list, grouped=[])
    return out


def assemble_paper(
    rules: LevelRules, bank: Iterable[Candidate], rng: random.Random, exclude: Iterable[int] = (),
    seen: Iterable[int] = (), usage: Mapping[int, int] | None = None,
    difficulty_points: Mapping[Difficulty, int] | None = None,
) -> Paper:
    """Draw one paper that satisfies ``rules`` exactly from ``bank``.

    ``exclude``: question ids never to use. ``seen``: ids this trainee has met before on the level —
    used only when the bank leaves no other way, and then as few as possible (``Paper.repeated``).
    ``usage``: how often each id is already on other papers of a pool; the least used are preferred.
    ``difficulty_points``: exact points per declared difficulty (parallel papers share one split).
    Candidates sharing an enemy ``group`` never appear together.
    """
    seen_ids = set(seen)
    return assemble_from_cells(rules, cells_of(rules, bank, exclude, seen_ids), rng, seen_ids, usage,
                               difficulty_points)


def assemble_from_cells(
    rules: LevelRules, cells: Mapping[Cell, CellPools], rng: random.Random, seen: Iterable[int] = (),
    usage: Mapping[int, int] | None = None, difficulty_points: Mapping[Difficulty, int] | None = None,
) -> Paper:
    """``assemble_paper`` on a bank already split into cells (see ``cells_of``).

    With enemy groups, a model where each group sends one random representative is tried first (small
    and fast); only if it finds no paper, or one with repeats, is the exact model with one variable per
    grouped question solved — so infeasibility and the fewest repeats are still proven.
    """
    seen_ids, used = set(seen), usage or {}
    if any(p.grouped for p in cells.values()):
        fast = _solve(rules, _with_representatives(cells, seen_ids, used, rng), rng, seen_ids, used,
                      difficulty_points)
        if fast is not None and not fast.repeated:
            return fast
    paper = _solve(rules, cells, rng, seen_ids, used, difficulty_points)
    if paper is None:
        raise AssemblyError(rules.level, _diagnose(rules, rules.area_points(),
                                                   {k: p.size for k, p in cells.items()}, list(cells)))
    return paper


def _solve(rules: LevelRules, cells: Mapping[Cell, CellPools], rng: random.Random, seen_ids: set[int],
           used: Mapping[int, int], difficulty_points: Mapping[Difficulty, int] | None) -> Paper | None:
    from ortools.sat.python import cp_model
    model = _Model(rules, cells, used)
    model.require_exact()
    for d, pts in (difficulty_points or {}).items():
        model.cp.Add(sum(model.points(k) for k in cells if k[2] == d) == pts)
    weights = {k: rng.randrange(1, 1000) for k in cells}
    terms = [(v, weights[k] - WEAR_PENALTY * tier) for (k, tier), v in model.new.items()]
    terms += [(x, rng.randrange(1, 1000) - (REPEAT_PENALTY if c.question_id in seen_ids else 0))
              for c, x in model.pick.items()]
    terms += [(v, -REPEAT_PENALTY) for v in model.old.values()]
    model.cp.Maximize(cp_model.LinearExpr.weighted_sum([v for v, _w in terms], [w for _v, w in terms]))
    solver = _solver(seed=rng.randrange(2**31))
    # the allocation model is a few hundred small integers: presolve costs more than it saves (5 ms → 2 ms)
    solver.parameters.cp_model_presolve = False
    if not seen_ids and not used:
        # the objective only randomises the allocation: any solution within 5 % of the random optimum
        # is as good a draw (L1, with 10-point items, proves optimality in ~20 ms, this in ~7)
        solver.parameters.relative_gap_limit = 0.05
    if solver.Solve(model.cp) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    # which members of each cell (ranks drawn here, read for all cells at once)
    requests = [(members, rng.sample(range(len(members)), solver.Value(model.new[(k, tier)])))
                for k, tiers in model.tiers.items() for tier, members in tiers.items()]
    sampled = iter(_take_all(requests))
    entries: list[PaperEntry] = []
    for k, pools in cells.items():
        points = rules.sections[k[1]][1]
        chosen = [c for c in pools.grouped if solver.Value(model.pick[c])]
        for _tier in model.tiers.get(k, {}):
            chosen += next(sampled)
        chosen += _least_used(pools.seen, solver.Value(model.old[k]), used, rng) if k in model.old else []
        entries += [PaperEntry(c.question_id, c.version_id, c.area, c.type, points, c.difficulty) for c in chosen]
    # Section order of the paper structure; inside a section, a random order.
    by_type: dict[QuestionType, list[PaperEntry]] = defaultdict(list)
    for e in entries:
        by_type[e.type].append(e)
    ordered: list[PaperEntry] = []
    for t in rules.sections:
        section = by_type.get(t, [])
        rng.shuffle(section)
        ordered.extend(section)
    repeated = sum(1 for e in ordered if e.question_id in seen_ids)
    return Paper(rules.level, tuple(ordered), repeated=repeated)


def _least_used(members: list[Candidate], n: int, usage: Mapping[int, int], rng: random.Random) -> list[Candidate]:
    if not n:
        return []
    if not usage:
        return rng.sample(members, n)
    keyed = sorted(members, key=lambda c: (usage.get(c.question_id, 0), rng.random()))
    return keyed[:n]


class _Model:
    """The allocation model: how many items each cell gives, and which grouped questions are picked.

    Ungrouped questions of one cell are interchangeable for every constraint, so they are counted
    (``new`` / ``old`` integer variables); questions in an enemy group are individual booleans, at
    most one per group. The model stays small whatever the size of the bank.
    """

    def __init__(self, rules: LevelRules, cells: Mapping[Cell, CellPools],
                 usage: Mapping[int, int] | None = None) -> None:
        from ortools.sat.python import cp_model
        self.rules, self.cells, self.cp = rules, cells, cp_model.CpModel()
        cap = {t: count for t, (count, _p) in rules.sections.items()}
        #: cell → how often its questions are already on other papers of a pool → those questions
        self.tiers: dict[Cell, dict[int, Sequence[Candidate] | CellSupply]] = {}
        for k, p in cells.items():
            if not usage:  # one tier: the cell's new questions are only counted here
                if len(p.new):
                    self.tiers[k] = {0: p.new}
                continue
            tiers: dict[int, list[Candidate]] = defaultdict(list)
            for c in p.new:  # type: ignore[union-attr]
                tiers[usage.get(c.question_id, 0)].append(c)
            if tiers:
                self.tiers[k] = dict(sorted(tiers.items()))
        self.new = {(k, tier): self.cp.NewIntVar(0, min(len(members), cap[k[1]]), f"a{i}_{tier}")
                    for i, (k, tiers) in enumerate(self.tiers.items()) for tier, members in tiers.items()}
        self.old = {k: self.cp.NewIntVar(0, min(len(p.seen), cap[k[1]]), f"b{i}")
                    for i, (k, p) in enumerate(cells.items()) if p.seen}
        self.pick = {c: self.cp.NewBoolVar(f"x{c.question_id}") for p in cells.values() for c in p.grouped}
        groups: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for c, x in self.pick.items():
            groups[c.group or ""].append(x)
        for members in groups.values():
            if len(members) > 1:
                self.cp.AddAtMostOne(members)
        self.count = {k: self._count(k, p) for k, p in cells.items()}

    def _count(self, k: Cell, pools: CellPools):  # noqa: ANN202
        from ortools.sat.python import cp_model
        terms = [self.new[(k, tier)] for tier in self.tiers.get(k, {})]
        terms += [self.old[k]] if k in self.old else []
        terms += [self.pick[c] for c in pools.grouped]
        return terms[0] if len(terms) == 1 else cp_model.LinearExpr.sum(terms)

    def points(self, k: Cell):  # noqa: ANN202
        return self.rules.sections[k[1]][1] * self.count[k]

    def require_exact(self, slack: Mapping[Cell, cp_model.IntVar] | None = None) -> None:
        """Counts per type, points per area and difficulty within tolerance; ``slack`` adds phantom items."""
        from ortools.sat.python import cp_model
        rules, extra = self.rules, slack or {}
        pts = {t: p for t, (_c, p) in rules.sections.items()}
        by: dict[tuple[int, object], list[Cell]] = defaultdict(list)
        for k in set(self.count) | set(extra):
            for axis in range(3):
                by[(axis, k[axis])].append(k)

        def total(axis: int, value: object, weighted: bool):  # noqa: ANN202
            exprs, weights = [], []
            for k in by.get((axis, value), ()):
                for term in ([self.count[k]] if k in self.count else []) + ([extra[k]] if k in extra else []):
                    exprs.append(term)
                    weights.append(pts[k[1]] if weighted else 1)
            return cp_model.LinearExpr.weighted_sum(exprs, weights)

        for t, (count, _pts) in rules.sections.items():
            self.cp.Add(total(1, t, False) == count)
        for area, need in rules.area_points().items():
            self.cp.Add(total(0, area, True) == need)
        for d, (lo, hi) in rules.difficulty_bounds().items():
            self.cp.AddLinearConstraint(total(2, d, True), lo, hi)


@dataclass(frozen=True)
class CellReport:
    area: str
    type: QuestionType
    difficulty: Difficulty
    need: int
    have: int

    @property
    def status(self) -> str:
        """ok, thin (fewer than 3× the need: papers will repeat each other) or short."""
        if self.need > self.have:
            return "short"
        return "thin" if self.have < 3 * self.need else "ok"

    def to_json(self) -> dict:
        return {"area": self.area, "type": self.type.value, "difficulty": self.difficulty.value,
                "need": self.need, "have": self.have, "status": self.status}


@dataclass
class Feasibility:
    level: str
    feasible: bool
    cells: list[CellReport]
    #: when the tables contradict themselves no bank can help; said here instead of per cell
    problem: str = ""

    def to_json(self) -> dict:
        out = {"level": self.level, "feasible": self.feasible, "cells": [c.to_json() for c in self.cells]}
        return out | ({"problem": self.problem} if self.problem else {})

    @property
    def short(self) -> list[CellReport]:
        return [c for c in self.cells if c.status == "short"]


def feasibility(rules: LevelRules, bank: Iterable[Candidate]) -> Feasibility:
    try:
        cells = cells_of(rules, bank)
    except AssemblyError as exc:
        return Feasibility(rules.level, False, [], problem=str(exc))
    return feasibility_of_cells(rules, cells)


def feasibility_of_cells(rules: LevelRules, cells: Mapping[Cell, CellPools]) -> Feasibility:
    """Per (area, type, difficulty) cell: what a paper needs and what the bank holds, and whether a paper exists.

    ``need`` comes from the least-pressured exact allocation: as few cells as possible give more than a
    third of their questions to one paper. When no paper exists, phantom questions are added where the fewest are enough, and
    those cells are the ones reported short: exactly what a trainer has to write.
    """
    from ortools.sat.python import cp_model
    try:
        area_points = rules.area_points()
    except AssemblyError as exc:
        return Feasibility(rules.level, False, [], problem=str(exc))
    every = [(a, t, d) for a in area_points for t in rules.sections for d in DIFFICULTY_ORDER]
    every.sort(key=_cell_order)
    model = _Model(rules, cells)
    slack = {k: model.cp.NewIntVar(0, rules.sections[k[1]][0], f"s{i}") for i, k in enumerate(every)}
    model.require_exact(slack)
    have = {k: p.size for k, p in cells.items()}
    # the least-pressured allocation: fewest phantom items first, then as few items as possible beyond a
    # third of their cell's supply (a cost per item would pile the paper into the biggest cells and call
    # them thin; weighing that spread in as well triples the solving time for nothing the report shows)
    over = []
    for i, k in enumerate(cells):
        excess = model.cp.NewIntVar(0, rules.sections[k[1]][0], f"o{i}")
        model.cp.Add(excess >= model.count[k] - have.get(k, 0) // 3)
        over.append(excess)
    model.cp.Minimize(SLACK_WEIGHT * sum(slack.values()) + sum(over))
    solver = _solver()
    if solver.Solve(model.cp) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Feasibility(rules.level, False, [], problem="比重表、题型结构与难度比例互相矛盾, 任何题库都无法组卷")
    reports = []
    for k in every:
        need = solver.Value(slack[k]) + (solver.Value(model.count[k]) if k in cells else 0)
        reports.append(CellReport(k[0], k[1], k[2], need, have.get(k, 0)))
    return Feasibility(rules.level, all(solver.Value(v) == 0 for v in slack.values()), reports)


def _count_vars(
    model: cp_model.CpModel, rules: LevelRules, have: dict[tuple[str, QuestionType, Difficulty], int],
    keys: Sequence[tuple[str, QuestionType, Difficulty]],
) -> dict[tuple[str, QuestionType, Difficulty], cp_model.IntVar]:
    """How many items each cell gives: at most what it holds and what its type needs."""
    return {k: model.NewIntVar(0, min(have[k], rules.sections[k[1]][0]), f"n{i}") for i, k in enumerate(keys)}


def _solver(seed: int = 0) -> cp_model.CpSolver:
    from ortools.sat.python import cp_model
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
    from ortools.sat.python import cp_model
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
