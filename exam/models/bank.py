"""The question bank: knowledge areas, questions and their immutable versions."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.models.base import Base, str_enum
from question_bank import LEVEL_CODES, Difficulty, QuestionType, QuestionUse


class QuestionStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


def levels_to_mask(levels: tuple[str, ...] | list[str]) -> int:
    return sum(1 << LEVEL_CODES.index(code) for code in levels)


def mask_to_levels(mask: int) -> tuple[str, ...]:
    return tuple(code for i, code in enumerate(LEVEL_CODES) if mask & (1 << i))


class KnowledgeArea(Base):
    __tablename__ = "knowledge_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    #: 基本要求 (basic) or 工作要求 (job)
    group: Mapped[str] = mapped_column(String(16))
    #: the headline category shown to users: 服务礼仪 / 投诉处理 / 电信知识 / 维系技能
    category: Mapped[str] = mapped_column(String(16))
    sort_order: Mapped[int] = mapped_column(default=0)


class Question(Base):
    """A question's identity and status; its content lives in versions."""

    __tablename__ = "questions"
    __table_args__ = (
        # one cell's active questions for one level, read when a paper samples that cell
        Index("ix_questions_cell", "status", "area_code", "type", "difficulty", "enemy_group", "levels_mask", "use", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable external key used by the interchange formats, e.g. "W05-012"
    key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[QuestionStatus] = mapped_column(str_enum(QuestionStatus, "question_status"))  # ix_questions_cell
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True, name="fk_questions_current_version_id_question_versions")
    )
    #: questions that give each other away share a group; a paper holds at most one of them
    enemy_group: Mapped[str | None] = mapped_column(String(40), index=True)
    #: the current version's cell and levels, copied here so assembly counts and samples cells in SQL
    #: (kept by bank_sync; the bank_cells counts follow them through database triggers)
    area_code: Mapped[str | None] = mapped_column(String(8))
    type: Mapped[QuestionType | None] = mapped_column(str_enum(QuestionType, "question_cell_type"))
    difficulty: Mapped[Difficulty | None] = mapped_column(str_enum(Difficulty, "question_cell_difficulty"))
    levels_mask: Mapped[int | None]
    #: the current version's 用途: certification papers draw 考试 and 两者, mocks and practice 练习 and 两者
    use: Mapped[QuestionUse] = mapped_column(str_enum(QuestionUse, "question_cell_use"), default=QuestionUse.BOTH,
                                             server_default=QuestionUse.BOTH.value)
    #: where the question came from (starter bank, an import file, a trainer)
    source: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)

    current_version: Mapped[QuestionVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)
    versions: Mapped[list[QuestionVersion]] = relationship(
        foreign_keys="QuestionVersion.question_id", back_populates="question", order_by="QuestionVersion.version"
    )


class QuestionVersion(Base):
    """What a trainee saw: never edited once created; papers point here."""

    __tablename__ = "question_versions"
    __table_args__ = (
        UniqueConstraint("question_id", "version", name="uq_question_versions_question_version"),
        CheckConstraint("levels_mask > 0 AND levels_mask < 16", name="levels_mask_range"),
        Index("ix_question_versions_cell", "area_code", "type", "difficulty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    type: Mapped[QuestionType] = mapped_column(str_enum(QuestionType, "question_type"))
    area_code: Mapped[str] = mapped_column(ForeignKey("knowledge_areas.code"))
    difficulty: Mapped[Difficulty] = mapped_column(str_enum(Difficulty, "difficulty"))
    #: bit i set ⇔ allowed in LEVEL_CODES[i] (L4=1, L3=2, L2=4, L1=8)
    levels_mask: Mapped[int]
    #: 用途: 练习 (mocks and practice only), 考试 (certification only) or 两者
    use: Mapped[QuestionUse] = mapped_column(str_enum(QuestionUse, "question_use"), default=QuestionUse.BOTH,
                                             server_default=QuestionUse.BOTH.value)
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list[Any]] = mapped_column(default=list)
    #: the key in the bank format's JSON shape; never sent to a trainee before grading
    answer: Mapped[Any]
    explanation: Mapped[str] = mapped_column(Text, default="")
    #: free labels a trainer searches by (教材章节, 来源题库 …)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    #: hash of the folded stem (width, script, spaces, punctuation): finds the same question typed twice
    fingerprint: Mapped[str] = mapped_column(String(20), index=True, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    question: Mapped[Question] = relationship(foreign_keys=[question_id], back_populates="versions")

    @property
    def levels(self) -> tuple[str, ...]:
        return mask_to_levels(self.levels_mask)


class BankCell(Base):
    """How many active, ungrouped questions of one use one (level, area, type, difficulty) cell holds.

    Maintained by triggers on ``questions`` (migrations 0004, 0010), in the same transaction as the change,
    so a paper is allocated from ~200 counts instead of reading the whole bank. The row with
    ``level_bit`` 0 is not a count: its ``n`` is a random stamp that changes with every change to a
    question in an enemy group (see ``services.papers.grouped_questions``).
    """

    __tablename__ = "bank_cells"

    #: the level's bit in ``levels_mask`` (L4=1, L3=2, L2=4, L1=8)
    level_bit: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    difficulty: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: the questions' 用途 (``QuestionUse`` value): a paper adds the counts of the uses it may draw
    use: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)


class ImportStatus(enum.StrEnum):
    PENDING = "pending"
    IMPORTED = "imported"
    DISCARDED = "discarded"


class ImportUpload(Base):
    """A file a trainer uploaded, with what was read from it: kept until confirmed or discarded, so the
    dry run and the import use the same reading whichever app process serves the next request."""

    __tablename__ = "import_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    status: Mapped[ImportStatus] = mapped_column(str_enum(ImportStatus, "import_status"), default=ImportStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: the import's outcome (counts, keys added), shown on the upload's page afterwards
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: what was read from the file when it arrived (``question_bank.sources.read_to_json``), so the dry run
    #: never parses the file again; cleared once the upload is imported or discarded
    parsed: Mapped[dict[str, Any] | None] = mapped_column(deferred=True)
