"""Moodle XML, the ``<quiz>`` files of Moodle's question bank: read into import entries, write from records.

Reading: each ``<question type="category">`` names the category of the questions after it (the trainer
maps categories to knowledge areas in the dry run); ``truefalse`` → 判断, ``multichoice`` → 单选 or 多选,
``shortanswer``, ``numerical`` without tolerance and ``cloze`` (multianswer) → 填空, ``essay`` → 简答 (its
grader information is the reference answer). HTML is reduced to text; embedded files and the question
types the bank does not have are reported as skipped, with the question's lines.

Writing keeps every field the bank has, so that reading what was written gives the same records: the
key as ``idnumber``, the area as the category ``…/W03 维系挽留``, the explanation as general feedback,
difficulty, levels, use and 案例分析 as tags (see ``exchange``). Texts are ``plain_text`` so that line
breaks and spaces stay as they are; a fill-in with one blank is a ``shortanswer``, with several a cloze
(whose stem must not itself contain cloze syntax such as ``{1:SA:…}``: Moodle has no way to escape it).
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from question_bank.areas import AREA_NAMES
from question_bank.dumps.model import Skipped
from question_bank.exchange import KEY_RE, area_in_name, bank_tags, category_name, clip, read_tags, simplify_entries
from question_bank.htmltext import html_to_text
from question_bank.readers import Entry, SourceRead
from question_bank.records import BLANK_RE, OPTION_LETTERS, QuestionRecord, QuestionType, count_blanks

#: the category every export goes under; below it one category per knowledge area
BANK_CATEGORY = "VIP客户服务经理题库"

UNSUPPORTED = {
    "matching": "配对题", "match": "配对题", "description": "说明文字, 不是题目", "calculated": "计算题",
    "calculatedsimple": "简单计算题", "calculatedmulti": "计算选择题", "ddwtos": "拖放填词题", "gapselect": "下拉选词题",
    "ddimageortext": "图片拖放题", "ddmarker": "拖放标记题", "randomsamatch": "随机简答配对题", "random": "随机题",
    "ordering": "排序题", "gapfill": "填词题 (插件)", "stack": "STACK 数学题", "coderunner": "编程题",
}
#: a cloze gap ``{1:SHORTANSWER:=a~b}``; inside it a backslash escapes the next character
_CLOZE = re.compile(r"\{(\d*):([A-Z_]+)(?::((?:[^\\}]|\\.)*))?\}", re.S)
_PIECE = re.compile(r"(?:[^\\~]|\\.)+", re.S)
_MARK = "\ue000{}\ue001"
_MARK_RE = re.compile("\ue000(\\d+)\ue001")
_CHINESE_BLANK = re.compile(r"[（(][ \u3000]*[）)]")


def parser() -> etree.XMLParser:
    """A parser that expands no entities and fetches nothing (one per call: parsers are not shared across threads)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                           remove_pis=True, huge_tree=False)


class _Skip(Exception):
    """The question cannot become a bank item; the message says why, in the trainer's words."""


def looks_like_moodle(data: bytes, suffix: str = "") -> bool:
    """A document whose root element is ``<quiz>`` (after the declaration and comments)."""
    head = data[:4096].lstrip(codecs.BOM_UTF8).decode("utf-8", "ignore")
    head = re.sub(r"<\?xml.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", head, flags=re.S).lstrip()
    return head.startswith("<quiz") and (len(head) == 5 or not head[5].isalnum())


# --------------------------------------------------------------------------- reading


@dataclass
class _Question:
    """One ``<question>`` being read: its element, and the notes and dropped media gathered on the way."""

    el: Any
    notes: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)

    def reduce(self, raw: str, fmt: str) -> str:
        """A text in its Moodle format as the bank's plain text (``plain_text`` and Markdown are kept as written)."""
        if fmt in ("plain_text", "markdown"):
            return raw.strip()
        if fmt != "html":  # moodle_auto_format, the default: line ends are breaks, HTML is allowed
            raw = raw.replace("\n", "<br>")
        text, media = html_to_text(raw)
        self.media.extend(media)
        return text

    def rich(self, node: Any, default: str = "moodle_auto_format") -> str:
        """The ``<text>`` of an element that has a ``format`` attribute (questiontext, answer, feedback …)."""
        if node is None:
            return ""
        return self.reduce(node.findtext("text") or "", node.get("format") or default)

    def text(self, path: str) -> str:
        return self.rich(self.el.find(path))

    def answers(self) -> list[tuple[str, float]]:
        """Every ``<answer>``: (text, fraction in percent)."""
        out = []
        for a in self.el.findall("answer"):
            raw = (a.get("fraction") or "0").strip()
            try:
                fraction = float(raw)
            except ValueError:
                raise _Skip(f"答案的分值 fraction={raw!r} 不是数字") from None
            out.append((self.rich(a, "html"), fraction))
        return out


