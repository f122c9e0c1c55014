"""Bridge between the database and the pure assembler: a level's rules and the bank's candidates."""
from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import Row, select, text, union
from sqlalchemy.orm import Session

from exam.models import (
    Attempt,
    BankCell,
    Level,
    PaperItem,
    PracticeResponse,
    Question,
    QuestionStatus,
    QuestionVersion,
)
from exam.services.assembly import (
    Candidate,
    Cell,
    CellPools,
    Feasibility,
    LevelRules,
    Paper,
    assemble_from_cells,
    assemble_paper,
    feasibility_of_cells,
    sort_cells,
)
from question_bank import LEVEL_CODES, Difficulty, QuestionType, QuestionUse

#: what a paper is drawn for: certification papers and their pools (考试 and 两者 questions) by default;
#: mock exams and practice pass ``QuestionUse.PRACTICE`` (练习 and 两者)
EXAM = QuestionUse.EXAM


def level_rules(level: Level) -> LevelRules:
    return LevelRules(
        level=level.code,
        sections={s.type: (s.count, s.points) for s in level.sections if s.count},
        weights={w.area_code: w.percent for w in level.weights},
        difficulty_mix={d.difficulty: d.percent for d in level.difficulty_mix},
        tolerance=level.difficulty_tolerance,
    )


_CANDIDATE = (Question.id, Question.area_code, Question.type, Question.difficulty, Question.current_version_id,
              Question.enemy_group)


def _allowed(bit: int, purpose: QuestionUse):  # noqa: ANN202
    return ((Question.status == QuestionStatus.ACTIVE) & (Question.levels_mask.op("&")(bit) != 0)
            & Question.use.in_(QuestionUse.serving(purpose)))


def _candidates(rows: Iterable[Row]) -> list[Candidate]:
    return [Candidate(*row) for row in rows]


def bank_candidates(session: Session, level_code: str, purpose: QuestionUse = EXAM) -> list[Candidate]:
    """Active questions whose current version is allowed in the level and serves ``purpose`` (the whole
    bank: pools, reports)."""
    bit = level_bit(level_code)
    return _candidates(session.execute(select(*_CANDIDATE).where(_allowed(bit, purpose)).order_by(Question.id)))


def level_bit(level_code: str) -> int:
    return 1 << LEVEL_CODES.index(level_code)


class StaleCounts(Exception):
    """A cell held other questions than its count said (a concurrent change between two reads)."""


class _CellSupply:
    """One cell's active, ungrouped questions of the uses a paper may draw: counted by ``bank_cells``; only
    the sampled ones are read."""

    def __init__(self, session: Session, bit: int, cell: Cell, count: int, skip: set[int],
                 uses: tuple[QuestionUse, ...]) -> None:
        self.session, self.bit, self.cell, self.count, self.skip = session, bit, cell, count, skip
        self.uses = uses

    def __len__(self) -> int:
        return self.count

    def take(self, ranks: list[int]) -> list[Candidate]:
        return self.take_together([(self, ranks)])[0]

    @staticmethod
    def take_together(requests: list[tuple[_CellSupply, list[int]]]) -> list[list[Candidate]]:
        """Every sampled member of every cell in one statement (one snapshot, so no duplicates).

        Member ``rank`` is the rank-th of the cell's questions of the paper's uses in ``ix_questions_cell``
        order: a seek and a walk of the index (which holds the use, so other uses are passed over there),
        no sort. The SQL is written out rather than built with the expression language, whose
        construction cost more than the query (85 sub-selects). A rank past
        the cell's end (a concurrent change shrank it since it was counted) raises ``StaleCounts``.
        """
        parts, params = [], {}
        for tag, (s, ranks) in enumerate(requests):
            if not ranks:
                continue
            area, qtype, difficulty = s.cell
            params |= {f"a{tag}": area, f"t{tag}": qtype.value, f"d{tag}": difficulty.value}
            skip = f" AND id NOT IN ({', '.join(str(int(q)) for q in sorted(s.skip))})" if s.skip else ""
            uses = ", ".join(f"'{QuestionUse(u).value}'" for u in s.uses)
            parts += [
                f"SELECT id, {tag} AS tag, {int(rank)} AS rk FROM (SELECT id FROM questions"
                f" WHERE status = 'active' AND area_code = :a{tag} AND type = :t{tag} AND difficulty = :d{tag}"
                f" AND (levels_mask & {int(s.bit)}) <> 0 AND enemy_group IS NULL AND use IN ({uses}){skip}"
                f" ORDER BY enemy_group, levels_mask, use, id LIMIT 1 OFFSET {int(rank)}) AS m{tag}_{rank}"
                for rank in ranks]
        found: list[dict[int, int]] = [{} for _ in requests]
        if parts:
            for qid, tag, rank in requests[0][0].session.execute(text(" UNION ALL ".join(parts)), params):
                found[tag][rank] = qid
        out = []
        for (s, ranks), ids in zip(requests, found, strict=True):
            if len(ids) != len(ranks):
                raise StaleCounts(s.cell)
            area, qtype, difficulty = s.cell
            out.append([Candidate(ids[r], area, qtype, difficulty) for r in ranks])
        return out


