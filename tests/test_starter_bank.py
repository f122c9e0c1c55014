"""The starter bank a trainer can put in front of candidates: big enough, cue-free, levels that differ.

Capacity is proven with the real assembler on the database the demo loads (papers.draw_paper, the
path certification and mock papers take); the cue rates use question_bank.quality.
"""
from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from datetime import datetime
from importlib import resources

import pytest
from sqlalchemy import select

from exam.extensions import db
from exam.models import Question
from exam.services.assembly import AssemblyError
from exam.services.papers import draw_paper, level_by_code, level_feasibility
from question_bank import LEVEL_CODES, QuestionType, QuestionUse, load_starter_bank, loads_bank
from question_bank.lint import lint
from question_bank.quality import cue_report, scheme_points, similar_stems

EXAM, PRACTICE = QuestionUse.EXAM, QuestionUse.PRACTICE
#: certification papers of each level that must share no question
DISJOINT = {"L4": 4, "L3": 3, "L2": 3, "L1": 3}
#: a word for the role that the standard does not use (at 中国电信 a 客户经理 serves 政企 accounts)
WRONG_ROLE = re.compile(r"(?<!政企)客户经理(?!制)")


@pytest.fixture(scope="module")
def bank():
    return load_starter_bank()


def test_every_starter_file_loads_with_the_bank_loader_and_the_bank_is_big_enough(bank):
    files = sorted(p for p in resources.files("question_bank").joinpath("starter_data").iterdir()
                   if p.name.endswith(".json"))
    per_file = [loads_bank(f.read_text(encoding="utf-8"), source=f.name) for f in files]
    assert len(files) == 13  # one per knowledge area
    assert [len({q.area for q in qs}) for qs in per_file] == [1] * 13
    assert sum(len(qs) for qs in per_file) == len(bank) >= 1000
    assert len({q.key for q in bank}) == len(bank)
    stems = [re.sub(r"\s+", "", q.stem) for q in bank]
    assert len(set(stems)) == len(stems), "no stem twice"
    for q in bank:
        assert q.explanation.strip() and q.use is not None and q.levels, q.key
        assert set(q.levels) != set(LEVEL_CODES), f"{q.key} is written for a band of levels, not for all four"


def test_open_items_carry_a_marking_scheme_with_points_that_add_up(bank):
    for q in bank:
        if q.type.is_manual:
            want = 5 if q.type is QuestionType.SHORT_ANSWER else 10
            # read as the marking pages read it: a group whose points do not add up to its heading's would
            # come out as a point of its own and the total would not be the item's
            assert scheme_points(q) == want, q.key


def test_the_role_is_called_vip_service_manager_never_account_manager(bank):
    wrong = [q.key for q in bank if WRONG_ROLE.search(" ".join([q.stem, q.explanation, str(q.answer), *q.options]))]
    assert wrong == []


# ---- levels differ -----------------------------------------------------------------------------------------


def test_levels_differ_one_third_at_most_of_yiji_items_are_also_siji_items(bank):
    l1 = [q for q in bank if "L1" in q.levels]
    assert sum("L4" in q.levels for q in l1) <= len(l1) / 3
    # 四级 never draws an analysis item: every 二级/一级 band item leaves 四级 out
    assert not [q.key for q in bank if "L2" in q.levels and "L4" in q.levels]


# ---- no cues -------------------------------------------------------------------------------------------------


def test_single_choice_keys_are_not_given_away_by_length_or_position(bank):
    r = cue_report(bank)
    assert r.key_longest_rate <= 0.35, r.lines()[0]
    assert r.key_shortest / r.singles <= 0.35, r.lines()[0]
    for letter in "ABCD":
        assert 0.2 <= r.single_positions[letter] / r.singles <= 0.3, r.single_positions


def test_true_false_statements_are_balanced_and_not_told_by_absolute_words(bank):
    r = cue_report(bank)
    assert 0.45 <= r.true_statements / (r.true_statements + r.false_statements) <= 0.55
    # no false statement turns on a sweeping word (一定, 所有, 无需 …: the bank linter's rule), and so few true
    # ones carry one that the word says nothing either way
    assert r.absolute_false == 0 and r.absolute_true <= 0.05 * r.true_statements, r.lines()[1]


def test_multiple_choice_leaves_out_every_position_about_equally(bank):
    r = cue_report(bank)
    rates = {letter: r.unkeyed_rate(letter) for letter in "ABCDE"}
    assert max(rates.values()) - min(rates.values()) <= 0.1, r.lines()[2]


def test_negative_stems_are_emphasised_and_no_option_answers_by_reference(bank):
    r = cue_report(bank)
    assert r.unemphasised_negatives == []
    assert r.catch_all_options == []
    assert any("【不】" in q.stem for q in bank)


# ---- enemy groups ---------------------------------------------------------------------------------------------


def test_items_that_answer_each_other_share_an_enemy_group(bank):
    groups = Counter(q.enemy_group for q in bank if q.enemy_group)
    assert len(groups) >= 80 and min(groups.values()) >= 2
    # pairs whose stem and answer share most of their words are in one group
    assert similar_stems(bank, 0.6) == []