def read_moodle(data: bytes, filename: str) -> SourceRead:
    """Every question of a Moodle XML file as an entry; what cannot be imported is listed with its lines."""
    out = SourceRead("moodle")
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        out.errors.append(f"{filename}: 不是有效的 XML 文件, 第 {line} 行第 {column} 列有错 ({exc.msg})")
        return out
    if root.tag != "quiz":
        out.errors.append(f"{filename}: 不是 Moodle XML 题库 (最外层应为 <quiz>, 读到 <{root.tag}>)")
        return out
    category = ""
    for el in root.iterchildren("question"):
        lines = (el.sourceline or 0, max((e.sourceline or 0) for e in el.iter()))
        kind = (el.get("type") or "").strip().lower()
        if kind == "category":
            category = category_name(el.findtext("category/text") or "")
            continue
        q = _Question(el)
        name = (el.findtext("name/text") or "").strip()
        reader = _READERS.get(kind)
        try:
            if reader is None:
                raise _Skip(f"题型 {kind} ({UNSUPPORTED[kind]}) 本系统不支持" if kind in UNSUPPORTED
                            else f"未知题型 {kind or '(未写 type)'}")
            entry = _entry(q, reader, lines, category)
        except _Skip as exc:
            out.skipped.append(Skipped(lines, str(exc), clip(name or html_to_text(el.findtext("questiontext/text") or "")[0])))
            continue
        out.entries.append(entry)
        out.skipped.extend(_files(el, lines, name))
    out.entries, out.traditional = simplify_entries(out.entries)
    return out


def _files(el: Any, lines: tuple[int, int], name: str) -> list[Skipped]:
    """Each file embedded in the question (``<file>``, Moodle 1.9's ``<image>``) as a skipped line."""
    names = [f.get("name") or "(无名称)" for f in el.iter("file")]
    names += [i.text.strip() for i in el.iter("image") if i.text and i.text.strip()]
    return [Skipped(lines, f"内嵌文件 {n} 未导入 (题库不保存图片和附件)", clip(name)) for n in names]


def _entry(q: _Question, reader: Callable[[_Question], dict], lines: tuple[int, int], category: str) -> Entry:
    fields = reader(q)
    if "explanation" not in fields:
        fields["explanation"] = q.text("generalfeedback")
    tags = read_tags(t.findtext("text") or "" for t in q.el.findall("tags/tag"))
    if fields["type"] is QuestionType.SHORT_ANSWER and tags.case_study:
        fields["type"] = QuestionType.CASE_STUDY
    idnumber = (q.el.findtext("idnumber") or "").strip()
    notes = q.notes + tags.notes + [f"图片或媒体 {m} 未导入" for m in dict.fromkeys(q.media)]
    return Entry(lines=lines, heading=category, key=idnumber if KEY_RE.match(idnumber) else None,
                 area=area_in_name(category.rsplit("/", 1)[-1]) if category else None, difficulty=tags.difficulty,
                 levels=tags.levels, tags=tags.other, use=tags.use, notes=tuple(notes), **fields)


def _stem(q: _Question) -> str:
    stem = q.text("questiontext")
    if not stem:
        raise _Skip("题干为空 (可能只有图片)")
    return stem


def _read_truefalse(q: _Question) -> dict:
    right = [t.lower() for t, f in q.answers() if f > 0]
    if len(right) != 1 or right[0] not in ("true", "false"):
        raise _Skip("判断题应有 true 和 false 两个答案, 其中一个得满分")
    return {"type": QuestionType.TRUE_FALSE, "stem": _stem(q), "options": (), "answer": right[0] == "true"}


