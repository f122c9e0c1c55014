"""Question record types shared by every reader, writer and the database sync."""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

AREA_CODES: tuple[str, ...] = (
    "B11", "B12", "B21", "B22", "B23", "B30",
    "W01", "W02", "W03", "W04", "W05", "W06", "W07",
)
LEVEL_CODES: tuple[str, ...] = ("L4", "L3", "L2", "L1")
OPTION_LETTERS = "ABCDEFGH"

#: longest enemy-group (互斥组) name, as the database column holds it
ENEMY_GROUP_MAX = 40

#: A blank in a fill-in stem is a run of three or more underscores.
BLANK_RE = re.compile(r"_{3,}")


class BankError(ValueError):
    """A record or file that breaks the bank format; the message says what and where."""


class QuestionType(enum.StrEnum):
    TRUE_FALSE = "true_false"
    SINGLE = "single"
    MULTIPLE = "multiple"
    FILL_BLANK = "fill_blank"
    SHORT_ANSWER = "short_answer"
    CASE_STUDY = "case_study"

    @property
    def label(self) -> str:
        return _TYPE_LABELS[self]

    @property
    def is_choice(self) -> bool:
        return self in (QuestionType.SINGLE, QuestionType.MULTIPLE)

    @property
    def is_manual(self) -> bool:
        """Marked by a trainer, not by the machine."""
        return self in (QuestionType.SHORT_ANSWER, QuestionType.CASE_STUDY)


_TYPE_LABELS = {
    QuestionType.TRUE_FALSE: "判断题",
    QuestionType.SINGLE: "单选题",
    QuestionType.MULTIPLE: "多选题",
    QuestionType.FILL_BLANK: "填空题",
    QuestionType.SHORT_ANSWER: "简答题",
    QuestionType.CASE_STUDY: "案例分析题",
}


