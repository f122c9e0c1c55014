"""Cell counts follow every bank change (database triggers), and papers drawn from them are exact."""
from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import select
from test_assembly import assert_exact

from exam.extensions import db
from exam.models import BankCell, Question, QuestionStatus, QuestionVersion
from exam.services import papers
from exam.services.bank_edit import change_status, create_question, edit_question, set_enemy_group
from exam.services.bank_sync import add_questions
from exam.services.papers import StaleCounts, draw_paper, level_by_code, level_cells, level_rules
from question_bank import LEVEL_CODES, Difficulty, QuestionRecord, QuestionType, QuestionUse

NOW = datetime(2026, 11, 22, 9, 0)


def recount() -> Counter:
    """What bank_cells must say, counted the slow way from the current versions."""
    out: Counter = Counter()
    rows = db.session.execute(
        select(Question.status, Question.enemy_group, QuestionVersion.levels_mask, QuestionVersion.area_code,
               QuestionVersion.type, QuestionVersion.difficulty, QuestionVersion.use)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id))
    for status, group, mask, area, qtype, diff, use in rows:
        if status is QuestionStatus.ACTIVE and group is None:
            for i in range(len(LEVEL_CODES)):
                if mask & (1 << i):
                    out[(1 << i, area, qtype.value, diff.value, use.value)] += 1
    return out


def stored() -> Counter:
    return Counter({(b, a, t, d, u): n for b, a, t, d, u, n in db.session.execute(
        select(BankCell.level_bit, BankCell.area_code, BankCell.type, BankCell.difficulty, BankCell.use, BankCell.n)
        .where(BankCell.level_bit > 0, BankCell.n != 0))})


def question(area: str = "W03", levels: tuple[str, ...] = ("L4", "L3"), difficulty=Difficulty.MEDIUM,  # noqa: ANN001
             use: QuestionUse | None = None):
    return QuestionRecord(key="tmp", type=QuestionType.TRUE_FALSE, area=area, difficulty=difficulty, levels=levels,
                          stem=f"客户来电投诉网速慢, 应先致歉再排查 ({random.random()})", answer=True, use=use)


def test_counts_follow_creation_edits_status_and_enemy_groups(app):
    assert stored() == recount()  # the demo bank, counted by the migration's backfill and the triggers
    q = create_question(db.session, question(), status=QuestionStatus.ACTIVE, actor_id=None, now=NOW)
    db.session.flush()
    assert stored() == recount()
    cell = (1, "W03", "true_false", "medium", "both")
    before = stored()[cell]
    edit_question(db.session, q, question(area="W05", levels=("L1",), difficulty=Difficulty.HARD),
                  actor_id=None, now=NOW)
    db.session.flush()
    assert stored()[cell] == before - 1 and stored()[(8, "W05", "true_false", "hard", "both")] >= 1
    assert stored() == recount()
    edit_question(db.session, q, question(area="W05", levels=("L1",), difficulty=Difficulty.HARD,
                                          use=QuestionUse.EXAM), actor_id=None, now=NOW)
    db.session.flush()
    assert stored()[(8, "W05", "true_false", "hard", "exam")] == 1
    assert stored() == recount()
    set_enemy_group(db.session, q, "G-网速", actor_id=None, now=NOW)
    assert stored() == recount()
    set_enemy_group(db.session, q, "", actor_id=None, now=NOW)
    assert stored() == recount()
    change_status(db.session, q, QuestionStatus.RETIRED, actor_id=None, now=NOW)
    assert stored() == recount()
    draft = create_question(db.session, question(), status=QuestionStatus.DRAFT, actor_id=None, now=NOW)
    assert stored() == recount()
    change_status(db.session, draft, QuestionStatus.ACTIVE, actor_id=None, now=NOW)
    assert stored() == recount()


def test_counts_follow_questions_added_together_and_the_group_stamp_changes_only_for_a_grouped_one(app):
    def stamp() -> int:
        return db.session.scalar(select(BankCell.n).where(BankCell.level_bit == 0))

    rng = random.Random(5)
    uses = [None, *QuestionUse]
    batch = [dataclasses.replace(question(area=rng.choice(["W01", "W03", "W05"]), difficulty=rng.choice(list(Difficulty)),
                                          levels=tuple(rng.sample(LEVEL_CODES, rng.randint(1, 4))),
                                          use=uses[i % len(uses)]), key=f"CELLS-{i:03d}")
             for i in range(120)]
    before = stamp()
    add_questions(db.session, batch[:100], status=QuestionStatus.ACTIVE, source="test", now=NOW, actor_id=None)
    add_questions(db.session, batch[100:110], status=QuestionStatus.DRAFT, source="test", now=NOW, actor_id=None)
    assert stored() == recount()
    assert stamp() == before  # no question in an enemy group was added
    grouped = [dataclasses.replace(r, enemy_group="G-同题" if i % 3 == 0 else None) for i, r in enumerate(batch[110:])]
    add_questions(db.session, grouped, status=QuestionStatus.ACTIVE, source="test", now=NOW, actor_id=None)
    assert stored() == recount()
    assert stamp() != before


@pytest.mark.parametrize("code", LEVEL_CODES)
def test_papers_drawn_from_the_counts_are_exact_and_use_current_versions(app, code):
    level = level_by_code(db.session, code)
    rules = level_rules(level)
    for seed in range(5):
        paper = draw_paper(db.session, level, random.Random(seed))
        assert_exact(paper, rules)
        current = dict(db.session.execute(select(Question.id, Question.current_version_id).where(
            Question.id.in_([e.question_id for e in paper.items]))).all())
        assert all(e.version_id == current[e.question_id] for e in paper.items)


def test_enemy_groups_are_respected_when_drawing_from_the_database(app):
    level = level_by_code(db.session, "L4")
    # every active L4 true/false question of W01 in one group: at most one of them per paper
    members = db.session.scalars(select(Question).where(
        Question.status == QuestionStatus.ACTIVE, Question.area_code == "W01",
        Question.type == QuestionType.TRUE_FALSE, Question.levels_mask.op("&")(1) != 0)).all()
    assert len(members) >= 3
    for q in members:
        set_enemy_group(db.session, q, "W01-判断", actor_id=None, now=NOW)
    ids = {q.id for q in members}
    for seed in range(15):
        paper = draw_paper(db.session, level, random.Random(seed))
        assert len(ids & {e.question_id for e in paper.items}) <= 1
        assert_exact(paper, level_rules(level))


def test_a_cell_changed_between_count_and_sample_is_noticed_and_the_paper_drawn_again(app, monkeypatch):
    level = level_by_code(db.session, "L4")
    rules = level_rules(level)
    cells = level_cells(db.session, "L4", rules)
    supply = next(p.new for p in cells.values() if len(p.new) > 1)
    supply.count += 50  # as if questions were retired by another worker after the count was read
    with pytest.raises(StaleCounts):
        supply.take([supply.count - 1])
    calls = []
    real = papers.level_cells

    def stale_once(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        out = real(*args, **kwargs)
        if not calls:
            for pools in out.values():
                if not isinstance(pools.new, list):  # a cell of enemy-grouped questions only has no supply
                    pools.new.count += 1000
        calls.append(1)
        return out

    monkeypatch.setattr(papers, "level_cells", stale_once)
    paper = draw_paper(db.session, level, random.Random(3))
    assert_exact(paper, rules)
