"""Paper assembly is exact for every level and seed, or names the cell that is short."""
from __future__ import annotations

import random

import pytest

from exam.services.assembly import AssemblyError, Candidate, LevelRules, assemble_paper, feasibility
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


# ---- enemy groups, retakes, feasibility ---------------------------------------------------------------


def tiny_rules(count: int = 10) -> LevelRules:
    """One area, one type, one difficulty: every paper is just ``count`` questions of one cell."""
    return LevelRules("X", {QuestionType.SINGLE: (count, 100 // count)}, {"W05": 100}, {Difficulty.MEDIUM: 100}, 0)


def test_questions_of_one_enemy_group_never_share_a_paper(starter):
    rules = rules_for("L4")
    bank = bank_for(starter, "L4")
    # every W01 single is in one of three groups: a paper may hold at most three of them
    grouped = [Candidate(c.question_id, c.area, c.type, c.difficulty, group=f"g{c.question_id % 3}")
               if (c.area, c.type) == ("W01", QuestionType.SINGLE) else c for c in bank]
    for seed in range(20):
        paper = assemble_paper(rules, grouped, random.Random(seed))
        assert_exact(paper, rules)
        groups = [c.group for c in grouped if c.group and c.question_id in {i.question_id for i in paper.items}]
        assert len(groups) == len(set(groups)), seed


def test_enemy_groups_that_make_a_paper_impossible_are_refused():
    bank = [Candidate(i, "W05", QuestionType.SINGLE, Difficulty.MEDIUM, group="same") for i in range(12)]
    with pytest.raises(AssemblyError):
        assemble_paper(tiny_rules(), bank, random.Random(0))
    report = feasibility(tiny_rules(), bank)
    assert not report.feasible


def test_a_retake_gets_no_question_seen_before_where_the_bank_allows(starter):
    rules, bank = rules_for("L3"), bank_for(starter, "L3")
    first = assemble_paper(rules, bank, random.Random(1))
    seen = {i.question_id for i in first.items}
    for seed in range(10):
        again = assemble_paper(rules, bank, random.Random(seed), seen=seen)
        assert_exact(again, rules)
        assert again.repeated == 0 and not seen & {i.question_id for i in again.items}


def test_when_the_bank_is_too_small_a_retake_repeats_as_few_questions_as_possible():
    bank = [Candidate(i, "W05", QuestionType.SINGLE, Difficulty.MEDIUM) for i in range(14)]
    seen = set(range(10))  # the first paper; only 4 questions are new
    for seed in range(10):
        paper = assemble_paper(tiny_rules(), bank, random.Random(seed), seen=seen)
        ids = {i.question_id for i in paper.items}
        assert paper.repeated == 6 and {10, 11, 12, 13} <= ids


def test_feasibility_names_the_exact_cells_to_fill_and_filling_them_is_enough(starter):
    rules = rules_for("L1")
    bank = [c for c in bank_for(starter, "L1") if c.area != "W06"]
    report = feasibility(rules, bank)
    assert not report.feasible
    short = report.short
    assert short and all(c.area == "W06" for c in short)
    assert sum(rules.sections[c.type][1] * c.need for c in report.cells if c.area == "W06") == 18
    extra = [Candidate(100_000 + i, c.area, c.type, c.difficulty) for i, c in enumerate(
        c for c in short for _ in range(c.need - c.have))]
    assert feasibility(rules, bank + extra).feasible
    assert_exact(assemble_paper(rules, bank + extra, random.Random(3)), rules)


def test_feasibility_marks_cells_thin_below_three_times_the_need(starter):
    # a quarter of the starter bank: papers can still be drawn, but some cells run thin
    report = feasibility(rules_for("L4"), bank_for(starter, "L4")[::4])
    assert report.feasible
    for c in report.cells:
        expected = "short" if c.need > c.have else "thin" if c.have < 3 * c.need else "ok"
        assert c.status == expected
    assert {c.status for c in report.cells} >= {"ok", "thin"}


def test_feasibility_spreads_the_need_so_that_a_bank_deep_enough_everywhere_is_not_called_thin():
    rules = LevelRules("X", {QuestionType.SINGLE: (8, 1)}, {"W05": 100}, {Difficulty.EASY: 50, Difficulty.MEDIUM: 50}, 50)
    bank = [Candidate(i, "W05", QuestionType.SINGLE, Difficulty.EASY) for i in range(14)]
    bank += [Candidate(100 + i, "W05", QuestionType.SINGLE, Difficulty.MEDIUM) for i in range(12)]
    # 4 + 4 items take a third of each cell; piling all 8 into the bigger cell would make it look thin
    report = feasibility(rules, bank)
    assert report.feasible
    assert [(c.difficulty, c.need, c.status) for c in report.cells if c.need] == [
        (Difficulty.EASY, 4, "ok"), (Difficulty.MEDIUM, 4, "ok")]
    # one item more than a third of every cell can give: exactly one cell is reported thin
    thin = feasibility(LevelRules("X", {QuestionType.SINGLE: (9, 1)}, {"W05": 100}, rules.difficulty_mix, 50), bank)
    assert sorted(c.status for c in thin.cells if c.need) == ["ok", "thin"]


def random_rules(rng: random.Random) -> LevelRules:
    """A random weight table over 5 areas in whole points, on the L4 structure (all items 1 or 2 points)."""
    areas = rng.sample(["B11", "B12", "B21", "B22", "W01", "W02", "W03", "W05"], 5)
    cuts = sorted(rng.sample(range(1, 50), 4))
    weights = {a: 2 * (b - a0) for a, a0, b in zip(areas, [0, *cuts], [*cuts, 50], strict=True)}
    base = rules_for("L4")
    sections = {t: s for t, s in base.sections.items() if t is not QuestionType.FILL_BLANK}
    sections[QuestionType.SINGLE] = (50, 1)
    return LevelRules("R", sections, weights, base.difficulty_mix, rng.choice([5, 10, 20]))


def generated_bank(rng: random.Random) -> list[Candidate]:
    """Between 0 and 24 questions in every (area, type, difficulty) cell of eight areas."""
    bank: list[Candidate] = []
    for area in ["B11", "B12", "B21", "B22", "W01", "W02", "W03", "W05"]:
        for t in (QuestionType.TRUE_FALSE, QuestionType.SINGLE, QuestionType.MULTIPLE):
            for d in Difficulty:
                bank += [Candidate(len(bank) + i, area, t, d) for i in range(rng.choice([0, 2, 6, 12, 24]))]
    return bank


def test_random_tables_either_give_exact_papers_or_are_reported_infeasible():
    rng = random.Random(2026)
    outcomes = set()
    for _ in range(40):
        rules, bank = random_rules(rng), generated_bank(rng)
        report = feasibility(rules, bank)
        try:
            paper = assemble_paper(rules, bank, random.Random(rng.randrange(1000)))
        except AssemblyError:
            assert not report.feasible and report.short
            outcomes.add("infeasible")
            continue
        assert report.feasible
        assert_exact(paper, rules)
        outcomes.add("feasible")
    assert outcomes == {"feasible", "infeasible"}
