"""Imports: read any supported file, show the dry run, then write every accepted item in one transaction.

The same two functions serve the web upload and ``flask bank import``: ``plan_import`` (reads, guesses
areas, finds duplicates, writes nothing) and ``apply_import`` (refuses the whole file on any error).
Files are read within the bounds of ``question_bank.uploads``; a web upload is read once, when it
arrives (``store_upload``), and its dry run is planned from what was stored (``upload_source``).
"""
from __future__ import annotations

import hashlib
import os
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import ImportStatus, ImportUpload, Question, QuestionStatus
from exam.services.bank_edit import find_duplicates, next_keys
from exam.services.bank_lint import lint_import
from exam.services.bank_sync import SyncReport, sync_records
from question_bank import LEVEL_CODES, BankError, Difficulty, QuestionRecord, QuestionType
from question_bank.areas import suggest_area
from question_bank.exchange import CATEGORY_FORMATS, area_in_name
from question_bank.lint import Finding, LintReport
from question_bank.normalize import stem_fingerprint
from question_bank.readers import Entry, SourceRead
from question_bank.sources import read_from_json, read_to_json, read_upload
from question_bank.uploads import read_limited


class ImportRefused(Exception):
    """The file cannot be imported as it stands; ``problems`` says what and where. Nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:5]) + (f" …(共 {len(problems)} 处)" if len(problems) > 5 else ""))
        self.problems = problems


@dataclass(frozen=True)
class ImportOptions:
    """The trainer's choices. ``area`` applies to items the file gives no area; per-item choices win.

    ``category_areas`` maps a Moodle / GIFT category to the area of every item in it (the trainer's
    confirmed mapping); it wins over what the file says and over the whole-file area.
    """

    area: str | None = None
    difficulty: Difficulty = Difficulty.MEDIUM
    levels: tuple[str, ...] = LEVEL_CODES
    status: QuestionStatus = QuestionStatus.ACTIVE
    suggest_areas: bool = True
    area_overrides: Mapping[int, str] = field(default_factory=dict)
    skip: frozenset[int] = frozenset()
    keep_duplicates: frozenset[int] = frozenset()
    category_areas: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CategoryRow:
    """One category of a Moodle / GIFT file and the area proposed for its items."""

    name: str
    count: int
    area: str | None
    #: 已确认 (the trainer's choice), 不按类别 (the trainer chose none), 类别名称 (the category names an area),
    #: 类别建议 (keywords of its name) or ""
    source: str


def categories_of(source: SourceRead) -> list[str]:
    """The categories of a file whose format has them, in the order they first appear."""
    if source.format not in CATEGORY_FORMATS:
        return []
    return list(dict.fromkeys(e.heading for e in source.entries if e.heading))


def category_rows(source: SourceRead, options: ImportOptions) -> dict[str, CategoryRow]:
    """Each category with its item count and proposed area: confirmed, named by the category, or guessed."""
    counts = Counter(e.heading for e in source.entries if e.heading)
    rows = {}
    for name in categories_of(source):
        if name in options.category_areas:
            area = options.category_areas[name] or None
            how = "已确认" if area else "不按类别"
        elif code := area_in_name(name.rsplit("/", 1)[-1]):
            area, how = code, "类别名称"
        elif guess := suggest_area("", heading=name.replace("/", " ")):
            area, how = guess.code, "类别建议"
        else:
            area, how = None, ""
        rows[name] = CategoryRow(name, counts[name], area, how)
    return rows


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
    categories: list[CategoryRow] = field(default_factory=list)
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
            "categories": [{"name": c.name, "count": c.count, "area": c.area, "source": c.source}
                           for c in self.categories],
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


def read_file(source: bytes | str | os.PathLike | BinaryIO, filename: str) -> SourceRead:
    """Read a file (bytes, a path or an open file); one that cannot be read at all, or is beyond the bounds
    of ``question_bank.uploads``, becomes a SourceRead holding only the error."""
    try:
        return read_upload(source, filename)
    except BankError as exc:
        return SourceRead("unknown", errors=[str(exc)])


def store_upload(session: Session, source: bytes | BinaryIO, filename: str, *, actor_id: int,
                 now: datetime) -> ImportUpload:
    """Read an upload once and keep the file with what was read, pending the trainer's confirmation.

    Raises ``BankError`` (``UploadRefused`` for a file beyond the bounds) before anything is written when
    the file cannot be read at all; problems inside a readable file are kept and shown by the dry run.
    """
    data, filename = read_limited(source, filename or "upload")
    read = read_upload(data, filename)
    upload = ImportUpload(filename=filename[:255], content=data, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                          created_at=now, created_by_id=actor_id, summary={}, parsed=read_to_json(read))
    session.add(upload)
    session.flush()
    return upload


def upload_source(upload: ImportUpload) -> SourceRead:
    """What was read from ``upload`` when it arrived; an upload stored before readings were kept (or in an
    older form) is read again from its file."""
    try:
        return read_from_json(upload.parsed)
    except ValueError:
        return read_file(upload.content, upload.filename)


def finish_upload(upload: ImportUpload, status: ImportStatus, now: datetime) -> None:
    """The upload is imported or discarded: what was read is no longer needed (a discarded file neither)."""
    upload.status, upload.finished_at, upload.parsed = status, now, None
    if status is ImportStatus.DISCARDED:
        upload.content = b""


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
    categories = category_rows(source, options)
    first_seen: dict[str, int] = {}
    items = []
    for i, e in enumerate(entries):
        area, area_source = _area_for(i, e, options, categories.get(e.heading))
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
    plan = ImportPlan(filename, source, options, items, list(categories.values()))
    if lint:
        _lint(session, plan, known)
    return plan


def _lint(session: Session, plan: ImportPlan, known: set[str]) -> None:
    checked = [(it, _record(it, plan.options, key=it.label)) for it in plan.accepted if not it.problem]
    report, ids = lint_import(session, [rec for _, rec in checked],
                              replaces=[it.entry.key for it, _ in checked if it.entry.key in known])
    findings = report.by_key()
    for it, rec in checked:
        it.findings = findings.get(rec.key, [])
    plan.lint, plan.lint_ids = report, ids


def _area_for(i: int, e: Entry, options: ImportOptions, category: CategoryRow | None) -> tuple[str | None, str]:
    if i in options.area_overrides:
        return options.area_overrides[i], "逐题指定"
    if category and category.source == "已确认" and category.area:
        return category.area, "类别映射"
    if e.area:
        return e.area, "文件"
    if options.area:
        return options.area, "整份指定"
    if category and category.area and category.source != "不按类别":
        return category.area, "类别建议"
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
        explanation=e.explanation, tags=e.tags, use=e.use, enemy_group=e.enemy_group,
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
