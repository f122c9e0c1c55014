"""Finding questions: the filters and sort orders shared by the trainer's list, exports and the CLI."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from exam.models import Question, QuestionFlag, QuestionStatus, QuestionVersion, levels_to_mask
from exam.services.bank_sync import record_from_version
from exam.services.item_analysis import FLAG_FILTERS
from question_bank import LEVEL_CODES, Difficulty, QuestionRecord, QuestionType, QuestionUse
from question_bank.normalize import to_simplified

#: sort key → (label, columns)
SORTS = {
    "key": ("编号", (Question.key,)),
    "-updated": ("最近修改", (Question.updated_at.desc(), Question.id.desc())),
    "area": ("知识领域", (QuestionVersion.area_code, Question.key)),
    "type": ("题型", (QuestionVersion.type, Question.key)),
    "difficulty": ("难度", (QuestionVersion.difficulty, Question.key)),
}


@dataclass(frozen=True)
class BankFilter:
    q: str = ""
    area: str = ""
    type: str = ""
    difficulty: str = ""
    level: str = ""
    #: 用途: practice / exam / both
    use: str = ""
    status: str = ""
    source: str = ""
    #: 被标记的题目: a key of ``FLAG_FILTERS`` (flags from item analysis a trainer has not cleared)
    flag: str = ""
    sort: str = "key"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> BankFilter:
        """From a query string; unknown values are ignored rather than failing the page."""
        def pick(name: str, allowed: set[str]) -> str:
            value = (args.get(name) or "").strip()
            return value if value in allowed else ""
        return cls(
            q=(args.get("q") or "").strip()[:100], area=(args.get("area") or "").strip().upper()[:8],
            type=pick("type", {t.value for t in QuestionType}),
            difficulty=pick("difficulty", {d.value for d in Difficulty}),
            level=pick("level", set(LEVEL_CODES)), use=pick("use", {u.value for u in QuestionUse}), status=pick("status", {s.value for s in QuestionStatus}),
            source=(args.get("source") or "").strip()[:120], flag=pick("flag", set(FLAG_FILTERS)),
            sort=pick("sort", set(SORTS)) or "key",
        )

    def args(self) -> dict[str, str]:
        """The non-empty filters, for links that keep them."""
        return {k: v for k, v in self.__dict__.items() if v and not (k == "sort" and v == "key")}


def select_questions(f: BankFilter) -> Select:
    """(Question, current QuestionVersion) rows matching ``f``, in its sort order."""
    stmt = select(Question, QuestionVersion).join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
    if f.q:
        words = {f.q, to_simplified(f.q)}
        stmt = stmt.where(or_(*(QuestionVersion.stem.contains(w, autoescape=True) for w in words),
                              Question.key == f.q.upper()))
    if f.area:
        stmt = stmt.where(QuestionVersion.area_code == f.area)
    if f.type:
        stmt = stmt.where(QuestionVersion.type == QuestionType(f.type))
    if f.difficulty:
        stmt = stmt.where(QuestionVersion.difficulty == Difficulty(f.difficulty))
    if f.level:
        stmt = stmt.where(QuestionVersion.levels_mask.op("&")(levels_to_mask([f.level])) != 0)
    if f.use:
        stmt = stmt.where(QuestionVersion.use == QuestionUse(f.use))
    if f.status:
        stmt = stmt.where(Question.status == QuestionStatus(f.status))
    if f.source:
        stmt = stmt.where(Question.source.contains(f.source, autoescape=True))
    if f.flag:
        stmt = stmt.join(QuestionFlag, QuestionFlag.question_id == Question.id).where(
            QuestionFlag.open_flags.op("&")(FLAG_FILTERS[f.flag][1]) != 0)
    return stmt.order_by(*SORTS[f.sort][1])


def count_questions(session: Session, f: BankFilter) -> int:
    return session.scalar(select(func.count()).select_from(select_questions(f).order_by(None).subquery())) or 0


def page_of_questions(session: Session, f: BankFilter, page: int, size: int) -> list:
    return list(session.execute(select_questions(f).limit(size).offset((page - 1) * size)).all())


def iter_records(session: Session, f: BankFilter, chunk: int = 1000) -> Iterator[QuestionRecord]:
    """Every matching question's current version as a bank record, read in chunks."""
    for question, version in session.execute(select_questions(f).execution_options(yield_per=chunk)):
        yield record_from_version(question.key, version, question.enemy_group)


def sources(session: Session) -> list[str]:
    return list(session.scalars(select(Question.source).distinct().order_by(Question.source)))
