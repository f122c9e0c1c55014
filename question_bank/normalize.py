"""Text folding shared by the importers and duplicate detection: width, script, spaces, punctuation."""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

import opencc


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str, *, taiwan: bool = False) -> str:
    """Traditional → Simplified; ``taiwan`` also maps Taiwan vocabulary (軟體 → 软件)."""
    return _converter("tw2sp" if taiwan else "t2s").convert(text)


def looks_traditional(text: str, threshold: float = 0.02) -> bool:
    """True when a noticeable share of the Han characters change under Traditional → Simplified."""
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return False
    sample = "".join(han[:20000])
    converted = to_simplified(sample)
    changed = sum(1 for a, b in zip(sample, converted, strict=False) if a != b)
    return changed / len(sample) >= threshold


#: Taiwan forms OpenCC keeps that mainland text writes otherwise (a fill-in keyed 身分 would refuse 身份).
_MAINLAND_FORMS = {
    "身分": "身份", "帐号": "账号", "帐户": "账户", "帐单": "账单", "帐务": "账务", "帐期": "账期",
    "转帐": "转账", "对帐": "对账", "结帐": "结账", "记帐": "记账", "到帐": "到账",
}
_MAINLAND_RE = re.compile("|".join(_MAINLAND_FORMS))


def simplify_document(text: str) -> tuple[str, bool]:
    """Convert a whole import to Simplified if it is Traditional; returns (text, was_traditional).

    Converted line by line so that line numbers in reports still point at the source file.
    """
    if not looks_traditional(text):
        return text, False
    return "\n".join(_MAINLAND_RE.sub(lambda m: _MAINLAND_FORMS[m.group()], to_simplified(line, taiwan=True))
                     for line in text.split("\n")), True


_DROP = re.compile(r"[\s_]+")


def fold_text(text: str) -> str:
    """The form two stems are compared in: half-width, Simplified, lower case, no spaces or punctuation."""
    s = unicodedata.normalize("NFKC", text)
    s = to_simplified(s).lower()
    s = _DROP.sub("", s)
    return "".join(c for c in s if unicodedata.category(c)[0] not in "PSZ")


class _Dropped(dict):
    """str.translate table deleting what ``fold_text`` deletes: whitespace, ``_``, punctuation, symbols, separators."""

    def __missing__(self, ch: int) -> int | None:
        c = chr(ch)
        value = None if c.isspace() or c == "_" or unicodedata.category(c)[0] in "PSZ" else ch
        self[ch] = value
        return value


_DROPPED = _Dropped()
_LINE_BREAKS = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def fold_many(texts: list[str]) -> list[str]:
    """``[fold_text(t) for t in texts]``, converting the script in one call (what a whole-bank check needs)."""
    if not texts:
        return []
    flat = [_LINE_BREAKS.sub(" ", unicodedata.normalize("NFKC", t)) for t in texts]
    converted = to_simplified("\n".join(flat)).lower().split("\n")
    if len(converted) != len(flat):  # the converter never joins lines, but never trust a count blindly
        return [fold_text(t) for t in texts]
    return [s.translate(_DROPPED) for s in converted]


_ANSWER_SPACES = re.compile(r"[\s\u3000]+")


def fold_answer(text: str) -> str:
    """How grading compares a typed fill-in answer with the accepted ones: width (NFKC), case, spaces and
    punctuation folded; the script is not (a Traditional answer is a different answer)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in _ANSWER_SPACES.sub("", folded) if not unicodedata.category(ch).startswith("P"))


@functools.lru_cache(maxsize=1 << 16)
def stem_fingerprint(stem: str) -> str:
    """A short stable hash of the folded stem, indexed in the database for duplicate lookups (cached: an import's
    dry run asks for each stem's fingerprint more than once)."""
    return hashlib.sha1(fold_text(stem).encode("utf-8")).hexdigest()[:20]
