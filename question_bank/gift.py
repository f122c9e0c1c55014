"""GIFT, the plain-text question format Moodle teachers write by hand, read into import entries.

A question is a paragraph (a blank line ends it) with its answers in braces::

    // 注释
    $CATEGORY: $course$/维系挽留
    ::名称::题干 {=正确 ~错误 ~错误}        单选 (一个 =)
    题干 {~%50%对 ~%50%也对 ~%-100%错}     多选 (没有 =, 正分的都对)
    题干 {TRUE}  题干 {F#反馈}              判断
    先处理 {=心情 =情绪}, 再处理事情。      填空 (括号处成为 ____)
    题干 {#1822}                           数值 (精确值按填空)
    题干 {####参考答案}                     简答 (总体反馈作参考答案)

``\\~ \\= \\# \\{ \\} \\:`` are literal characters, ``\\n`` a line break; ``[html]``, ``[moodle]``,
``[plain]``, ``[markdown]`` before a text give its format; ``// [id:W03-001] [tag:难度:中]`` comments
(Moodle 4) give the key and tags. Matching questions and paragraphs without braces are reported as skipped.
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from question_bank.dumps.model import Skipped
from question_bank.exchange import KEY_RE, area_in_name, category_name, clip, plain_text_of, read_tags
from question_bank.htmltext import html_to_text
from question_bank.readers import Entry, SourceRead
from question_bank.records import OPTION_LETTERS, QuestionType, count_blanks

_ESCAPES = {"\\\\": "\ue010", "\\:": "\ue011", "\\#": "\ue012", "\\=": "\ue013", "\\{": "\ue014", "\\}": "\ue015",
            "\\~": "\ue016", "\\n": "\ue017"}
_LITERALS = {"\ue010": "\\", "\ue011": ":", "\ue012": "#", "\ue013": "=", "\ue014": "{", "\ue015": "}",
             "\ue016": "~", "\ue017": "\n"}
_ESCAPE_RE = re.compile(r"\\[\\:#={}~n]")
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.I)
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d*)?)%")
_ANSWER_BLOCK = re.compile(r"\{([^{}]*)\}")
_GIFT_ANSWER = re.compile(r"^\s*(?:(?:T|F|TRUE|FALSE)\s*(?:#.*)?|#.*|.*(?:^|\s)[=~].*|)$", re.S)
_TAG = re.compile(r"\[(id|tag):([^\]]+)\]")


class _Skip(Exception):
    """The paragraph cannot become a bank item; the message says why."""


def _escape(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


def _literal(text: str) -> str:
    return "".join(_LITERALS.get(c, c) for c in text)


def _paragraphs(lines: list[str]) -> Iterator[tuple[int, int, list[str], list[str]]]:
    """(first line, last line, text lines, comment lines) of each question: as in Moodle, a blank line
    ends a question and ``//`` comment lines belong to the question they are in."""
    block: list[str] = []
    comments: list[str] = []
    first = 0
    for n, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("//"):
            comments.append(stripped)
        elif stripped:
            first = first if block else n
            block.append(line)
        elif block or comments:
            if block:
                yield first, n - 1, block, comments
            block, comments = [], []
    if block:
        yield first, len(lines), block, comments


def looks_like_gift(data: bytes, suffix: str = "") -> bool:
    """Most paragraphs of the text end in a GIFT answer block such as ``{=a ~b}``, ``{T}`` or ``{#12}``."""
    text = data[:65536].lstrip(codecs.BOM_UTF8).decode("utf-8", "ignore")
    paragraphs = [p for _a, _b, p, _c in _paragraphs(text.replace("\r", "").split("\n"))
                  if not p[0].lstrip().startswith("$CATEGORY:")]
    with_answers = sum(1 for p in paragraphs
                       if any(_GIFT_ANSWER.match(b) for b in _ANSWER_BLOCK.findall(_escape("\n".join(p)))))
    return with_answers >= 1 and with_answers >= 0.6 * len(paragraphs)


def read_gift(data: bytes, filename: str) -> SourceRead:
    """Every question of a GIFT file as an entry; paragraphs that are not bank questions are listed as skipped."""
    text, traditional = plain_text_of(data, filename)
    out = SourceRead("gift", traditional=traditional)
    category = ""
    for first, last, block, comments in _paragraphs(text.split("\n")):
        body = _escape("\n".join(block)).strip()
        if body.startswith("$CATEGORY:"):
            category = category_name(_literal(body[len("$CATEGORY:"):].strip()))
            continue
        try:
            out.entries.append(_question(body, (first, last), category, comments))
        except _Skip as exc:
            out.skipped.append(Skipped((first, last), str(exc), clip(_literal(body))))
    return out


