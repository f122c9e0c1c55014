"""Imports: read any supported file, show the dry run, then write every accepted item in one transaction.

The same two functions serve the web upload and ``flask bank import``: ``plan_import`` (reads, guesses
areas, finds duplicates, writes nothing) and ``apply_import`` (refuses the whole file on any error).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import Question, QuestionStatus
from exam.services.bank_edit import find_duplicates, next_keys
from exam.services.bank_lint import lint_import
from exam.services.bank_sync import SyncReport, sync_records
from question_bank import LEVEL_CODES, BankError, Difficulty, QuestionRecord, QuestionType
from question_bank.areas import suggest_area
from question_bank.lint import Finding, LintReport
from question_bank.normalize import stem_fingerprint
from question_bank.readers import Entry, SourceRead, read_source


class ImportRefused(Exception):
    """The file cannot be imported as it stands; ``problems`` says what and where. Nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:5]) + (f" …(共 {len(problems)} 处)" if len(problems) > 5 else ""))
        self.problems = problems


@dataclass(frozen=True)
class ImportOptions:
    """The trainer's choices. ``area`` applies to items the file gives no area; per-item choices win."""

    area: str | None = None
    difficulty: Difficulty = Difficulty.MEDIUM
    levels: tuple[str, ...] = LEVEL_CODES
    status: QuestionStatus = QuestionStatus.ACTIVE
    suggest_areas: bool = True
    area_overrides: Mapping[int, str] = field(default_factory=dict)
    skip: frozenset[int] = frozenset()
    keep_duplicates: frozenset[int] = frozenset()


@dataclass
class PlannedItem:
    index: int
    entry: Entry
    area: str | None
    #: where the area came from: 文件 / 整份指定 / 逐题指定 / 关键词建议
    area_source: str
    duplicate_of: list[str]
    #: the file names a key the bank already has: this item revises that question
    updates_key: str | None
    skipped_by_trainer: bool
    #: a duplicate the trainer chose to import anyway
    keep_duplicate: bool = False
    problem: str | None = None
    #: what the bank linter says about this item (a dry run with ``lint``), under ``label``
    findings: list[Finding] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How lint findings name this item: its key, or its place in the file."""
        return self.entry.key or f"第 {self.index + 1} 项"

    @property
    def accepted(self) -> bool:
        return not self.skipped_by_trainer and (not self.duplicate_of or self.keep_duplicate)


@dataclass
class ImportPlan:
    filename: str
    source: SourceRead
    options: ImportOptions
    items: list[PlannedItem]
    #: the bank linter over the accepted items (rates over the file), when the plan was made with ``lint``
    lint: LintReport | None = None
    #: question key → id, for links from findings to the bank
    lint_ids: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> list[PlannedItem]:
        return [it for it in self.items if it.accepted]

    @property
    def duplicates(self) -> list[PlannedItem]:
        return [it for it in self.items if it.duplicate_of]

    @property
    def problems(self) -> list[str]:
        """Everything that refuses the import: file errors, then accepted items that cannot be stored."""
        return self.source.errors + [f"第 {it.index + 1} 项 ({_where(self.source.format, it.entry.lines)}): {it.problem}"
                                     for it in self.accepted if it.problem]

    def by_type(self) -> dict[str, int]:
        counts = Counter(it.entry.type.value for it in self.items)
        return {t.value: counts.get(t.value, 0) for t in QuestionType}

    def to_json(self) -> dict[str, Any]:
        """The dry run as the CLI prints it."""
        return {
            "file": self.filename,
            "format": self.source.format,
            "traditional": self.source.traditional,
            "recognised": len(self.items),
            "by_type": self.by_type(),
            "skipped": [{"lines": list(s.lines), "reason": s.reason} for s in self.source.skipped],
            "duplicates": len(self.duplicates),
            "errors": self.problems,
            "items": [_item_json(it) for it in self.items],
            **({"lint": {"rates": [r.to_json() for r in self.lint.rates],
                         "findings": [f.to_json() for f in self.lint.findings if f.key is None]}} if self.lint else {}),
        }


def _where(fmt: str, lines: tuple[int, int]) -> str:
    if fmt == "xlsx":
        return f"第 {lines[0]} 行"
    if fmt == "json":
        return f"第 {lines[0]} 题"
    return f"第 {lines[0]} 行" if lines[0] == lines[1] else f"第 {lines[0]}–{lines[1]} 行"


def _answer_json(qtype: QuestionType, answer: Any) -> Any:
    if qtype is QuestionType.FILL_BLANK:
        return ["|".join(alts) for alts in answer]
    if qtype.is_choice:
        return list(answer)
    return answer


def _item_json(it: PlannedItem) -> dict[str, Any]:
    e = it.entry
    return {
        "type": e.type.value, "stem": e.stem, "options": list(e.options), "answer": _answer_json(e.type, e.answer),
        "lines": list(e.lines), "key": e.key, "area": it.area, "area_source": it.area_source,
        "use": e.use.value if e.use else None,
        "notes": list(e.notes), "duplicate_of": it.duplicate_of, "accepted": it.accepted,
        **({"problem": it.problem} if it.problem else {}),
        **({"findings": [{"rule": f.rule, "reason": f.reason, "related": list(f.related)} for f in it.findings]}
           if it.findings else {}),
    }


def read_file(data: bytes, filename: str) -> SourceRead:
    """Read an upload; a file that cannot be read at all becomes a SourceRead holding only the error."""
    try:
        return read_source(data, filename)
    except BankError as exc:
        return SourceRead("unknown", errors=[str(exc)])


def plan_import(session: Session, source: SourceRead, filename: str, options: ImportOptions, *,
                lint: bool = False) -> ImportPlan:
    """The dry run: areas, duplicates (in the bank and within the file) and problems per item, and with ``lint``
    the bank linter's findings on every accepted item (against the bank). Writes nothing."""
    entries = source.entries
    keys = [e.key for e in entries if e.key]
    known = set()
    for i in range(0, len(keys), 500):
        known.update(session.scalars(select(Question.key).where(Question.key.in_(keys[i:i + 500]))))
    in_bank = find_duplicates(session, (e.stem for e in entries), exclude_keys=known & set(keys))
    first_seen: dict[str, int] = {}
    items = []
    for i, e in enumerate(entries):
        area, area_source = _area_for(i, e, options)
        fp = stem_fingerprint(e.stem)
        duplicate_of = [k for k in in_bank.get(fp, []) if k != e.key]
        if fp in first_seen:
            duplicate_of.append(f"本文件第 {first_seen[fp] + 1} 项")
        else:
            first_seen[fp] = i
        item = PlannedItem(index=i, entry=e, area=area, area_source=area_source,
                           duplicate_of=duplicate_of, updates_key=e.key if e.key in known else None,
                           skipped_by_trainer=i in options.skip, keep_duplicate=i in options.keep_duplicates)
        item.problem = _problem(item, options)
        items.append(item)
    plan = ImportPlan(filename, source, options, items)
    if lint:
        _lint(session, plan, known)
    return plan