class Difficulty(enum.StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"

    @property
    def label(self) -> str:
        return {"easy": "易", "medium": "中", "hard": "难"}[self.value]


class QuestionUse(enum.StrEnum):
    """Where a question may be drawn (用途): practice only, certification only, or both."""

    PRACTICE = "practice"
    EXAM = "exam"
    BOTH = "both"

    @property
    def label(self) -> str:
        return {"practice": "练习", "exam": "考试", "both": "两者"}[self.value]

    @classmethod
    def parse(cls, text: str) -> QuestionUse | None:
        """练习 / 考试 / 两者 or practice / exam / both (and a few forms trainers type); None if unknown."""
        return _USE_WORDS.get(re.sub(r"\s+", "", text).lower())

    def serves(self, purpose: QuestionUse) -> bool:
        """May a question of this use go on a paper drawn for ``purpose`` (PRACTICE or EXAM)?"""
        return self is purpose or self is QuestionUse.BOTH

    @classmethod
    def serving(cls, purpose: QuestionUse) -> tuple[QuestionUse, ...]:
        """The uses a paper drawn for ``purpose`` may take: mocks and practice 练习 + 两者, certification 考试 + 两者."""
        return tuple(u for u in cls if u.serves(purpose))


_USE_WORDS: dict[str, QuestionUse] = {
    **{u.label: u for u in QuestionUse},
    **{u.value: u for u in QuestionUse},
    "仅练习": QuestionUse.PRACTICE, "练习用": QuestionUse.PRACTICE,
    "仅考试": QuestionUse.EXAM, "考试用": QuestionUse.EXAM, "正式考试": QuestionUse.EXAM,
    "练习和考试": QuestionUse.BOTH, "练习与考试": QuestionUse.BOTH, "通用": QuestionUse.BOTH,
}
USE_HINT = "可填: 练习、考试、两者 (或 practice、exam、both); 留空表示两者"


def count_blanks(stem: str) -> int:
    return len(BLANK_RE.findall(stem))


@dataclass(frozen=True)
class QuestionRecord:
    """One question as the bank format carries it.

    ``answer`` by type: true_false → bool; single → ("B",); multiple → ("A", "C");
    fill_blank → one tuple of accepted alternatives per blank; short_answer and
    case_study → the reference answer text (marking guidance for trainers).

    ``use`` (用途) None means the file did not say: a new question is then 两者 (both), and a
    question the bank already has keeps its use.

    ``enemy_group`` (互斥组): questions that give each other away share one name, and a paper holds at
    most one of them. It belongs to the question, not to a version, so it takes no part in comparing
    records (an edit of the group alone is no new version). None means the file did not say.
    """

    key: str
    type: QuestionType
    area: str
    difficulty: Difficulty
    stem: str
    answer: Any
    options: tuple[str, ...] = ()
    levels: tuple[str, ...] = LEVEL_CODES
    explanation: str = ""
    tags: tuple[str, ...] = field(default=())
    use: QuestionUse | None = None
    enemy_group: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise BankError(f"题目 {self.key or '(无编号)'}: " + "; ".join(problems))

    def problems(self) -> list[str]:
        """Every way this record breaks the format, in the trainer's words."""
        out: list[str] = []
        if not self.key:
            out.append("缺少编号 key")
        if self.area not in AREA_CODES:
            out.append(f"知识领域 {self.area!r} 不存在")
        if not self.stem.strip():
            out.append("题干为空")
        if self.use is not None and not isinstance(self.use, QuestionUse):
            out.append(f"用途 {self.use!r} 无效 ({USE_HINT})")
        if self.enemy_group is not None and len(self.enemy_group.strip()) > ENEMY_GROUP_MAX:
            out.append(f"互斥组名称最长 {ENEMY_GROUP_MAX} 个字, 读到 {len(self.enemy_group.strip())} 个")
        bad_levels = [lv for lv in self.levels if lv not in LEVEL_CODES]
        if bad_levels or not self.levels:
            out.append(f"适用等级无效: {list(self.levels)!r}")
        t, a = self.type, self.answer
        if t.is_choice:
            if not 2 <= len(self.options) <= len(OPTION_LETTERS):
                out.append(f"选项数应为 2–8 个, 读到 {len(self.options)} 个")
            if any(not o.strip() for o in self.options):
                out.append("有空选项")
            letters = OPTION_LETTERS[: len(self.options)]
            if not isinstance(a, tuple) or any(x not in letters for x in a) or len(set(a)) != len(a):
                out.append(f"答案 {a!r} 不是 {letters} 中不重复的字母")
            elif t is QuestionType.SINGLE and len(a) != 1:
                out.append(f"单选题只能有一个答案, 读到 {''.join(a)!r}")
            elif t is QuestionType.MULTIPLE and len(a) < 2:
                out.append(f"多选题至少两个答案, 读到 {''.join(a)!r}")
        elif self.options:
            out.append(f"{t.label}不应有选项")
        if t is QuestionType.TRUE_FALSE and not isinstance(a, bool):
            out.append("判断题答案应为 true 或 false")
        if t is QuestionType.FILL_BLANK:
            blanks = count_blanks(self.stem)
            if blanks == 0:
                out.append("填空题题干中没有空 (用 ____ 表示)")
            if not isinstance(a, tuple) or any(not isinstance(b, tuple) or not b or not all(s.strip() for s in b) for b in a):
                out.append("填空题答案应为每空一组可接受的答案")
            elif len(a) != blanks:
                out.append(f"题干有 {blanks} 个空, 答案有 {len(a)} 组")
        if t.is_manual and (not isinstance(a, str) or not a.strip()):
            out.append("主观题需要参考答案")
        return out


@dataclass(frozen=True)
class Entry:
    """One question as a reader found it in a file (Excel row, JSON record, text or Word item), before the
    trainer's choices are applied; ``answer`` has the shape of ``QuestionRecord.answer``.

    ``lines`` are where it was found (1-based, inclusive): source lines for text and Word, the row for
    Excel, the position for JSON. Text items carry ``notes`` (what the reader was unsure of) and the
    ``heading`` of their block; files that give area, difficulty, levels or use fill those fields.
    """

    type: QuestionType
    stem: str
    options: tuple[str, ...]
    answer: Any
    lines: tuple[int, int]
    notes: tuple[str, ...] = ()
    heading: str = ""
    #: a key the file carries (xlsx 编号, JSON key); None for a new question
    key: str | None = None
    area: str | None = None
    difficulty: Difficulty | None = None
    levels: tuple[str, ...] | None = None
    explanation: str = ""
    tags: tuple[str, ...] = ()
    #: 用途 as the file gives it; None when it does not (a new question is then 两者)
    use: QuestionUse | None = None
    #: 互斥组 as the file gives it (JSON only); None when it does not
    enemy_group: str | None = None

    @classmethod
    def from_record(cls, record: QuestionRecord, lines: tuple[int, int]) -> Entry:
        key = None if record.key.startswith("~") else record.key
        return cls(type=record.type, stem=record.stem, options=record.options, answer=record.answer, lines=lines,
                   key=key, area=record.area, difficulty=record.difficulty, levels=record.levels,
                   explanation=record.explanation, tags=record.tags, use=record.use, enemy_group=record.enemy_group)

    def to_record(self, *, key: str | None = None, area: str | None = None, difficulty: Difficulty | None = None,
                  levels: tuple[str, ...] | None = None) -> QuestionRecord:
        """The bank record; arguments fill what the file left out. Raises ``BankError`` if the result is invalid."""
        return QuestionRecord(key=key or self.key or "", type=self.type, area=area or self.area or "",
                              difficulty=difficulty or self.difficulty or Difficulty.MEDIUM, stem=self.stem,
                              answer=self.answer, options=self.options, levels=levels or self.levels or LEVEL_CODES,
                              explanation=self.explanation, tags=self.tags, use=self.use, enemy_group=self.enemy_group)
