"""Numbers written with digits or in Chinese (48 ↔ 四十八, 2年 ↔ 两年): the forms a fill-in answer may be typed in."""
from __future__ import annotations

import re

from question_bank.lint.words import UNITS

_DIGITS = "零一二三四五六七八九"
_VALUES = {c: i for i, c in enumerate(_DIGITS)} | {"两": 2, "〇": 0}
_POWERS = {"十": 10, "百": 100, "千": 1000}
_UNIT_RE = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
#: a quantity answer written with digits: 第3, 48, 5个月, 50%
DIGIT_ANSWER_RE = re.compile(rf"(第?)(\d{{1,5}})({_UNIT_RE})?")
#: the same written in Chinese: 第三, 四十八, 五个月, 百分之五十
CHINESE_ANSWER_RE = re.compile(rf"(第|百分之)?([零〇一二三四五六七八九十百千万两]{{1,9}})({_UNIT_RE})?")


def to_chinese(n: int) -> str:
    """0 ≤ n < 100000 in Chinese numerals: 10 → 十, 48 → 四十八, 105 → 一百零五."""
    if n == 0:
        return "零"
    if not 0 < n < 100000:
        raise ValueError(n)
    parts: list[str] = []
    zero = False
    for value, name in ((10000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, value)
        if d:
            if zero:
                parts.append("零")
            parts.append(_DIGITS[d] + name)
            zero = False
        elif parts:
            zero = True
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text


def from_chinese(text: str) -> int | None:
    """四十八 → 48, 十 → 10, 两 → 2, 一〇五 → 105 (digit by digit); None if ``text`` is no number."""
    if not text:
        return None
    if all(c in _VALUES for c in text):
        return int("".join(str(_VALUES[c]) for c in text)) if len(text) > 1 else _VALUES[text]
    total = section = 0
    digit: int | None = None
    for c in text:
        if c in _VALUES:
            digit = _VALUES[c]
        elif c in _POWERS:
            section += (1 if digit is None else digit) * _POWERS[c]
            digit = None
        elif c == "万":
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def spoken_forms(answer: str) -> list[str]:
    """The Chinese forms of a digit answer (5个月 → 五个月; 2年 → 二年, 两年; 50% → 百分之五十), else []."""
    m = DIGIT_ANSWER_RE.fullmatch(answer)
    if not m:
        return []
    prefix, number, unit = m.group(1), int(m.group(2)), m.group(3) or ""
    if number >= 100000:
        return []
    if unit == "%":
        return [f"{prefix}百分之{to_chinese(number)}"]
    forms = [prefix + to_chinese(number) + unit]
    if number == 2 and unit and not prefix:
        forms.append("两" + unit)
    return forms


def digit_form(answer: str) -> str | None:
    """The digit form of a Chinese-numeral answer (五个月 → 5个月, 百分之五十 → 50%), else None."""
    m = CHINESE_ANSWER_RE.fullmatch(answer)
    if not m:
        return None
    number = from_chinese(m.group(2))
    if number is None:
        return None
    prefix, unit = m.group(1) or "", m.group(3) or ""
    if prefix == "百分之":
        return f"{number}%"
    return f"{prefix}{number}{unit}"
