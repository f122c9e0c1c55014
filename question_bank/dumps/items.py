"""Read one segment into an Entry, or a Skipped with the reason a trainer can act on."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from question_bank.dumps.document import LOOKALIKES, Document
from question_bank.dumps.model import Skipped
from question_bank.dumps.patterns import (
    ANSWER_RE,
    BLANK_RE,
    CLEAN_MARKER,
    DAMAGED_MARKER,
    ENUM_START_RE,
    KEY_RE,
    OCR_BLANK_RE,
    OPTION_LETTERS,
    PAREN_KEY_RE,
    TF_ANSWER_RE,
    TF_VALUES,
    VERDICT_RE,
)
from question_bank.dumps.scanner import Segment
from question_bank.records import BankError, Entry, count_blanks
from question_bank.records import QuestionType as T

EXCERPT_CHARS = 40
_JUNK_CHARS = " \t\n.。,，;；:：、"
_CHOICE_BLANK, _FILL_BLANK = "( )", "____"
_SPACES = " \t\n\r\u3000\xa0"
_LEAD_CHARS = _SPACES + "、.．,，:：;；"
_TAIL_CHARS = _SPACES + ",，、;；:："
_RESTART_RE = re.compile(r"\n[ \t]*1[ \t]*[、.．](?!\d)")
_SPLIT_LABEL_RE = re.compile(r"(?:正确|标准|参考)[ \t]*\n[ \t]*\Z")
#: A blank holding its answer: ``( 毁损 )``, ``（__本人__）``; the padding tells it from an aside such as ``(含)``.
_FILLED_BLANK_RE = re.compile(r"[(（][ \t\u3000_]+(?P<fill>[^()（）\s_][^()（）\n]{0,29}?)[ \t\u3000_]+[)）]")


class _Reject(Exception):
    """The segment cannot become a valid item; the message is the reason shown to the trainer."""


@dataclass
class _Options:
    first: int
    texts: list[str]
    end: int
    notes: list[str]


@dataclass
class _Draft:
    type: T
    stem: str
    options: tuple[str, ...]
    answer: Any
    end: int


def build_item(doc: Document, seg: Segment) -> Entry | Skipped:
    """Read one segment; anything that would not make a valid record comes back as Skipped with the reason."""
    reader = _Reader(doc, seg)
    try:
        draft = reader.read()
        explanation, end = "", draft.end
        if seg.explanation is not None:
            explanation = join_lines(doc.src[seg.explanation[1]:seg.end], keep_enumerations=True).lstrip(_JUNK_CHARS)
            end = max(end, _last(doc.src, seg.explanation[1], seg.end))
        item = Entry(draft.type, draft.stem, draft.options, draft.answer,
                     (doc.line_of(seg.start), doc.line_of(max(end - 1, seg.start))),
                     tuple(dict.fromkeys(reader.notes)), seg.heading, explanation=explanation)
        _validate(item)
    except _Reject as rejected:
        return skipped(doc, seg.start, seg.end, str(rejected))
    return item


def skipped(doc: Document, start: int, end: int, reason: str) -> Skipped:
    """A Skipped covering the text between ``start`` and ``end``."""
    last = _last(doc.src, start, end)
    return Skipped((doc.line_of(start), doc.line_of(max(last - 1, start))), reason,
                   join_lines(doc.src[start:end])[:EXCERPT_CHARS])


def join_lines(text: str, *, keep_enumerations: bool = False) -> str:
    """Undo OCR wrapping: no space between CJK pieces, one between Latin words; optionally keep ``(1)`` lines."""
    out: list[str] = []
    for piece in (p.strip() for p in text.split("\n")):
        if not piece:
            continue
        if out and keep_enumerations and ENUM_START_RE.match(piece):
            out.append("\n")
        elif out and _latin(out[-1][-1]) and _latin(piece[0]):
            out.append(" ")
        out.append(piece)
    return "".join(out)


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _last(text: str, start: int, end: int) -> int:
    return start + len(text[start:end].rstrip())


def _validate(item: Entry) -> None:
    try:
        item.to_record(key="~1", area="W05")
    except BankError as e:
        raise _Reject(str(e).split(": ", 1)[-1] + ", 已跳过") from None


class _Reader:
    def __init__(self, doc: Document, seg: Segment) -> None:
        self.doc, self.src, self.fold, self.seg = doc, doc.src, doc.fold, seg
        self.declared = seg.label or seg.section
        self.notes = list(seg.notes)
        #: where the question and its answer end: an explanation (解析) is read separately
        self.end = seg.end if seg.explanation is None else seg.explanation[0]

    def read(self) -> _Draft:
        seg = self.seg
        found = ANSWER_RE.search(self.fold, seg.body, self.end)
        body_end = found.start() if found else self.end
        if (found is not None and found.group().startswith("答案")
                and (split := _SPLIT_LABEL_RE.search(self.fold, seg.body, body_end)) is not None):
            body_end = split.start()  # "…光纤到交接箱正确⏎答案:B": the label was broken over two lines
        options = self._options(seg.body, body_end) if self.declared is None or self.declared.is_choice else None
        if found is None:
            return self._answer_in_stem(options)
        if not self.src[found.end():self.end].strip():
            raise _Reject("答案为空 (可能被截断), 已跳过")
        return self._labelled(body_end, found.end(), options)

    # where the answer is

    def _labelled(self, body_end: int, a0: int, options: _Options | None) -> _Draft:
        a1, body = self.end, self.seg.body
        kind = self.declared or self._infer(a0, options)
        if kind.is_choice:
            if options is None:
                raise _Reject(f"{kind.label}没有找到选项, 已跳过")
            letters, end = self._key(a0, a1)
            return self._choice(kind, self.src[body:options.first], options, letters, end)
        if kind is T.TRUE_FALSE:
            value, end = self._verdict(a0, a1)
            return _Draft(kind, self._true_false_stem(self.src[body:body_end]), (), value, end)
        if kind is T.FILL_BLANK:
            return self._fill(body_end, a0, a1)
        stem = self._stem(self.src[body:body_end], _CHOICE_BLANK)
        answer = join_lines(self.src[a0:a1], keep_enumerations=True)
        self._another_answer(a0, a1)
        return _Draft(kind, stem, (), answer, _last(self.src, a0, a1))

    def _another_answer(self, a0: int, a1: int) -> None:
        """A free-text answer holding another answer label or verdict, or a list restarting at 1 that nothing
        announced, may have swallowed items: say where."""
        found = ANSWER_RE.search(self.fold, a0, a1) or VERDICT_RE.search(self.fold, a0, a1)
        if found is not None:
            self.notes.append(f"答案中第 {self.doc.line_of(found.start())} 行还有 '{found.group().strip()}', "
                              "可能混入了另一题, 请核对")
            return
        restart = _RESTART_RE.search(self.fold, a0, a1)
        if restart is not None:
            before = self.fold[a0:restart.start()].strip()
            if before and before[-1] not in ":：" and not ENUM_START_RE.match(before):
                self.notes.append(f"答案中第 {self.doc.line_of(restart.end())} 行起重新编号 '1.', "
                                  "可能是答案之后的另一组题目, 请核对")

    def _answer_in_stem(self, options: _Options | None) -> _Draft:
        """S9 ``关注( B )客户`` and S6 ``….(√)``: no answer label, the answer sits in the stem."""
        seg, kind = self.seg, self.declared
        if kind is T.FILL_BLANK:
            return self._fill_in_stem()
        if options is not None and (kind is None or kind.is_choice):
            key = PAREN_KEY_RE.search(self.fold, seg.body, options.first)
            if key is not None:
                letters = tuple(c for c in key.group("pkey") if c.isalpha())
                kind = kind or (T.SINGLE if len(letters) == 1 else T.MULTIPLE)
                stem = self.src[seg.body:key.start()] + "()" + self.src[key.end():options.first]
                return self._choice(kind, stem, options, letters, options.end)
        if kind is None or kind is T.TRUE_FALSE:
            verdicts = list(VERDICT_RE.finditer(self.fold, seg.body, self.end))
            if verdicts:
                verdict = verdicts[-1]
                if verdict.group("verdict") in "Xx":
                    self.notes.append(f"判断标记 '{verdict.group('verdict')}' 按 × 读取")
                self._trailing(verdict.end(), self.end, verdict.group())
                stem = self._true_false_stem(self.src[seg.body:verdict.start()], verdict_in_stem=True)
                return _Draft(T.TRUE_FALSE, stem, (), TF_VALUES[verdict.group("verdict")], verdict.end())
        raise _Reject("没有答案 (可能被截断), 已跳过")

    def _infer(self, a0: int, options: _Options | None) -> T:
        """No type label: options and a letter key make a choice, a bare 对/错 a true/false, anything else a short answer."""
        a1 = self.end
        key = KEY_RE.match(self.fold, a0, a1)
        if options is not None and key is not None and not _latin(self.fold[key.end():key.end() + 1] or "。"):
            return T.SINGLE if len({c for c in key.group(1).upper() if c.isalpha()}) == 1 else T.MULTIPLE
        verdict = TF_ANSWER_RE.match(self.fold, a0, a1)
        if verdict is not None and not self.src[verdict.end():a1].strip(_JUNK_CHARS):
            return T.TRUE_FALSE
        return T.SHORT_ANSWER

    # by type

    def _choice(self, kind: T, stem: str, options: _Options, letters: tuple[str, ...], end: int) -> _Draft:
        shown = "".join(letters)
        allowed = OPTION_LETTERS[:len(options.texts)]
        beyond = "".join(c for c in letters if c not in allowed)
        if beyond:
            raise _Reject(f"答案 {beyond} 超出选项范围 A–{allowed[-1]}, 已跳过")
        if len(set(letters)) != len(letters):
            raise _Reject(f"答案 '{shown}' 有重复的字母, 已跳过")
        if kind is T.SINGLE and len(letters) != 1:
            raise _Reject(f"单选题只能有一个答案, 读到 '{shown}', 已跳过")
        if kind is T.MULTIPLE and len(letters) < 2:
            raise _Reject(f"多选题至少两个答案, 读到 '{shown}', 已跳过")
        self.notes += options.notes
        return _Draft(kind, self._stem(stem, _CHOICE_BLANK), tuple(options.texts), tuple(sorted(letters)), end)

    def _fill_in_stem(self) -> _Draft:
        """S9 for fill-ins: the answers written into the blanks, ``不（ 毁损 ）``; spaces inside mark a blank."""
        text = self.src[self.seg.body:self.end]
        answers = [join_lines(m.group("fill")) for m in _FILLED_BLANK_RE.finditer(text)]
        if not answers:
            raise _Reject("没有答案 (可能被截断), 已跳过")
        stem = self._stem(_FILLED_BLANK_RE.sub("()", text), _FILL_BLANK)
        if count_blanks(stem) != len(answers):
            raise _Reject(f"题干有 {count_blanks(stem)} 个空, 括号中的答案有 {len(answers)} 个, 已跳过")
        return _Draft(T.FILL_BLANK, stem, (), tuple((a,) for a in answers), _last(self.src, self.seg.body, self.end))

    def _fill(self, body_end: int, a0: int, a1: int) -> _Draft:
        stem = self._stem(self.src[self.seg.body:body_end], _FILL_BLANK)
        blanks = count_blanks(stem)
        if not blanks:
            raise _Reject("填空题题干中没有空 (括号或下划线), 已跳过")
        a0, a1 = self._fill_answer_span(a0, a1, blanks)
        parts, note = _fill_parts(self.src[a0:a1], blanks)
        if any(not p for p in parts):
            raise _Reject("填空题答案中有空项, 已跳过")
        if len(parts) != blanks:
            raise _Reject(f"题干有 {blanks} 个空, 答案有 {len(parts)} 组, 已跳过")
        self.notes += [note] if note else []
        return _Draft(T.FILL_BLANK, stem, (), tuple((p,) for p in parts), _last(self.src, a0, a1))

    def _fill_answer_span(self, a0: int, a1: int, blanks: int) -> tuple[int, int]:
        """Fill-in answers are short: prose on the lines after a complete answer is not part of it."""
        start = a0 + len(self.src[a0:a1]) - len(self.src[a0:a1].lstrip())
        newline = self.src.find("\n", start, a1)
        if newline < 0 or self.src[start:newline].rstrip().endswith((";", "；")):
            return a0, a1
        parts, _note = _fill_parts(self.src[start:newline], blanks)
        if len(parts) != blanks:
            return a0, a1
        self._trailing(newline, a1, self.src[start:newline])
        return start, newline

    # pieces

    def _options(self, start: int, end: int) -> _Options | None:
        """Markers A, B, C… in order; a damaged marker (``D>``, ``c、``) is taken only before a clean one."""
        found: list[tuple[re.Match[str], bool]] = []
        pos = start
        for letter in OPTION_LETTERS:
            clean = CLEAN_MARKER[letter].search(self.fold, pos, end)
            damaged = DAMAGED_MARKER[letter].search(self.fold, pos, clean.start() if clean else end)
            marker = damaged or clean
            if marker is None:
                break
            found.append((marker, marker is damaged))
            pos = marker.end()
        if len(found) < 2:
            return None
        texts, notes = [], []
        for i, (marker, damaged) in enumerate(found):
            stop = found[i + 1][0].start() if i + 1 < len(found) else end
            texts.append(join_lines(self.src[marker.end():stop]).rstrip(";； \t"))
            if damaged:
                notes.append(f"选项标记 '{self.src[marker.start():marker.end()]}' 按 {OPTION_LETTERS[i]} 读取")
        return _Options(found[0][0].start(), texts, _last(self.src, found[-1][0].end(), end), notes)

    def _key(self, a0: int, a1: int) -> tuple[tuple[str, ...], int]:
        key = KEY_RE.match(self.fold, a0, a1)
        if key is None:
            raise _Reject(f"答案 '{join_lines(self.src[a0:a1])[:20]}' 不是选项字母, 已跳过")
        for ch in self.src[key.start(1):key.end(1)]:
            if ch in LOOKALIKES:
                self.notes.append(f"答案中的 '{ch}' 按 {LOOKALIKES[ch].upper()} 读取")
        self._trailing(key.end(), a1, key.group(1))
        return tuple(c.upper() for c in key.group(1) if c.isalpha()), key.end()

    def _verdict(self, a0: int, a1: int) -> tuple[bool, int]:
        verdict = TF_ANSWER_RE.match(self.fold, a0, a1)
        if verdict is None:
            raise _Reject(f"判断题答案 '{join_lines(self.src[a0:a1])[:20]}' 不是 对/错, 已跳过")
        self._trailing(verdict.end(), a1, verdict.group(1))
        return TF_VALUES[verdict.group(1)], verdict.end()

    def _trailing(self, start: int, end: int, answer: str) -> None:
        rest = join_lines(self.src[start:end]).strip(_JUNK_CHARS)
        if rest:
            shown = rest if len(rest) <= 20 else rest[:20] + "…"
            self.notes.append(f"答案 '{answer.strip()}' 后面的文字 '{shown}' 未读入")

    def _stem(self, text: str, blank: str) -> str:
        def ocr_blank(m: re.Match[str]) -> str:
            self.notes.append(f"题干中的 '{m.group()}' 按空白括号读取")
            return blank + ("。" if m.group("dot") else "")

        s = OCR_BLANK_RE.sub(ocr_blank, join_lines(text))
        return BLANK_RE.sub(blank, s).lstrip(_LEAD_CHARS).rstrip(_TAIL_CHARS)

    def _true_false_stem(self, text: str, *, verdict_in_stem: bool = False) -> str:
        s = _drop_trailing_blanks(self._stem(text, _CHOICE_BLANK))
        # In S6 ``statement.(√)`` the full stop before the verdict is the list's separator.
        return (s.rstrip(".．") if verdict_in_stem else s).rstrip(_TAIL_CHARS)


def _drop_trailing_blanks(stem: str) -> str:
    """``…过错( )。`` → ``…过错。``: a true/false statement's answer blank is not part of the statement."""
    stop = stem[-1] if stem.endswith(("。", ".")) and stem[:-1].rstrip().endswith(_CHOICE_BLANK) else ""
    s = stem[:-1] if stop else stem
    while s.rstrip().endswith(_CHOICE_BLANK):
        s = s.rstrip()[:-len(_CHOICE_BLANK)]
    return s.rstrip() + stop


def _fill_parts(text: str, blanks: int) -> tuple[list[str], str | None]:
    """Answers one per blank, split on ';'; a single answer holding exactly ``blanks`` words split on '、' is accepted."""
    parts = [p.strip().rstrip("。.").strip() for p in re.split(r"[;；]", join_lines(text))]
    while parts and not parts[-1]:
        parts.pop()
    if len(parts) == 1 and blanks > 1:
        words = [w for w in re.split(r"[、,，\s]+", parts[0]) if w]
        if len(words) == blanks:
            return words, f"答案没有用 ';' 分隔, 按 '、' 或空格分成 {blanks} 空"
    return parts, None
