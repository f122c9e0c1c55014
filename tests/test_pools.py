"""Parallel papers for a sitting: every paper exact, low exposure, equal expected difficulty."""
from __future__ import annotations

import random

from test_assembly import assert_exact

from exam.services.assembly import Candidate
from exam.services.pools import TARGET_EXPOSURE, ItemStats, assemble_pool, expected_score
from exam.services.reference import default_level_rules
from question_bank import Difficulty, QuestionType


def big_bank(per_cell: int = 12) -> list[Candidate]:
    """Enough questions in every L4 cell for eight papers that barely overlap."""
    rules = default_level_rules("L4")
    bank: list[Candidate] = []
    for area in rules.area_points():
        for t in rules.sections:
            for d in Difficulty:
                bank += [Candidate(len(bank) + i, area, t, d) for i in range(per_cell)]
    return bank


def test_a_pool_of_papers_is_exact_with_low_exposure_and_equal_expected_difficulty():
    rules, bank = default_level_rules("L4"), big_bank()
    rng = random.Random(4)
    # observed correct rates for half the bank, spread widely, so papers differ before balancing
    stats = {c.question_id: ItemStats(responses=40, correct_rate=rng.uniform(0.2, 0.95))
             for c in bank if c.question_id % 2 == 0}
    stats[1] = ItemStats(responses=5, correct_rate=0.01)  # too few responses: declared difficulty is used
    pool = assemble_pool(rules, bank, random.Random(1), size=8, stats=stats, tolerance=0.01)
    assert len(pool.papers) == 8
    for paper in pool.papers:
        assert_exact(paper, rules)
    report = pool.report
    assert report.spread <= 0.01, report.expected_scores
    assert report.max_exposure <= TARGET_EXPOSURE and report.over_target == 0
    assert 0 <= report.mean_overlap <= report.max_overlap <= 0.25
    assert report.expected_scores == [round(expected_score(p, stats), 4) for p in pool.papers]


def test_a_thin_bank_reports_the_exposure_it_could_not_avoid():
    rules = default_level_rules("L4")
    bank = big_bank(per_cell=3)
    pool = assemble_pool(rules, bank, random.Random(2), size=8)
    for paper in pool.papers:
        assert_exact(paper, rules)
    assert pool.report.max_exposure > TARGET_EXPOSURE and pool.report.over_target > 0
    assert pool.report.max_overlap > 0


def test_enemy_groups_hold_on_every_paper_of_a_pool():
    rules = default_level_rules("L4")
    bank = [Candidate(c.question_id, c.area, c.type, c.difficulty, group=f"g{c.question_id % 4}")
            if c.type is QuestionType.SINGLE and c.area == "W01" else c for c in big_bank()]
    groups = {c.question_id: c.group for c in bank if c.group}
    pool = assemble_pool(rules, bank, random.Random(3), size=6)
    for paper in pool.papers:
        used = [groups[e.question_id] for e in paper.items if e.question_id in groups]
        assert len(used) == len(set(used))


def test_before_any_statistics_parallel_papers_have_the_same_difficulty_split():
    rules = default_level_rules("L4")
    pool = assemble_pool(rules, big_bank(), random.Random(5), size=10)
    splits = {tuple(sorted(p.points_by_difficulty().items())) for p in pool.papers}
    assert len(splits) == 1
    assert pool.report.spread == 0
