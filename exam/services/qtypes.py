"""One class per question type: how a response is parsed, shown and graded. A registry, not a chain.

Responses are stored canonically in the version's own option letters; the page sees display
letters (options are shuffled per paper), so every choice response is mapped through the
paper item's ``option_order`` on the way in and out.
"""
from __future__ import annotations

from typing import Any, ClassVar

from question_bank import QuestionType
from question_bank.normalize import fold_answer
from question_bank.records import BLANK_RE, OPTION_LETTERS


class ResponseError(ValueError):
    """A response that does not fit the question (the message is for the trainee)."""


class QType:
    type: ClassVar[QuestionType]
    #: template partial that renders the input controls
    partial: ClassVar[str]

    def parse(self, raw: Any, option_order: list[int]) -> Any:
        """Client value (display letters) → canonical response, or None for 'no answer'."""
        raise NotImplementedError

    def display(self, response: Any, option_order: list[int]) -> Any:
        """Canonical response → client value (display letters)."""
        return response

    def grade(self, response: Any, answer: Any, points: int, *, partial_credit: bool = False) -> float | None:
        """Points earned; None means a trainer must mark it."""
        raise NotImplementedError

    def client_view(self, stem: str, options: list[str], option_order: list[int]) -> dict[str, Any]:
        """What the trainee's page needs to show the item: never the key or the explanation."""
        return {"stem": stem}

    def key_text(self, answer: Any, options: list[str]) -> str:
        return str(answer)


def _display_to_canonical(letter: str, option_order: list[int]) -> str:
    """One display letter (exactly one character: "BCD" is not B) → the version's own letter."""
    i = OPTION_LETTERS.find(letter) if len(letter) == 1 else -1
    if i < 0 or i >= len(option_order):
        raise ResponseError(f"选项 {letter[:8]!r} 不存在")
    return OPTION_LETTERS[option_order[i]]


def _canonical_to_display(letter: str, option_order: list[int]) -> str:
    return OPTION_LETTERS[option_order.index(OPTION_LETTERS.index(letter))]


class TrueFalse(QType):
    type = QuestionType.TRUE_FALSE
    partial = "true_false"

    def parse(self, raw: Any, option_order: list[int]) -> Any:
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool):
            return raw
        if raw in ("true", "false"):
            return raw == "true"
        raise ResponseError("判断题只能选 对 或 错")

    def grade(self, response: Any, answer: Any, points: int, *, partial_credit: bool = False) -> float:
        return float(points) if response is not None and response == answer else 0.0

    def key_text(self, answer: Any, options: list[str]) -> str:
        return "对" if answer else "错"


class Single(QType):
    type = QuestionType.SINGLE
    partial = "single"

    def parse(self, raw: Any, option_order: list[int]) -> Any:
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            raise ResponseError("单选题只能选一个选项")
        return _display_to_canonical(raw, option_order)

    def display(self, response: Any, option_order: list[int]) -> Any:
        return None if response is None else _canonical_to_display(response, option_order)

    def grade(self, response: Any, answer: Any, points: int, *, partial_credit: bool = False) -> float:
        return float(points) if response is not None and [response] == list(answer) else 0.0

    def client_view(self, stem: str, options: list[str], option_order: list[int]) -> dict[str, Any]:
        return {"stem": stem, "options": [options[i] for i in option_order]}

    def key_text(self, answer: Any, options: list[str]) -> str:
        return "".join(answer)


class Multiple(Single):
    type = QuestionType.MULTIPLE
    partial = "multiple"

    def parse(self, raw: Any, option_order: list[int]) -> Any:
        if raw is None or raw == [] or raw == "":
            return None
        if not isinstance(raw, list) or len(raw) > len(OPTION_LETTERS) or not all(isinstance(x, str) for x in raw):
            raise ResponseError("多选题的作答应为选项列表")
        return sorted({_display_to_canonical(x, option_order) for x in raw})

    def display(self, response: Any, option_order: list[int]) -> Any:
        return [] if response is None else sorted(_canonical_to_display(x, option_order) for x in response)

    def grade(self, response: Any, answer: Any, points: int, *, partial_credit: bool = False) -> float:
        if not response:
            return 0.0
        chosen, key = set(response), set(answer)
        if chosen == key:
            return float(points)
        if partial_credit and chosen < key:
            return points / 2
        return 0.0


#: full/half width folded (NFKC), case folded, spaces and punctuation removed (shared with the bank linter)
normalize_blank = fold_answer


class FillBlank(QType):
    type = QuestionType.FILL_BLANK
    partial = "fill_blank"

    def parse(self, raw: Any, option_order: list[int]) -> Any:
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            raise ResponseError("填空题的作答应为每空一个字符串")
        if len(raw) > 20 or any(len(x) > 500 for x in raw):
            raise ResponseError("填空内容过长")
        if any("\x00" in x for x in raw):
            raise ResponseError("作答中含有不允许的控制字符")
        return None if not any(x.strip() for x in raw) else [x.strip() for x in raw]

    def grade(self, response: Any, answer: Any, points: int, *, partial_credit: bool = False) -> float:
        """Each blank scores points/blanks when it matches any accepted alternative."""
        if not response:
            return 0.0
        blanks = len(answer)
        right = 0
        for i, accepted in enumerate(answer):
            given = normalize_blank(response[i]) if i < len(response) else ""
            if given and given in {normalize_blank(a) for a in accepted}:
                right += 1
        return round(points * right / blanks, 2)

    def client_view(self, stem: str, options: list[str], option_order: list[int]) -> dict[str, Any]:
        return {"stem_parts": BLANK_RE.split(stem)}

    def key_text(self, answer: Any, options: list[str]) -> str:
        return "; ".join(" / ".join(alts) for alts in answer)


class FreeText(QType):
    type = QuestionType.SHORT_ANSWER
    partial = "free_text"

    def parse(self, raw: Any, option_order: list[int]) -> Any:
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise ResponseError("作答应为文字")
        if len(raw) > 20000:
            raise ResponseError("作答超过 20000 字")
        if "\x00" in raw:
            raise ResponseError("作答中含有不允许的控制字符")
        return raw if raw.strip() else None

    def grade(self, response: Any, answer: Any, points: int, *, partial_credit: bool = False) -> float | None:
        return 0.0 if not response else None  # a blank answer needs no trainer


class CaseStudy(FreeText):
    type = QuestionType.CASE_STUDY


REGISTRY: dict[QuestionType, QType] = {cls.type: cls() for cls in (TrueFalse, Single, Multiple, FillBlank, FreeText, CaseStudy)}


def qtype(t: QuestionType) -> QType:
    return REGISTRY[t]