def _with_versions(session: Session, paper: Paper) -> Paper:
    """Fill in the current version of entries sampled from cell supplies (which read only ids)."""
    missing = [e.question_id for e in paper.items if e.version_id is None]  # sampled or grouped
    if not missing:
        return paper
    current = {qid: vid for qid, vid in session.execute(
        select(Question.id, Question.current_version_id).where(Question.id.in_(missing)))}
    items = tuple(replace(e, version_id=current[e.question_id]) if e.version_id is None else e for e in paper.items)
    return replace(paper, items=items)


_grouped_cache: dict[str, tuple[int, list[tuple[bool, int, QuestionUse, Candidate]]]] = {}


def grouped_questions(session: Session, stamp: int | None) -> list[tuple[bool, int, QuestionUse, Candidate]]:
    """Every question in an enemy group as (active, levels mask, use, candidate without version).

    Cached per database while the stamp the triggers keep in ``bank_cells`` is unchanged (a random
    value per change, so a rolled-back change never repeats a stamp another change commits).
    """
    key = str(session.get_bind().engine.url)
    cached = _grouped_cache.get(key)
    if stamp is not None and cached is not None and cached[0] == stamp:
        return cached[1]
    # ">= ''" (every group name) lets the planner use the enemy_group index
    rows = [(status is QuestionStatus.ACTIVE, mask, use, Candidate(qid, area, qtype, diff, None, group))
            for status, mask, use, qid, area, qtype, diff, group in session.execute(
                select(Question.status, Question.levels_mask, Question.use, Question.id, Question.area_code,
                       Question.type, Question.difficulty, Question.enemy_group).where(Question.enemy_group >= "")
                .order_by(Question.id))]
    if stamp is not None:
        _grouped_cache[key] = (stamp, rows)
    return rows


