"""Marking schemes (评分要点) read from a reference answer's text.

Trainers write the points of an open question into its reference answer the way exam papers do:
``（1）迎接：主动问候（1分）（2）引导：规范手势（1分）…``, sometimes grouped under a heading that carries
the group's total (``（1）存在问题（4分）：①…（1分）；②…（1分）…``), sometimes with decimals
(``（1.5分）``) or a compound note (``（每条2分，答出两条即可，共4分）``). The bank stores no other
structure, so the scheme is read from that text; a text without such marks has no scheme and is
marked with one total.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

#: a parenthesised mark: "（2分）", "(1.5分)", "（共4分）", "（每条2分，答出两条即可，共4分）"
_PAREN = re.compile(r"[（(]([^（）()\n]{1,40}?)[)）]")
_NUMBER = r"([0-9０-９]+(?:[.．][0-9０-９]+)?)"
_PLAIN = re.compile(rf"^\s*(?:共|计|合计)?\s*{_NUMBER}\s*分\s*$")
_TOTAL = re.compile(rf"共\s*{_NUMBER}\s*分")
_COLON = re.compile(r"^\s*[:：]")
_LEAD = "；;。，,、:： \t\r\n"
_WIDE = str.maketrans("０１２３４５６７８９．", "0123456789.")
#: where a scheme written into an explanation starts
_SCHEME_HEADING = re.compile(r"(评分要点|评分标准|给分要点)\s*[:：]?")


@dataclass(frozen=True)
class SchemePoint:
    """One point a marker awards: what earns it and how many points it is worth."""

    text: str
    points: float
    #: the heading of the group it belongs to ("（1）存在问题"), or ""
    group: str = ""


@dataclass(frozen=True)
class MarkingScheme:
    points: tuple[SchemePoint, ...]
    #: text after the last point that belongs to none (a note to the marker)
    note: str = ""

    @property
    def total(self) -> float:
        return round(sum(p.points for p in self.points), 2)


def _value(body: str) -> float | None:
    m = _PLAIN.match(body) or _TOTAL.search(body)
    return float(m.group(1).translate(_WIDE)) if m else None


def parse_scheme(text: str) -> MarkingScheme | None:
    """The scoring points of ``text`` (two or more), or None when it carries no per-point marks."""
    marks = [(m, v) for m in _PAREN.finditer(text or "") if (v := _value(m.group(1))) is not None and v > 0]
    if len(marks) < 2:
        return None
    segments, start = [], 0
    for m, value in marks:
        segments.append((text[start:m.start()].strip(_LEAD), value, m.end()))
        start = m.end()
    # a mark followed by a colon whose following marks add up to it exactly heads a group
    points: list[SchemePoint] = []
    i = 0
    while i < len(segments):
        label, value, end = segments[i]
        if _COLON.match(text[end:]):
            total, j = 0.0, i + 1
            while j < len(segments) and total < value - 1e-9:
                total += segments[j][1]
                j += 1
            if j > i + 1 and abs(total - value) < 1e-9:
                points += [SchemePoint(segments[k][0] or f"要点 {len(points) + k - i}", segments[k][1], label)
                           for k in range(i + 1, j)]
                i = j
                continue
        points.append(SchemePoint(label or f"要点 {len(points) + 1}", value))
        i += 1
    tail = text[marks[-1][0].end():]
    note = ""
    if _COLON.match(tail):
        last = points[-1]
        points[-1] = SchemePoint(f"{last.text}{tail.rstrip()}", last.points, last.group)
    else:
        note = tail.strip(_LEAD)
    return MarkingScheme(tuple(points), note)


def scheme_of(answer: str, explanation: str = "") -> MarkingScheme | None:
    """The scheme in a reference answer, else in the explanation's 评分要点 part, else None."""
    found = parse_scheme(answer if isinstance(answer, str) else "")
    if found is None and explanation and (heading := _SCHEME_HEADING.search(explanation)):
        found = parse_scheme(explanation[heading.end():])
    return found