def _lint(session: Session, plan: ImportPlan, known: set[str]) -> None:
    checked = [(it, _record(it, plan.options, key=it.label)) for it in plan.accepted if not it.problem]
    report, ids = lint_import(session, [rec for _, rec in checked],
                              replaces=[it.entry.key for it, _ in checked if it.entry.key in known])
    for it, rec in checked:
        it.findings = report.for_key(rec.key)
    plan.lint, plan.lint_ids = report, ids


def _area_for(i: int, e: Entry, options: ImportOptions) -> tuple[str | None, str]:
    if i in options.area_overrides:
        return options.area_overrides[i], "逐题指定"
    if e.area:
        return e.area, "文件"
    if options.area:
        return options.area, "整份指定"
    guess = suggest_area(" ".join((e.stem, *e.options, e.answer if isinstance(e.answer, str) else "")),
                         heading=e.heading) if options.suggest_areas else None
    return (guess.code, "关键词建议") if guess else (None, "")


def _problem(item: PlannedItem, options: ImportOptions) -> str | None:
    if item.area is None:
        return "没有知识领域, 无法从题干判断, 请指定"
    try:
        _record(item, options, key="~")
    except BankError as exc:
        return str(exc).split(": ", 1)[-1]
    return None


def _record(item: PlannedItem, options: ImportOptions, key: str) -> QuestionRecord:
    e = item.entry
    return QuestionRecord(
        key=key, type=e.type, area=item.area or "", difficulty=e.difficulty or options.difficulty,
        stem=e.stem, answer=e.answer, options=e.options, levels=e.levels or options.levels,
        explanation=e.explanation, tags=e.tags, use=e.use,
    )


def apply_import(session: Session, plan: ImportPlan, *, actor_id: int | None, now: datetime) -> SyncReport:
    """Write every accepted item, or nothing: raises ImportRefused before the first write on any problem."""
    if plan.problems:
        raise ImportRefused(plan.problems)
    accepted = plan.accepted
    if not accepted:
        raise ImportRefused(["没有可导入的题目"])
    new_by_area: dict[str, list[PlannedItem]] = defaultdict(list)
    records: list[QuestionRecord] = []
    for it in accepted:
        if it.entry.key:
            records.append(_record(it, plan.options, it.entry.key))
        else:
            new_by_area[it.area or ""].append(it)
    for area, group in new_by_area.items():
        for key, it in zip(next_keys(session, area, len(group)), group, strict=True):
            records.append(_record(it, plan.options, key))
    return sync_records(session, records, source=f"导入 {plan.filename}"[:120], now=now, actor_id=actor_id,
                        status=plan.options.status)
