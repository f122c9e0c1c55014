"""Cut a prepared dump into item segments.

Numbers with a type label (``3、单选``, ``1.【单选题】``) always start an item. A bare number (``2.``) starts one
only where the count expects it, so digits inside answers ("连续5天") do not split items, and never inside a
labelled free-text answer, whose own enumerations would otherwise look like items.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from question_bank.dumps.document import Document
from question_bank.dumps.layout import Break, heading_like
from question_bank.dumps.patterns import ANSWER_RE, BODY_LEAD_RE, LABEL_END_RE, TYPE_LABELS, iter_events
from question_bank.records import QuestionType

_TEXT_RE = re.compile(r"\S")
_GLUED_HEADING_MAX = 60
_PEEK_EVENTS = 200
_ENUMERATION_RE = re.compile(r"(?:^|\n)[ \t]*(\d{1,3})[ \t]*[、.．](?!\d)")
#: events that neither answer nor start anything: an explanation label, a decimal such as "2.5"
_TRANSPARENT = frozenset({"EXPL", "GLUED"})
_TRAILING_ASIDE_RE = re.compile(r"[ \t]*[(（][^()（）]*[)）][ \t]*$")


@dataclass(frozen=True)
class Segment:
    """One item's span: ``start`` at its number, ``body`` after number and label, ``end`` before the next item."""

    start: int
    body: int
    end: int
    number: int | None
    label: QuestionType | None
    section: QuestionType | None
    heading: str
    notes: tuple[str, ...] = ()
    #: where an explanation (解析) follows the answer: its label's start and its text's start
    explanation: tuple[int, int] | None = None


@dataclass
class _Open:
    start: int
    body: int
    number: int | None
    label: QuestionType | None
    section: QuestionType | None
    heading: str
    notes: tuple[str, ...]
    answer_at: int | None = None
    evidence_at: int | None = None
    explanation: tuple[int, int] | None = None


