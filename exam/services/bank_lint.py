"""The bank linter (题库体检) over the database: the whole bank, one question against it, an import's dry run.

The rules live in ``question_bank.lint`` and know nothing of the database; this module reads the current
versions and enemy groups, and maps keys back to questions for links.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import Question, QuestionStatus, QuestionVersion, mask_to_levels
from exam.services.bank_sync import record_from_version
from question_bank import QuestionRecord, QuestionType
from question_bank.lint import Finding, LintReport, lint

#: what a whole-bank check covers unless told otherwise: what papers draw from, and what is being written
DEFAULT_STATUSES = (QuestionStatus.ACTIVE, QuestionStatus.DRAFT)


@dataclass
class BankRows:
    """The bank's current versions as records, with what the records do not carry."""

    records: list[QuestionRecord]
    #: key → enemy group, for the questions in one
    groups: dict[str, str]
    #: key → question id (links)
    ids: dict[str, int]


def load_bank(session: Session, statuses: Iterable[QuestionStatus] = DEFAULT_STATUSES,
              exclude_keys: Iterable[str] = ()) -> BankRows:
    """Every question of ``statuses`` (but ``exclude_keys``) as its current version's record, in key order."""
    excluded = set(exclude_keys)
    v = QuestionVersion
    rows = session.execute(  # plain columns, no ORM objects: the whole bank is read at once
        select(Question.id, Question.key, Question.enemy_group, v.type, v.area_code, v.difficulty,
               v.levels_mask, v.use, v.stem, v.options, v.answer, v.explanation, v.tags)
        .join(v, Question.current_version_id == v.id)
        .where(Question.status.in_(list(statuses))).order_by(Question.key)
    )
    out = BankRows([], {}, {})
    for qid, key, group, qtype, area, difficulty, mask, use, stem, options, answer, explanation, tags in rows:
        if key in excluded:
            continue
        # the rows were written from validated records: rebuilt directly (QuestionRecord still checks itself)
        out.records.append(QuestionRecord(
            key=key, type=qtype, area=area, difficulty=difficulty, levels=mask_to_levels(mask), use=use, stem=stem,
            options=tuple(options), answer=_answer(qtype, answer), explanation=explanation or "", tags=tuple(tags)))
        out.ids[key] = qid
        if group:
            out.groups[key] = group
    return out


def _answer(qtype: QuestionType, stored: Any) -> Any:
    """A stored key in the record's shape (the bank format's JSON shape: lists become tuples)."""
    if qtype.is_choice:
        return tuple(stored)
    if qtype is QuestionType.FILL_BLANK:
        return tuple(tuple(alternatives) for alternatives in stored)
    return stored


@dataclass
class BankLint:
    """A whole-bank report and the question ids its keys link to."""

    report: LintReport
    ids: dict[str, int]
    statuses: tuple[QuestionStatus, ...]


def lint_bank(session: Session, statuses: Sequence[QuestionStatus] = DEFAULT_STATUSES,
              rules: Iterable[str] | None = None) -> BankLint:
    """Every rule over the questions of ``statuses``; pairs in one enemy group are not reported."""
    bank = load_bank(session, statuses)
    return BankLint(lint(bank.records, groups=bank.groups, rules=rules), bank.ids, tuple(statuses))


def lint_question(session: Session, question: Question) -> tuple[list[Finding], dict[str, int]]:
    """One question's current version against the rest of the bank (active and draft): its findings, and the
    ids of the questions they name. Bank-wide rates are not one question's business."""
    bank = load_bank(session, DEFAULT_STATUSES, exclude_keys=[question.key])
    record = record_from_version(question.key, question.current_version)
    groups = dict(bank.groups)
    if question.enemy_group:
        groups[question.key] = question.enemy_group
    report = lint([record], context=bank.records, groups=groups)
    return report.for_key(question.key), bank.ids | {question.key: question.id}


def lint_import(session: Session, records: Sequence[QuestionRecord],
                replaces: Iterable[str] = ()) -> tuple[LintReport, dict[str, int]]:
    """An import's items (keyed by how the dry run names them) against the bank, but the questions they revise
    (``replaces``). Near-duplicates with the same folded stem are left out: the dry run shows them as duplicates.
    """
    if not records:  # nothing importable: no reason to read the bank
        return lint([]), {}
    bank = load_bank(session, DEFAULT_STATUSES, exclude_keys=replaces)
    return lint(records, context=bank.records, groups=bank.groups, same_stem=False), bank.ids
