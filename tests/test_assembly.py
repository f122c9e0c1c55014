"""Paper assembly is exact for every level and seed, or names the cell that is short."""
from __future__ import annotations

import random

import pytest

from exam.services.assembly import AssemblyError, Candidate, LevelRules, assemble_paper
from exam.services.reference import LEVELS
from exam.services.reference import default_level_rules as rules_for
from question_bank import Difficulty, QuestionType, load_starter_bank

LEVEL_CODES = [lv[0] for lv in LEVELS]


@pytest.fixture(scope="module")
def starter():
    return load_starter_bank()


def bank_for(starter, code):
    return [Candidate(i, q.area, q.type, q.difficulty) for i, q in enumerate(starter) if code in q.levels]


def assert_exact(paper, rules: LevelRules) -> None:
    assert paper.total_points == 100
    assert paper.points_by_area() == {a: p for a, p in rules.area_points().items()}
    assert paper.count_by_type() == {t: c for t, (c, _p) in rules.sections.items()}
    for d, pct in rules.difficulty_mix.items():
        assert abs(paper.points_by_difficulty().get(d, 0) - pct) <= rules.tolerance, d
    ids = [i.question_id for i in paper.items]
    assert len(ids) == len(set(ids))
    for item in paper.items:
        assert item.points == rules.sections[item.type][1]


@pytest.mark.parametrize("code", LEVEL_CODES)
def test_every_paper_matches_the_level_tables_exactly(starter, code):
    rules, bank = rules_for(code), bank_for(starter, code)
    allowed = {c.question_id for c in bank}
    for seed in range(25):
        paper = assemble_paper(rules, bank, random.Random(seed))
        assert_exact(paper, rules)
        assert {i.question_id for i in paper.items} <= allowed


@pytest.mark.parametrize("code", LEVEL_CODES)
def test_two_papers_with_no_question_in_common_can_be_drawn(starter, code):
    rules, bank = rules_for(code), bank_for(starter, code)
    first = assemble_paper(rules, bank, random.Random(1))
    second = assemble_paper(rules, bank, random.Random(2), exclude={i.question_id for i in first.items})
    assert_exact(second, rules)
    assert not {i.question_id for i in first.items} & {i.question_id for i in second.items}


def test_same_seed_same_bank_gives_the_same_paper_and_other_seeds_differ(starter):
    rules, bank = rules_for("L4"), bank_for(starter, "L4")
    assert assemble_paper(rules, bank, random.Random(7)) == assemble_paper(rules, bank, random.Random(7))
    assert assemble_paper(rules, bank, random.Random(7)) != assemble_paper(rules, bank, random.Random(8))


def test_an_area_without_enough_questions_is_named_with_its_shortfall(starter):
    rules = rules_for("L1")
    bank = [c for c in bank_for(starter, "L1") if not (c.area == "W06" and c.type is QuestionType.CASE_STUDY)]
    bank = [c for c in bank if c.area != "W06" or c.type is QuestionType.TRUE_FALSE][:400]
    with pytest.raises(AssemblyError) as err:
        assemble_paper(rules, bank, random.Random(1))
    shortages = {(s.kind, s.key): s for s in err.value.shortages}
    assert ("area", "W06") in shortages
    w06_true_false = sum(1 for c in bank if c.area == "W06")
    assert shortages[("area", "W06")].short_by == 18 - min(w06_true_false, 10)
    assert "W06" in str(err.value) and "差" in str(err.value)


def test_a_missing_type_is_named_with_how_many_items_are_short(starter):
    rules = rules_for("L2")
    bank = [c for c in bank_for(starter, "L2") if c.type is not QuestionType.CASE_STUDY]
    with pytest.raises(AssemblyError) as err:
        assemble_paper(rules, bank, random.Random(1))
    assert any(s.kind == "type" and s.key == "case_study" and s.short_by == 3 for s in err.value.shortages)
    assert "案例分析题: 需要 3 道, 差 3 道" in str(err.value)


def test_points_that_cannot_be_made_exactly_are_reported_not_rounded():
    rules = LevelRules("X", {QuestionType.MULTIPLE: (2, 2), QuestionType.SINGLE: (1, 1)}, {"B11": 60, "B12": 40},
                       {Difficulty.EASY: 100}, 0)
    bank = [Candidate(i, "B11", QuestionType.MULTIPLE, Difficulty.EASY) for i in range(5)]
    bank += [Candidate(10 + i, "B12", QuestionType.MULTIPLE, Difficulty.EASY) for i in range(5)]
    bank += [Candidate(20, "B12", QuestionType.SINGLE, Difficulty.EASY)]
    # B11 needs 3 points but holds only 2-point items: no exact paper exists
    with pytest.raises(AssemblyError) as err:
        assemble_paper(rules, bank, random.Random(0))
    assert any(s.key == "B11" for s in err.value.shortages)


def test_difficulty_mix_that_the_bank_cannot_meet_is_named(starter):
    rules = rules_for("L4")
    bank = [c for c in bank_for(starter, "L4") if c.difficulty is not Difficulty.HARD]
    with pytest.raises(AssemblyError) as err:
        assemble_paper(rules, bank, random.Random(1))
    assert any(s.kind == "difficulty" and s.key == "hard" and s.short_by == 15 for s in err.value.shortages)