def _read_multichoice(q: _Question) -> dict:
    stem, answers = _stem(q), q.answers()
    if not 2 <= len(answers) <= len(OPTION_LETTERS):
        raise _Skip(f"选择题有 {len(answers)} 个选项, 应为 2–8 个")
    for i, (text, _f) in enumerate(answers):
        if not text:
            raise _Skip(f"选项 {OPTION_LETTERS[i]} 为空 (可能只有图片)")
    positive = [i for i, (_t, f) in enumerate(answers) if f > 0]
    if not positive:
        raise _Skip("没有标出正确选项 (每个选项的分值都不大于 0)")
    single = (q.el.findtext("single") or "true").strip().lower() in ("true", "1")
    keys = positive
    if single:
        top = max(answers[i][1] for i in positive)
        keys = [i for i in positive if answers[i][1] == top]
        if len(keys) > 1:
            raise _Skip(f"单选题有 {len(keys)} 个满分选项 ({'、'.join(OPTION_LETTERS[i] for i in keys)}), "
                        "本系统单选题只能有一个答案")
        q.notes += [f"选项 {OPTION_LETTERS[i]} 原为部分得分 ({answers[i][1]:g}%), 按错误选项导入"
                    for i in positive if i not in keys]
    elif len(keys) == 1:
        q.notes.append(f"多选题只有一个正确选项 {OPTION_LETTERS[keys[0]]}, 按单选题导入")
    qtype = QuestionType.SINGLE if len(keys) == 1 else QuestionType.MULTIPLE
    return {"type": qtype, "stem": stem, "options": tuple(t for t, _f in answers),
            "answer": tuple(OPTION_LETTERS[i] for i in keys)}


def with_one_blank(stem: str, notes: list[str]) -> str:
    """A fill-in stem with exactly one blank: ``（ ）`` becomes ``____``, or a blank is added at the end."""
    n = count_blanks(stem)
    if n == 1:
        return stem
    if n > 1:
        raise _Skip(f"题干有 {n} 个空 (____), 但只有一个答案")
    if len(_CHINESE_BLANK.findall(stem)) == 1:
        notes.append("题干中的括号已改为空 ____")
        return _CHINESE_BLANK.sub("____", stem)
    notes.append("题干中没有空, 已在末尾加 ____")
    return stem + ("" if stem[-1:].isspace() else " ") + "____"


def _read_shortanswer(q: _Question) -> dict:
    stem, answers = _stem(q), q.answers()
    accepted = [t for t, f in answers if f >= 100 and t and t != "*"]
    if not accepted:
        raise _Skip("简答 (填空) 题没有满分答案")
    q.notes += [f"部分得分答案 {t!r} ({f:g}%) 未导入" for t, f in answers if 0 < f < 100 and t != "*"]
    return {"type": QuestionType.FILL_BLANK, "stem": with_one_blank(stem, q.notes), "options": (),
            "answer": (tuple(dict.fromkeys(accepted)),)}


def _read_numerical(q: _Question) -> dict:
    stem, accepted = _stem(q), []
    for a in q.el.findall("answer"):
        value = (a.findtext("text") or "").strip()
        fraction = (a.get("fraction") or "0").strip()
        if not _is_number(fraction):
            raise _Skip(f"答案的分值 fraction={fraction!r} 不是数字")
        if float(fraction) < 100 or value in ("", "*"):
            continue
        tolerance = (a.findtext("tolerance") or "0").strip() or "0"
        if not _is_number(value):
            raise _Skip(f"数值题的答案 {value!r} 不是数字")
        if not _is_number(tolerance) or float(tolerance) != 0:
            raise _Skip(f"数值题允许误差 ±{tolerance}, 本系统填空题只能精确匹配")
        accepted.append(value)
    if not accepted:
        raise _Skip("数值题没有满分答案")
    q.notes.append("数值题按填空题导入 (答案须精确相同)")
    return {"type": QuestionType.FILL_BLANK, "stem": with_one_blank(stem, q.notes), "options": (),
            "answer": (tuple(dict.fromkeys(accepted)),)}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_cloze(q: _Question) -> dict:
    node = q.el.find("questiontext")
    raw = node.findtext("text") if node is not None else ""
    blanks: list[tuple[str, ...]] = []

    fmt = (node.get("format") if node is not None else None) or "moodle_auto_format"

    def mark(m: re.Match) -> str:
        blanks.append(cloze_blank(len(blanks) + 1, m.group(2), m.group(3) or "", q, fmt))
        return _MARK.format(len(blanks))

    marked = _CLOZE.sub(mark, raw or "")
    if not blanks:
        raise _Skip("完形填空题中没有 {1:SHORTANSWER:=答案} 这样的空")
    text = q.reduce(marked, fmt)
    if BLANK_RE.search(_MARK_RE.sub("", text)):
        raise _Skip("题干中除完形填空的空之外还有 ____")
    return {"type": QuestionType.FILL_BLANK, "stem": _MARK_RE.sub("____", text), "options": (),
            "answer": tuple(blanks)}