class _Texts:
    """Reduces GIFT texts to plain text in the question's format, collecting notes."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.format = "moodle"

    def take_format(self, text: str) -> str:
        if m := _FORMAT.match(text):
            self.format = m.group(1).lower()
            return text[m.end():]
        return text

    def plain(self, text: str) -> str:
        fmt = self.format
        if m := _FORMAT.match(text):
            fmt, text = m.group(1).lower(), text[m.end():]
        text = _literal(text.strip())
        if fmt in ("plain", "markdown"):
            return text
        reduced, media = html_to_text(text.replace("\n", "<br>") if fmt == "moodle" else text)
        self.notes += [f"图片或媒体 {m} 未导入" for m in media]
        return reduced


def _question(body: str, lines: tuple[int, int], category: str, comments: list[str]) -> Entry:
    if body.startswith("::") and (end := body.find("::", 2)) >= 0:
        body = body[end + 2:].strip()  # the question's name: the bank has no place for it
    texts = _Texts()
    body = texts.take_format(body)
    opening, closing = body.find("{"), body.find("}", max(body.find("{"), 0))
    if opening < 0 and closing < 0:
        raise _Skip("说明文字 (没有 {…} 答案部分), 不是题目")
    if opening < 0 or closing < 0:
        raise _Skip("缺少 { 或 }, 答案部分不完整")
    answer_text, before, after = body[opening + 1:closing].strip(), body[:opening], body[closing + 1:]
    explanation = ""
    if (cut := answer_text.rfind("####")) >= 0:
        answer_text, explanation = answer_text[:cut].strip(), texts.plain(answer_text[cut + 4:])
    kind = _kind(answer_text)
    # Moodle's "missing word" questions: answers inside the sentence leave a blank where they stood
    gap = "____" if after.strip() and kind in (QuestionType.SINGLE, QuestionType.FILL_BLANK, "numerical") else ""
    stem = texts.plain(before + gap + after)
    if not stem:
        raise _Skip("题干为空")
    fields = _READERS[kind](answer_text, texts, explanation)
    if fields["type"] is QuestionType.FILL_BLANK:
        stem = _fill_stem(stem, len(fields["answer"]), texts.notes)
    meta = dict(re.findall(r"\[(id):([^\]]+)\]", " ".join(comments)))
    tags = read_tags(t for kind_, t in _TAG.findall(" ".join(comments)) if kind_ == "tag")
    if fields["type"] is QuestionType.SHORT_ANSWER and tags.case_study:
        fields["type"] = QuestionType.CASE_STUDY
    key = meta.get("id", "").strip()
    return Entry(stem=stem, lines=lines, heading=category, key=key if KEY_RE.match(key) else None,
                 area=area_in_name(category.rsplit("/", 1)[-1]) if category else None, difficulty=tags.difficulty,
                 levels=tags.levels, use=tags.use, tags=tags.other, notes=tuple(texts.notes + tags.notes), **fields)


def _kind(answer_text: str) -> QuestionType | str:
    """The question's type by the rules of Moodle's GIFT reader, in its order."""
    if answer_text == "":
        return QuestionType.SHORT_ANSWER
    if answer_text.startswith("#"):
        return "numerical"
    if "~" in answer_text:
        return QuestionType.SINGLE
    if "=" in answer_text and "->" in answer_text:
        raise _Skip("配对题本系统不支持")
    if answer_text.split("#", 1)[0].strip() in ("T", "TRUE", "F", "FALSE"):
        return QuestionType.TRUE_FALSE
    return QuestionType.FILL_BLANK


def _fill_stem(stem: str, blanks: int, notes: list[str]) -> str:
    if count_blanks(stem) == blanks:
        return stem
    if count_blanks(stem) == 0 and blanks == 1:
        notes.append("题干中没有空, 已在末尾加 ____")
        return stem + " ____"
    raise _Skip(f"题干有 {count_blanks(stem)} 个空, 答案有 {blanks} 组")


def _weighted(part: str, default: float) -> tuple[float, str]:
    part = part.strip()
    if m := _WEIGHT.match(part):
        return float(m.group(1)), part[m.end():]
    return default, part


def _answer(part: str, texts: _Texts) -> str:
    """An answer without its ``#feedback``."""
    return texts.plain(part.split("#", 1)[0])