def test_the_bank_linter_finds_nothing_in_the_starter_bank_and_flags_no_rate(bank):
    """题库体检 on the starter bank: no key by length, no false statement told by an absolute word, no
    unemphasised negative stem, no overlapping options, no law item outside B30, no fill-in without its
    usual variants, no near-duplicate and no item giving another's key away outside its enemy group."""
    report = lint(bank)
    assert [f"{f.rule} {f.key}: {f.reason}" for f in report.findings] == []
    assert [r.label for r in report.rates if r.flagged] == []


def test_enemy_groups_reach_the_database_and_no_paper_holds_two_of_one_group(app):
    groups = dict(db.session.execute(select(Question.key, Question.enemy_group)
                                     .where(Question.source == "starter", Question.enemy_group.is_not(None))).all())
    assert len(groups) == sum(1 for q in load_starter_bank() if q.enemy_group)
    group_of = dict(db.session.execute(select(Question.id, Question.enemy_group)
                                       .where(Question.enemy_group.is_not(None))).all())
    for code in LEVEL_CODES:
        level = level_by_code(db.session, code)
        for seed in range(6):
            for purpose in (EXAM, PRACTICE):
                paper = draw_paper(db.session, level, random.Random(seed), purpose=purpose)
                used = [group_of[i.question_id] for i in paper.items if i.question_id in group_of]
                assert len(used) == len(set(used)), (code, seed, purpose)


# ---- capacity ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", LEVEL_CODES)
def test_every_cell_a_certification_paper_uses_holds_three_times_its_need(app, code):
    level = level_by_code(db.session, code)
    report = level_feasibility(db.session, level)
    assert report.feasible
    thin = [(c.area, c.type.value, c.difficulty.value, c.need, c.have) for c in report.cells
            if c.need and c.status != "ok"]
    assert thin == []
    # mock exams draw 练习 and 两者: they can be drawn at every level too
    assert level_feasibility(db.session, level, purpose=PRACTICE).feasible


def _disjoint_papers(level, count: int, purpose: QuestionUse, seed: int) -> bool:
    """Draw ``count`` papers one after another, each excluding every question of the earlier ones."""
    used: set[int] = set()
    try:
        for n in range(count):
            paper = draw_paper(db.session, level, random.Random(seed + n), purpose=purpose, exclude=used)
            ids = {i.question_id for i in paper.items}
            assert not ids & used and paper.total_points == 100
            used |= ids
    except AssemblyError:
        return False
    return True


@pytest.mark.parametrize("code", LEVEL_CODES)
def test_certification_papers_with_no_question_in_common(app, code):
    """The assembler draws 4 四级 / 3 other certification papers sharing no question, and 2 such mocks.

    Random draws one after another can corner themselves (an early paper takes the one question a
    later one needed), so a sequence that runs dry is retried from another seed: the test proves the
    papers exist and that the real assembler finds them, not that every seed does.
    """
    level = level_by_code(db.session, code)
    assert any(_disjoint_papers(level, DISJOINT[code], EXAM, 100 * attempt) for attempt in range(1, 6))
    assert any(_disjoint_papers(level, 2, PRACTICE, 100 * attempt + 50) for attempt in range(1, 6))


def test_yiji_and_erji_have_eight_certification_case_studies_in_every_area_that_carries_them(bank):
    for code, areas in {"L2": ("W02", "W03", "W04", "W06"), "L1": ("W02", "W03", "W04", "W06", "W07")}.items():
        cases = defaultdict(int)
        for q in bank:
            if q.type is QuestionType.CASE_STUDY and code in q.levels and q.use.serves(EXAM):
                cases[q.area] += 1
        assert {a: cases[a] for a in areas if cases[a] < 8} == {}, code


def test_practice_and_certification_pools_overlap_no_more_than_two_thirds(bank):
    practice = [q for q in bank if q.use.serves(PRACTICE)]
    both = [q for q in practice if q.use is QuestionUse.BOTH]
    assert len(both) / len(practice) <= 2 / 3
    assert Counter(q.use for q in bank)[QuestionUse.PRACTICE] >= len(bank) / 5


# ---- the demo still loads quickly ---------------------------------------------------------------------------------


def test_the_demo_loads_the_whole_starter_bank_into_a_fresh_database(tmp_path):
    """`make run` loads the demo on first start; bench/bench_demo_load.py measures how long the whole command takes."""
    from alembic import command
    from sqlalchemy import create_engine, func
    from sqlalchemy.orm import Session

    from exam.cli import alembic_config
    from exam.services.demo import load_demo

    engine = create_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        with Session(engine) as session:
            report = load_demo(session, datetime(2026, 1, 5, 2, 0), "pw")
            session.commit()
            starter = load_starter_bank()
            assert f"已载入初始题库 {len(starter)} 题" in report
            assert session.scalar(select(func.count()).select_from(Question)) == len(starter)
            grouped = session.scalar(select(func.count()).select_from(Question).where(Question.enemy_group.is_not(None)))
            assert grouped == sum(1 for q in starter if q.enemy_group)
    finally:
        engine.dispose()