_CLOZE_TEXT = {"SHORTANSWER", "SA", "MW", "SHORTANSWER_C", "SAC", "MWC"}
_CLOZE_NUMBER = {"NUMERICAL", "NM"}
_CLOZE_CHOICE = {"MULTICHOICE", "MC", "MULTICHOICE_V", "MCV", "MULTICHOICE_H", "MCH", "MULTICHOICE_S", "MCS",
                 "MULTICHOICE_VS", "MCVS", "MULTICHOICE_HS", "MCHS"}
_CLOZE_MULTI = {"MULTIRESPONSE", "MR", "MULTIRESPONSE_H", "MRH", "MULTIRESPONSE_S", "MRS", "MULTIRESPONSE_HS", "MRHS"}


def cloze_blank(n: int, kind: str, body: str, q: _Question, fmt: str = "html") -> tuple[str, ...]:
    """The accepted answers of the n-th cloze gap ``{1:KIND:=a~%100%b~c#feedback}`` (texts in ``fmt``)."""
    if kind in _CLOZE_MULTI:
        raise _Skip(f"第 {n} 空是多选 ({kind}), 无法改为填空")
    if kind not in _CLOZE_TEXT | _CLOZE_NUMBER | _CLOZE_CHOICE:
        raise _Skip(f"第 {n} 空的类型 {kind} 无法识别")
    if not body.strip():
        raise _Skip(f"第 {n} 空 ({kind}) 没有写答案")
    accepted, choices = [], []
    for piece in _PIECE.findall(body):
        part = piece.strip()
        weight = 0.0
        if part.startswith("="):
            weight, part = 100.0, part[1:]
        elif m := re.match(r"%(-?\d+(?:\.\d+)?)%", part):
            weight, part = float(m.group(1)), part[m.end():]
        answer = re.match(r"(?:[^\\#]|\\.)*", part, re.S).group(0)  # up to the first unescaped #feedback
        answer = q.reduce(re.sub(r"\\(.)", r"\1", answer, flags=re.S), fmt)
        choices.append(answer)
        if weight < 100 or answer in ("", "*"):
            continue
        if kind in _CLOZE_NUMBER:
            value, _, tolerance = answer.partition(":")
            if not _is_number(value.strip()):
                raise _Skip(f"第 {n} 空的数值答案 {value.strip()!r} 不是数字")
            if tolerance.strip() and (not _is_number(tolerance) or float(tolerance) != 0):
                raise _Skip(f"第 {n} 空允许误差 ±{tolerance.strip()}, 本系统填空题只能精确匹配")
            answer = value.strip()
        accepted.append(answer)
    if not accepted:
        raise _Skip(f"第 {n} 空没有满分答案")
    if kind in _CLOZE_CHOICE:
        q.notes.append(f"第 {n} 空原为下拉选择 ({' / '.join(c for c in choices if c)}), 已改为填空")
    return tuple(dict.fromkeys(accepted))


def _read_essay(q: _Question) -> dict:
    reference, explanation = q.text("graderinfo"), q.text("generalfeedback")
    if not reference and explanation:
        reference, explanation = explanation, ""
        q.notes.append("参考答案取自总体反馈 (generalfeedback)")
    if not reference:
        raise _Skip("问答题没有评分信息 (graderinfo), 本系统简答题需要参考答案")
    return {"type": QuestionType.SHORT_ANSWER, "stem": _stem(q), "options": (), "answer": reference,
            "explanation": explanation}


_READERS: dict[str, Callable[[_Question], dict]] = {
    "truefalse": _read_truefalse, "multichoice": _read_multichoice, "shortanswer": _read_shortanswer,
    "numerical": _read_numerical, "cloze": _read_cloze, "multianswer": _read_cloze, "essay": _read_essay,
}


# --------------------------------------------------------------------------- writing


def _text(parent: Any, tag: str, text: str, fmt: str = "plain_text") -> Any:
    el = etree.SubElement(parent, tag, format=fmt)
    etree.SubElement(el, "text").text = text
    return el