def level_cells(session: Session, level_code: str, rules: LevelRules, seen: Iterable[int] = (), *,
                purpose: QuestionUse = EXAM, exclude: Iterable[int] = ()) -> dict[Cell, CellPools]:
    """The bank split into the cells ``rules`` use, from the ``bank_cells`` counts of the uses that serve
    ``purpose``: only enemy-grouped, already-seen and excluded questions are read one by one; the rest of
    a cell is read when a paper samples it. ``exclude``: questions never to use."""
    bit, seen, exclude = level_bit(level_code), set(seen), set(exclude)
    uses = QuestionUse.serving(purpose)
    areas = {a for a, pct in rules.weights.items() if pct}
    used = lambda k: k[0] in areas and k[1] in rules.sections  # noqa: E731
    cells: dict[Cell, CellPools] = {}
    counts: dict[Cell, int] = {}
    stamp = None
    for b, a, t, d, u, n in session.execute(
            select(BankCell.level_bit, BankCell.area_code, BankCell.type, BankCell.difficulty, BankCell.use,
                   BankCell.n).where(BankCell.level_bit.in_([bit, 0]))):
        if not b:
            stamp = n
        elif u in uses:
            k = (a, QuestionType(t), Difficulty(d))
            counts[k] = counts.get(k, 0) + n
    grouped = [c for active, mask, use, c in grouped_questions(session, stamp)
               if active and mask & bit and use in uses and c.question_id not in exclude]
    read_apart = sorted(seen | exclude)
    met: list[Candidate] = []
    for i in range(0, len(read_apart), 500):
        met += _candidates(session.execute(
            select(*_CANDIDATE).where(_allowed(bit, purpose), Question.enemy_group.is_(None),
                                      Question.id.in_(read_apart[i:i + 500])).order_by(Question.id)))
    for c in grouped:
        if used(c.cell):
            cells.setdefault(c.cell, CellPools(new=[])).grouped.append(c)
    for c in met:
        if used(c.cell):
            counts[c.cell] = counts.get(c.cell, 0) - 1
            if c.question_id not in exclude:
                cells.setdefault(c.cell, CellPools(new=[])).seen.append(c)
    for k, n in counts.items():
        if used(k) and n > 0:
            cells.setdefault(k, CellPools(new=[])).new = _CellSupply(session, bit, k, n, seen | exclude, uses)
    return sort_cells(cells)


def level_by_code(session: Session, code: str) -> Level | None:
    return session.scalars(select(Level).where(Level.code == code)).one_or_none()


def seen_questions(session: Session, user_id: int, level: Level) -> set[int]:
    """Questions this trainee has had on papers of this level before (any version), and those they practised
    (专项练习 shows the key at once, whatever the level)."""
    on_papers = (select(QuestionVersion.question_id)
                 .join(PaperItem, PaperItem.question_version_id == QuestionVersion.id)
                 .join(Attempt, Attempt.id == PaperItem.attempt_id)
                 .where(Attempt.user_id == user_id, Attempt.level_id == level.id))
    practised = select(PracticeResponse.question_id).where(PracticeResponse.user_id == user_id)
    return set(session.scalars(union(on_papers, practised)))


def draw_paper(session: Session, level: Level, rng: random.Random, seen: set[int] | None = None, *,
               purpose: QuestionUse = EXAM, exclude: Iterable[int] = ()) -> Paper:
    """A paper for ``level`` from the questions that serve ``purpose`` (certification: 考试 and 两者; mock:
    练习 and 两者); with ``seen``, the trainee's earlier questions only where nothing else fits; never one of
    ``exclude``.

    Allocates from the cell counts and reads only the cells the paper samples; if a concurrent bank
    change makes a count disagree with its cell, the paper is drawn again from the whole bank.
    """
    rules, seen, exclude = level_rules(level), seen or set(), set(exclude)
    state = rng.getstate()
    try:
        cells = level_cells(session, level.code, rules, seen, purpose=purpose, exclude=exclude)
        return _with_versions(session, assemble_from_cells(rules, cells, rng, seen))
    except StaleCounts:
        rng.setstate(state)
        return assemble_paper(rules, bank_candidates(session, level.code, purpose), rng, exclude=exclude, seen=seen)


def level_feasibility(session: Session, level: Level, rules: LevelRules | None = None, *,
                      purpose: QuestionUse = EXAM) -> Feasibility:
    """The cell report of ``level`` (or of ``rules`` proposed for it) against the active questions that serve
    ``purpose`` (certification papers unless told otherwise)."""
    rules = rules or level_rules(level)
    return feasibility_of_cells(rules, level_cells(session, level.code, rules, purpose=purpose))
