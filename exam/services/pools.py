"""Fair parallel papers: a pool of F exact papers with low exposure and equal expected difficulty.

Built on ``assemble_paper``: papers are drawn one after another preferring the least-used
questions, then balanced by swapping questions inside one (area, type, difficulty) cell — a swap
inside a cell keeps every table exact — until each paper's expected score is within the tolerance
of the pool's mean. Expected difficulty uses a question's observed correct rate once it has at
least ``MIN_RESPONSES`` responses, its declared difficulty before that.
"""
from __future__ import annotations

import random
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations

from exam.services.assembly import Candidate, LevelRules, Paper, PaperEntry, assemble_paper
from question_bank import Difficulty

MIN_RESPONSES = 30
#: share of candidates expected to answer correctly, by declared difficulty, until observed
DECLARED_RATE = {Difficulty.EASY: 0.85, Difficulty.MEDIUM: 0.70, Difficulty.HARD: 0.50}
DEFAULT_POOL_SIZE = 8
#: a question on at most this share of the pool's papers is seen by at most this share of trainees
TARGET_EXPOSURE = 0.25


@dataclass(frozen=True)
class ItemStats:
    responses: int
    correct_rate: float


@dataclass
class PoolReport:
    size: int
    expected_scores: list[float]
    mean_overlap: float
    max_overlap: float
    max_exposure: float
    over_target: int
    #: question id → share of the pool's papers holding it
    exposure: dict[int, float] = field(default_factory=dict)

    @property
    def spread(self) -> float:
        return max(self.expected_scores) - min(self.expected_scores)


@dataclass
class Pool:
    papers: list[Paper]
    report: PoolReport


def expected_rate(c: Candidate | PaperEntry, stats: Mapping[int, ItemStats]) -> float:
    s = stats.get(c.question_id)
    return s.correct_rate if s is not None and s.responses >= MIN_RESPONSES else DECLARED_RATE[c.difficulty]


def expected_score(paper: Paper, stats: Mapping[int, ItemStats]) -> float:
    """The share of the paper's points an average candidate is expected to earn."""
    return sum(e.points * expected_rate(e, stats) for e in paper.items) / paper.total_points


def assemble_pool(rules: LevelRules, bank: Iterable[Candidate], rng: random.Random, size: int = DEFAULT_POOL_SIZE,
                  stats: Mapping[int, ItemStats] | None = None, tolerance: float = 0.01) -> Pool:
    """``size`` exact papers, each question on as few papers as the bank allows, expected scores within ``tolerance``."""
    candidates = list(bank)
    stats = stats or {}
    usage: Counter[int] = Counter()
    papers: list[Paper] = []
    split = None
    for _ in range(size):
        # every paper takes the first one's points per declared difficulty: equal before any statistics
        paper = assemble_paper(rules, candidates, rng, usage=usage, difficulty_points=split)
        split = split or paper.points_by_difficulty()
        usage.update(e.question_id for e in paper.items)
        papers.append(paper)
    papers = _balance(papers, candidates, stats, usage, tolerance, rng)
    return Pool(papers, pool_report(papers, stats))


def _balance(papers: list[Paper], bank: list[Candidate], stats: Mapping[int, ItemStats], usage: Counter[int],
             tolerance: float, rng: random.Random) -> list[Paper]:
    cells: dict[tuple, list[Candidate]] = defaultdict(list)
    for c in bank:
        if not c.group:
            cells[(c.area, c.type, c.difficulty)].append(c)
    papers = list(papers)
    cap = max(1, int(TARGET_EXPOSURE * len(papers)))
    for _round in range(200 * len(papers)):
        scores = [expected_score(p, stats) for p in papers]
        mean = statistics.fmean(scores)
        worst = max(range(len(papers)), key=lambda i: abs(scores[i] - mean))
        gap = scores[worst] - mean
        if abs(gap) <= tolerance / 2:
            break
        swapped = _best_swap(papers[worst], gap, cells, stats, usage, cap, rng)
        if swapped is None:
            break
        papers[worst] = swapped
    return papers


def _best_swap(paper: Paper, gap: float, cells: dict[tuple, list[Candidate]], stats: Mapping[int, ItemStats],
               usage: Counter[int], cap: int, rng: random.Random) -> Paper | None:
    """Replace one ungrouped item by a same-cell question that moves the paper's score toward the mean."""
    on_paper = {e.question_id for e in paper.items}
    total = paper.total_points
    best: tuple[float, int, Candidate] | None = None
    for i in rng.sample(range(len(paper.items)), len(paper.items)):
        e = paper.items[i]
        here = expected_rate(e, stats)
        for c in cells.get((e.area, e.type, e.difficulty), ()):
            if c.question_id in on_paper or usage[c.question_id] >= cap:
                continue
            delta = e.points * (expected_rate(c, stats) - here) / total
            if delta * gap >= 0 or abs(delta) > 2 * abs(gap):
                continue  # wrong direction, or overshoots further than it corrects
            remaining = abs(gap + delta)
            if best is None or remaining < best[0]:
                best = (remaining, i, c)
    if best is None or best[0] >= abs(gap):
        return None
    _remaining, i, c = best
    old = paper.items[i]
    usage[old.question_id] -= 1
    usage[c.question_id] += 1
    new = PaperEntry(c.question_id, c.version_id, c.area, c.type, old.points, c.difficulty)
    return Paper(paper.level, paper.items[:i] + (new,) + paper.items[i + 1:], paper.repeated)


def pool_report(papers: list[Paper], stats: Mapping[int, ItemStats]) -> PoolReport:
    sets = [{e.question_id for e in p.items} for p in papers]
    overlaps = [len(a & b) / len(a) for a, b in combinations(sets, 2)] or [0.0]
    counts = Counter(q for s in sets for q in s)
    exposure = {q: n / len(papers) for q, n in counts.items()}
    return PoolReport(
        size=len(papers), expected_scores=[round(expected_score(p, stats), 4) for p in papers],
        mean_overlap=round(statistics.fmean(overlaps), 4), max_overlap=round(max(overlaps), 4),
        max_exposure=max(exposure.values(), default=0.0),
        over_target=sum(1 for v in exposure.values() if v > TARGET_EXPOSURE + 1e-9), exposure=exposure,
    )