def _value(parent: Any, tag: str, text: str) -> Any:
    el = etree.SubElement(parent, tag)
    el.text = text
    return el


def _answer(parent: Any, text: str, fraction: str, fmt: str = "plain_text") -> None:
    a = etree.SubElement(parent, "answer", fraction=fraction, format=fmt)
    etree.SubElement(a, "text").text = text
    _text(a, "feedback", "", "html")


def _fraction(percent: float) -> str:
    return f"{percent:.5f}".rstrip("0").rstrip(".")


def _write_truefalse(q: Any, r: QuestionRecord) -> None:
    for value in (True, False):
        _answer(q, str(value).lower(), "100" if r.answer is value else "0", "moodle_auto_format")


def _write_choice(q: Any, r: QuestionRecord) -> None:
    single = r.type is QuestionType.SINGLE
    _value(q, "single", "true" if single else "false")
    _value(q, "shuffleanswers", "true")
    _value(q, "answernumbering", "ABCD")
    right = _fraction(100 / len(r.answer))
    for letter, option in zip(OPTION_LETTERS, r.options, strict=False):
        _answer(q, option, right if letter in r.answer else ("0" if single else "-100"))


def _write_fill(q: Any, r: QuestionRecord) -> None:
    if len(r.answer) == 1:
        _value(q, "usecase", "0")
        for alternative in r.answer[0]:
            _answer(q, alternative, "100")


def cloze_text(r: QuestionRecord) -> str:
    """A fill-in with several blanks as Moodle cloze text: each ____ becomes {1:SHORTANSWER:=a~=b}."""
    gaps = iter(r.answer)

    def gap(_m: re.Match) -> str:
        return "{1:SHORTANSWER:" + "~".join("=" + re.sub(r'([}#~/"\\])', r"\\\1", a) for a in next(gaps)) + "}"

    return BLANK_RE.sub(gap, r.stem)


def _write_essay(q: Any, r: QuestionRecord) -> None:
    for tag, value in (("responseformat", "editor"), ("responserequired", "1"), ("responsefieldlines", "15"),
                       ("attachments", "0"), ("attachmentsrequired", "0")):
        _value(q, tag, value)
    _text(q, "graderinfo", r.answer)
    _text(q, "responsetemplate", "", "html")


_WRITERS: dict[QuestionType, tuple[str, Callable[[Any, QuestionRecord], None]]] = {
    QuestionType.TRUE_FALSE: ("truefalse", _write_truefalse),
    QuestionType.SINGLE: ("multichoice", _write_choice),
    QuestionType.MULTIPLE: ("multichoice", _write_choice),
    QuestionType.FILL_BLANK: ("shortanswer", _write_fill),
    QuestionType.SHORT_ANSWER: ("essay", _write_essay),
    QuestionType.CASE_STUDY: ("essay", _write_essay),
}


def write_moodle(records: Iterable[QuestionRecord]) -> bytes:
    """The records as a Moodle XML file, one category per run of records of the same area."""
    root = etree.Element("quiz")
    area = None
    for r in records:
        if r.area != area:
            area = r.area
            cat = etree.SubElement(root, "question", type="category")
            _value(etree.SubElement(cat, "category"), "text", f"$course$/top/{BANK_CATEGORY}/{area} {AREA_NAMES[area]}")
            _text(cat, "info", f"{area} {AREA_NAMES[area]}", "moodle_auto_format")
        kind, write = _WRITERS[r.type]
        cloze = r.type is QuestionType.FILL_BLANK and len(r.answer) > 1
        q = etree.SubElement(root, "question", type="cloze" if cloze else kind)
        _value(etree.SubElement(q, "name"), "text", f"{r.key} {clip(r.stem, 30)}")
        _text(q, "questiontext", cloze_text(r) if cloze else r.stem)
        _text(q, "generalfeedback", r.explanation)
        if not cloze:
            _value(q, "defaultgrade", "1")
        _value(q, "penalty", "1" if r.type is QuestionType.TRUE_FALSE else "0.3333333")
        _value(q, "hidden", "0")
        _value(q, "idnumber", r.key)
        if not cloze:
            write(q, r)
        tags = etree.SubElement(q, "tags")
        for tag in bank_tags(r):
            _value(etree.SubElement(tags, "tag"), "text", tag)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True)
