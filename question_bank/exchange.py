"""Exchange with other systems: Moodle XML, GIFT and Aiken imports (one entry each), and what they share.

``detect`` and ``read`` are the hooks ``readers.detect_format`` / ``readers.read_source`` call; each
format lives in its own module. The bank's own fields that Moodle has no place for travel as Moodle
tags, so that a question exported here, imported into Moodle, exported again and imported back keeps
them: ``难度:中``, ``等级:L4`` (one per level), ``用途:练习``, ``题型:案例分析``.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath

from question_bank.records import AREA_CODES, LEVEL_CODES, Difficulty, QuestionRecord, QuestionType, QuestionUse

#: format → label shown in the dry run
LABELS = {"moodle": "Moodle XML", "gift": "GIFT", "aiken": "Aiken"}
#: formats whose questions sit in categories the trainer maps to knowledge areas
CATEGORY_FORMATS = frozenset({"moodle", "gift"})

TAG_DIFFICULTY, TAG_LEVEL, TAG_USE, TAG_TYPE = "难度:", "等级:", "用途:", "题型:"
CASE_STUDY_TAG = TAG_TYPE + QuestionType.CASE_STUDY.label.removesuffix("题")
_DIFFICULTY_BY_LABEL = {d.label: d for d in Difficulty} | {d.value: d for d in Difficulty}

#: a key of this bank (W05-012): a Moodle ``idnumber`` of this shape is taken as the question's key
KEY_RE = re.compile(rf"^(?:{'|'.join(AREA_CODES)})-\d+$")
_AREA_AT_START = re.compile(rf"^\s*({'|'.join(AREA_CODES)})(?![0-9A-Za-z])")


@functools.lru_cache(maxsize=256)
def area_in_name(name: str) -> str | None:
    """The area a category name gives: its leading code (``W03 维系挽留`` → W03) or the area's own name."""
    from question_bank.areas import AREA_NAMES
    from question_bank.normalize import to_simplified

    if m := _AREA_AT_START.match(name.upper()):
        return m.group(1)
    bare = to_simplified(re.sub(r"\s+", "", name))
    return next((code for code, area in AREA_NAMES.items() if bare == area), None)


def bank_tags(record: QuestionRecord) -> list[str]:
    """The tags that carry the record's difficulty, levels, use and 案例分析, then its own tags."""
    tags = [TAG_DIFFICULTY + record.difficulty.label, *(TAG_LEVEL + lv for lv in record.levels)]
    if record.use is not None:
        tags.append(TAG_USE + record.use.label)
    if record.type is QuestionType.CASE_STUDY:
        tags.append(CASE_STUDY_TAG)
    return tags + list(record.tags)


@dataclass
class TagFields:
    """What a question's tags say about the bank's fields; ``other`` are the tags that stay tags."""

    difficulty: Difficulty | None = None
    levels: tuple[str, ...] | None = None
    use: QuestionUse | None = None
    case_study: bool = False
    other: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def read_tags(tags: Iterable[str]) -> TagFields:
    """Split tags into the bank's fields and ordinary tags; a reserved tag with a bad value is noted and ignored."""
    out = TagFields()
    levels: list[str] = []
    other: list[str] = []
    for raw in tags:
        tag = raw.strip().replace("：", ":")
        if not tag:
            continue
        head, _, value = tag.partition(":")
        value = value.strip()
        prefix = head.strip() + ":"
        if prefix == TAG_DIFFICULTY and value in _DIFFICULTY_BY_LABEL:
            out.difficulty = _DIFFICULTY_BY_LABEL[value]
        elif prefix == TAG_LEVEL and value.upper() in LEVEL_CODES:
            levels.append(value.upper())
        elif prefix == TAG_USE and QuestionUse.parse(value):
            out.use = QuestionUse.parse(value)
        elif prefix + value == CASE_STUDY_TAG:
            out.case_study = True
        elif prefix in (TAG_DIFFICULTY, TAG_LEVEL, TAG_USE, TAG_TYPE):
            out.notes.append(f"标签 {tag!r} 无法识别, 已忽略")
        else:
            other.append(raw.strip())
    if levels:
        out.levels = tuple(lv for lv in LEVEL_CODES if lv in levels)
    out.other = tuple(dict.fromkeys(other))
    return out


def category_name(path: str) -> str:
    """A Moodle category path as the trainer reads it: ``$course$/top/题库/W03`` → ``题库/W03``."""
    parts = [p.replace("\ue020", "/").strip() for p in path.strip().replace("//", "\ue020").split("/")]
    while parts and (re.fullmatch(r"\$\w+\$", parts[0]) or parts[0] == "top"):
        parts.pop(0)
    return "/".join(p for p in parts if p)


def plain_text_of(data: bytes, filename: str) -> tuple[str, bool]:
    """A hand-written text file as lines: decoded, line ends unified, NUL dropped, Traditional → Simplified."""
    from question_bank.normalize import simplify_document
    from question_bank.readers import decode_text

    text = decode_text(data, filename).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return simplify_document(text)


def simplify_entries(entries: list) -> tuple[list, bool]:
    """Entries of a file written in Traditional script, converted to Simplified (texts, options, answers, tags)."""
    from dataclasses import replace

    from question_bank.normalize import looks_traditional, to_simplified

    if not looks_traditional("".join(e.stem + "".join(e.options) for e in entries)):
        return entries, False

    def conv(value):  # noqa: ANN001, ANN202
        if isinstance(value, str):
            return to_simplified(value, taiwan=True)
        if isinstance(value, tuple) and value and isinstance(value[0], tuple):
            return tuple(tuple(conv(a) for a in alternatives) for alternatives in value)
        return value

    return [replace(e, stem=conv(e.stem), options=tuple(conv(o) for o in e.options),
                    answer=conv(e.answer) if not e.type.is_choice else e.answer, explanation=conv(e.explanation),
                    heading=conv(e.heading), tags=tuple(conv(t) for t in e.tags)) for e in entries], True


def clip(text: str, n: int = 40) -> str:
    """A short excerpt of a text for a report line."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


# --------------------------------------------------------------------------- the hooks of readers.py


@dataclass(frozen=True)
class _Format:
    sniff: Callable[[bytes, str], bool]
    read: Callable[[bytes, str], object]


def _formats() -> dict[str, _Format]:
    from question_bank import aiken, gift, moodle

    return {"moodle": _Format(moodle.looks_like_moodle, moodle.read_moodle),
            "gift": _Format(gift.looks_like_gift, gift.read_gift),
            "aiken": _Format(aiken.looks_like_aiken, aiken.read_aiken)}


def detect(data: bytes, filename: str) -> str | None:
    """'moodle', 'gift' or 'aiken' when the content (or, for .xml and .gift, the extension) says so; else None."""
    suffix = PurePath(filename).suffix.lower()
    formats = _formats()
    if suffix == ".xml":
        return "moodle"
    if suffix == ".gift":
        return "gift"
    for name, fmt in formats.items():
        if fmt.sniff(data, suffix):
            return name
    return None


def read(fmt: str, data: bytes, filename: str):  # noqa: ANN201 - a readers.SourceRead
    """Read a file of an exchange format into a ``readers.SourceRead``."""
    return _formats()[fmt].read(data, filename)