class Scanner:
    """One pass over the document's events; ``run`` returns the segments and the spans of unnumbered answered text."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.segments: list[Segment] = []
        self.strays: list[tuple[int, int]] = []
        self.cur: _Open | None = None
        self.expected: int | None = None
        self.section: QuestionType | None = None
        self.heading = ""
        self.free_from = 0
        self.skip_to = -1
        self.events = list(iter_events(doc.fold))
        self.index = 0

    def run(self) -> tuple[list[Segment], list[tuple[int, int]]]:
        """Segments in document order, and the spans of answered text that had no number."""
        starts = self.doc.line_starts
        breaks = sorted(self.doc.breaks, reverse=True)
        for index, m in enumerate(self.events):
            self.index = index
            while breaks and starts[breaks[-1] - 1] <= m.start():
                line = breaks.pop()
                self._break(line, self.doc.breaks[line])
            if m.start() >= self.skip_to:
                getattr(self, "_on_" + (m.lastgroup or "").lower())(m)
        while breaks:
            line = breaks.pop()
            self._break(line, self.doc.breaks[line])
        self._close(len(self.doc.src))
        self._check_free(len(self.doc.src))
        return self.segments, self.strays

    # events

    def _on_ans(self, m: re.Match[str]) -> None:
        if self.cur is not None:
            self.cur.answer_at = self.cur.answer_at or m.end()
            self.cur.evidence_at = m.end()

    def _on_expl(self, m: re.Match[str]) -> None:
        cur = self.cur
        if cur is not None and cur.evidence_at is not None and cur.explanation is None:
            cur.explanation = (m.start(), m.end())

    def _on_verdict(self, m: re.Match[str]) -> None:
        if self.cur is not None:
            self.cur.evidence_at = m.end()

    _on_pkey = _on_verdict

    def _on_sec(self, m: re.Match[str]) -> None:
        if not (self.doc.at_line_start(m.start()) or self.cur is None or self.cur.evidence_at is not None):
            return
        self._close(m.start())
        self._check_free(m.start())
        label = m.group("sec_label")
        pre = m.group("sec_pre").strip()
        self.section = TYPE_LABELS[label]
        self.heading = pre + label if pre else self.heading
        self.expected = None
        self.free_from = m.end()

    def _on_brk(self, m: re.Match[str]) -> None:
        number = m.group("bnum")
        if number:
            self._open(m, int(number), TYPE_LABELS[m.group("blabel")])
        # Unnumbered, "(单选)" is usually a hint inside a stem; "【单选题】" starts an item where a new one may.
        elif m.group()[0] not in "(（" and self._may_glue(m.start()):
            self._open(m, None, TYPE_LABELS[m.group("blabel")])

    def _on_plain(self, m: re.Match[str]) -> None:
        if m.group("psep") or self._may_glue(m.start()):
            self._open(m, int(m.group("pnum")), TYPE_LABELS[m.group("plabel")])

    def _on_titled(self, m: re.Match[str]) -> None:
        if self._may_glue(m.start()):
            label = m.group("tlabel")
            self._open(m, int(m.group("tnum")), TYPE_LABELS[label] if label else None)

    def _on_junk(self, m: re.Match[str]) -> None:
        cur = self.cur
        if self.doc.at_line_start(m.start()) or cur is None or cur.answer_at is not None:
            note = f"题号 '{self.doc.src[m.start('junk'):m.end('junk')]}' 识别为题号"
            self._open(m, None, TYPE_LABELS[m.group("jlabel")], (note,))

    def _on_weak(self, m: re.Match[str]) -> None:
        number = int(m.group("wnum"))
        if self._accept_number(m.start(), number):
            self._open(m, number, None)

    def _on_glued(self, m: re.Match[str]) -> None:
        """``3.5G手机…``: the next item after all when the count expects it at a line's start and it has an answer."""
        number, cur = int(m.group("gnum")), self.cur
        expected = number == self.expected or (self.expected is None and number == 1)
        if (expected and self.doc.at_line_start(m.start()) and (cur is None or self._answered(cur, m.start()))
                and self._carries_answer()):
            self._open(m, number, None)

    # decisions

    def _may_glue(self, pos: int) -> bool:
        """A label glued to text without a separator only starts an item after an answer or on a new line."""
        return self.doc.at_line_start(pos) or self.cur is None or self.cur.evidence_at is not None

    def _accept_number(self, pos: int, number: int) -> bool:
        """Whether a bare number (``2.``) at ``pos`` starts the next item rather than being text."""
        cur, expected = self.cur, self.expected
        at_start = self.doc.at_line_start(pos)
        if cur is None:
            return number == expected or (expected is None and (at_start or number == 1))
        if cur.label is not None and cur.label.is_manual:
            # A free-text answer's own enumerations never carry an answer; a numbered item after it does.
            return self._answered(cur, pos) and self._after_sentence(pos) and self._carries_answer()
        if cur.evidence_at is None:
            return at_start and (number == expected or (number == 1 and self._carries_answer()))
        if cur.label is not None and at_start:
            return True
        if number == expected:
            return not self._enumerates(cur, pos, number) or self._answer_follows(number)
        if number == 1 and self._after_sentence(pos) and self._answered(cur, pos) and self._carries_answer():
            return True
        return number == 1 and self._glued_heading(pos, number) is not None

    def _answered(self, cur: _Open, pos: int) -> bool:
        """The open item has its answer, and some text of it before ``pos``."""
        return cur.evidence_at is not None and self._may_end_before(cur, pos)

    def _after_sentence(self, pos: int) -> bool:
        """``pos`` starts a line, or follows the end of a sentence."""
        if self.doc.at_line_start(pos):
            return True
        before = self.doc.fold[self.doc.line_start(pos):pos].rstrip()
        return before[-1:] in ("。", "!", "?", ";", "！", "？", "；")

    def _carries_answer(self) -> bool:
        """Whether the numbered text starting at the current event has its own answer (a label, a verdict, a key in
        parentheses) before anything else starts: what sets an item apart from an enumeration inside an answer."""
        for m in self.events[self.index + 1:self.index + 1 + _PEEK_EVENTS]:
            kind = m.lastgroup
            if kind in ("ANS", "VERDICT", "PKEY"):
                return True
            if kind not in _TRANSPARENT:
                return False
        return False

    def _block_answered(self) -> bool:
        """Whether the block starting at the current event opens with a labelled item or a numbered one that has
        its own answer."""
        if self.index >= len(self.events):
            return False
        kind = self.events[self.index].lastgroup
        if kind in ("PLAIN", "BRK", "SEC", "TITLED", "JUNK"):
            return True
        return kind in ("WEAK", "GLUED") and self._carries_answer()

    def _enumerates(self, cur: _Open, pos: int, number: int) -> bool:
        """Whether an unlabelled item's answer so far reads "1.…", so that "2." may continue it."""
        if cur.label is not None or cur.answer_at is None:
            return False
        return any(int(n) == number - 1 for n in _ENUMERATION_RE.findall(self.doc.fold[cur.answer_at:pos]))

    def _answer_follows(self, number: int) -> bool:
        """A numbered line is a new item only if an answer comes before that number appears again."""
        for m in self.events[self.index + 1:self.index + 1 + _PEEK_EVENTS]:
            kind = m.lastgroup
            if kind in ("ANS", "VERDICT", "PKEY"):
                return True
            if kind in _TRANSPARENT:
                continue
            if kind != "WEAK" or int(m.group("wnum")) == number:
                return False
        return len(self.events) > self.index + 1 + _PEEK_EVENTS

    def _glued_heading(self, pos: int, number: int | None) -> int | None:
        """Where a block title glued before a block's first item starts (``…练习题(一)1、单选``), if there is one."""
        doc, cur = self.doc, self.cur
        line_start = doc.line_start(pos)
        if doc.at_line_start(pos) or pos - line_start > _GLUED_HEADING_MAX:
            return None
        if cur is not None and (number not in (1, None) or cur.evidence_at is None or cur.evidence_at > line_start):
            return None
        return line_start if heading_like(doc.fold[line_start:pos]) else None

    def _break(self, line: int, brk: Break) -> None:
        """A heading, title, table of contents or closing line ends the item before it and may start a new block.

        A heading that a block of items follows ends an unanswered item, unless the line is the answer to a label
        just before it (``答案:⏎正确``), and an answered one when that block's items have answers; the other breaks
        end only an item that has its answer."""
        doc, cur = self.doc, self.cur
        start = doc.line_starts[line - 1]
        if cur is not None:
            if not (self._may_end_before(cur, start) if brk.strong else self._answered(cur, start)):
                return
            # "处理步骤⏎1.倾听⏎2.核实" inside an answer: a heading ends an answered item only before answered items.
            if brk.strong and self._answered(cur, start) and not self._block_answered():
                return
        self._close(start)
        self._check_free(start)
        text = doc.line_text(line)
        if brk.heading is not None:
            self._new_heading(text[brk.heading[0]:brk.heading[1]].strip())
        self.expected = None
        self.skip_to = self.free_from = start + len(text)

    def _may_end_before(self, cur: _Open, pos: int) -> bool:
        """False only between an answer label and its answer (``答案:⏎正确``): that line is the answer."""
        return cur.answer_at is None or _TEXT_RE.search(self.doc.fold, cur.answer_at, pos) is not None

    # state changes

    def _open(self, m: re.Match[str], number: int | None, label: QuestionType | None,
              notes: tuple[str, ...] = ()) -> None:
        pos = m.start()
        glued = self._glued_heading(pos, number)
        cut = pos if glued is None else glued
        self._close(cut)
        self._check_free(cut)
        if glued is not None:
            self._new_heading(self.doc.src[glued:pos].strip())
        match = BODY_LEAD_RE.match(self.doc.fold, m.end())
        body = match.end() if match else m.end()
        self.cur = _Open(pos, body, number, label, self.section, self.heading, notes)
        self.expected = None if number is None else number + 1

    def _new_heading(self, text: str) -> None:
        self.heading = text
        found = LABEL_END_RE.search(_TRAILING_ASIDE_RE.sub("", text))
        self.section = TYPE_LABELS[found.group("label")] if found else None
        self.expected = None

    def _close(self, end: int) -> None:
        cur = self.cur
        if cur is not None:
            explanation = cur.explanation if cur.explanation is not None and cur.explanation[0] < end else None
            self.segments.append(Segment(cur.start, min(cur.body, end), end, cur.number, cur.label, cur.section,
                                         cur.heading, cur.notes, explanation))
            self.cur = None
            self.free_from = end

    def _check_free(self, upto: int) -> None:
        """Text outside any item that still carries an answer is reported, not silently dropped."""
        if self.cur is None and self.free_from < upto:
            if ANSWER_RE.search(self.doc.fold, self.free_from, upto):
                self.strays.append((self.free_from, upto))
            self.free_from = upto