def _choice(answer_text: str, texts: _Texts, explanation: str) -> dict:
    single = "=" in answer_text
    options, weights = [], []
    for part in answer_text.replace("=", "~=").split("~"):
        if not part.strip():
            continue
        weight, part = (100.0, part.strip()[1:]) if part.strip().startswith("=") else _weighted(part, 0.0)
        options.append(_answer(part, texts))
        weights.append(weight)
    if not 2 <= len(options) <= len(OPTION_LETTERS):
        raise _Skip(f"选择题有 {len(options)} 个选项, 应为 2–8 个")
    if "" in options:
        raise _Skip(f"选项 {OPTION_LETTERS[options.index('')]} 为空")
    keys = [i for i, w in enumerate(weights) if (w >= 100 if single else w > 0)]
    if not keys:
        raise _Skip("没有标出正确选项 (= 或正的 %分值%)")
    if single and len(keys) > 1:
        raise _Skip(f"单选题有 {len(keys)} 个 = 答案, 本系统单选题只能有一个答案")
    texts.notes += [f"选项 {OPTION_LETTERS[i]} 原为部分得分 ({w:g}%), 按错误选项导入"
                    for i, w in enumerate(weights) if single and 0 < w < 100]
    if not single and len(keys) == 1:
        texts.notes.append(f"多选题只有一个正确选项 {OPTION_LETTERS[keys[0]]}, 按单选题导入")
    return {"type": QuestionType.SINGLE if len(keys) == 1 else QuestionType.MULTIPLE, "options": tuple(options),
            "answer": tuple(OPTION_LETTERS[i] for i in keys), "explanation": explanation}


def _truefalse(answer_text: str, texts: _Texts, explanation: str) -> dict:
    return {"type": QuestionType.TRUE_FALSE, "options": (), "explanation": explanation,
            "answer": answer_text.split("#", 1)[0].strip() in ("T", "TRUE")}


def _fill(answer_text: str, texts: _Texts, explanation: str) -> dict:
    accepted = []
    for part in answer_text.split("="):
        if not part.strip():
            continue
        weight, part = _weighted(part, 100.0)
        answer = _answer(part, texts)
        if weight >= 100 and answer and answer != "*":
            accepted.append(answer)
        elif weight > 0 and answer != "*":
            texts.notes.append(f"部分得分答案 {answer!r} ({weight:g}%) 未导入")
    if not accepted:
        raise _Skip("填空题没有满分答案")
    return {"type": QuestionType.FILL_BLANK, "options": (), "answer": (tuple(dict.fromkeys(accepted)),),
            "explanation": explanation}


def _numerical(answer_text: str, texts: _Texts, explanation: str) -> dict:
    accepted = []
    for part in answer_text[1:].split("~", 1)[0].split("="):
        if not part.strip():
            continue
        weight, part = _weighted(part, 100.0)
        value = _literal(part.split("#", 1)[0]).strip()
        if weight < 100:
            continue
        if ".." in value:
            raise _Skip(f"数值题的答案是范围 {value}, 本系统填空题只能精确匹配")
        number, _, tolerance = value.partition(":")
        if not _is_number(number):
            raise _Skip(f"数值题的答案 {number.strip()!r} 不是数字")
        if tolerance.strip() and (not _is_number(tolerance) or float(tolerance) != 0):
            raise _Skip(f"数值题允许误差 ±{tolerance.strip()}, 本系统填空题只能精确匹配")
        accepted.append(number.strip())
    if not accepted:
        raise _Skip("数值题没有满分答案")
    texts.notes.append("数值题按填空题导入 (答案须精确相同)")
    return {"type": QuestionType.FILL_BLANK, "options": (), "answer": (tuple(dict.fromkeys(accepted)),),
            "explanation": explanation}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _essay(answer_text: str, texts: _Texts, explanation: str) -> dict:
    if not explanation:
        raise _Skip("问答题没有参考答案 (可写在 {####参考答案} 中)")
    texts.notes.append("参考答案取自总体反馈 (####)")
    return {"type": QuestionType.SHORT_ANSWER, "options": (), "answer": explanation, "explanation": ""}


_READERS = {QuestionType.SINGLE: _choice, QuestionType.TRUE_FALSE: _truefalse, QuestionType.FILL_BLANK: _fill,
            "numerical": _numerical, QuestionType.SHORT_ANSWER: _essay}
