"""Items as the rules read them: texts folded once (width, script, case, punctuation), bigrams, and the corpus
of pairs with its rarity weights and inverted indexes."""
from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from question_bank.normalize import fold_many, stem_fingerprint, to_simplified
from question_bank.records import BLANK_RE, OPTION_LETTERS, QuestionRecord, QuestionType

#: stands for a blank (____ or （ ）) in a folded stem, so that no bigram spans it
GAP = "\x00"
_PAREN_BLANK_RE = re.compile(r"[(（][\s\u3000]*[)）]")


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams, none spanning a GAP; a one-character text is its own bigram."""
    if len(text) == 1:
        return frozenset() if text == GAP else frozenset((text,))
    grams = set(map(sys.intern, map(str.__add__, text, text[1:])))  # interned: a bank shares most of its bigrams
    if GAP in text:
        grams = {g for g in grams if GAP not in g}
    return frozenset(grams)


@dataclass(eq=False)
class LintItem:
    """One record with the forms the rules compare. ``target`` items are reported on; the others are context."""

    index: int
    record: QuestionRecord
    #: NFKC, Simplified: for rules that read words and punctuation
    plain: str
    stem: str
    options: tuple[str, ...]
    explanation: str
    #: options as written, only width, script and spaces folded: 25MB/s and 25Mb/s differ, so do 1‰ and 1%
    exact_options: tuple[str, ...]
    #: fill-in: the folded alternatives of each blank
    blanks: tuple[tuple[str, ...], ...]
    group: str | None = None
    target: bool = True

    @property
    def key(self) -> str:
        return self.record.key

    @property
    def type(self) -> QuestionType:
        return self.record.type

    @cached_property
    def keyed(self) -> tuple[int, ...]:
        """Positions of the keyed options."""
        if not self.type.is_choice:
            return ()
        return tuple(OPTION_LETTERS.index(x) for x in self.record.answer)

    @cached_property
    def stem_grams(self) -> frozenset[str]:
        return bigrams(self.stem)

    @cached_property
    def explanation_grams(self) -> frozenset[str]:
        return bigrams(self.explanation)

    @cached_property
    def option_grams(self) -> tuple[frozenset[str], ...]:
        return tuple(bigrams(o) for o in self.options)

    @cached_property
    def source_grams(self) -> frozenset[str]:
        """Stem and explanation: what a candidate reads (and may learn another item's key from)."""
        return self.stem_grams | self.explanation_grams

    @cached_property
    def doc_grams(self) -> frozenset[str]:
        """Stem and options: what two near-duplicates share."""
        return self.stem_grams.union(*self.option_grams)

    @cached_property
    def fingerprint(self) -> str:
        return stem_fingerprint(self.record.stem)


def prepare(records: Sequence[QuestionRecord], *, context: Sequence[QuestionRecord] = (),
            groups: Mapping[str, str] | None = None) -> list[LintItem]:
    """``records`` (the targets) then ``context`` as LintItems, every text folded in one batch."""
    groups = groups or {}
    everything = [*records, *context]
    texts: list[str] = []
    spans = []
    for r in everything:
        start = len(texts)
        texts.append(BLANK_RE.sub(GAP, _PAREN_BLANK_RE.sub(GAP, r.stem)))
        texts.extend(r.options)
        texts.append(r.explanation)
        if r.type is QuestionType.FILL_BLANK:
            texts.extend(alt for alts in r.answer for alt in alts)
        spans.append(start)
    folded = fold_many(texts)
    plain_lines = _plain([r.stem for r in everything])
    exact = iter(_EXACT_SPACES.sub("", o).strip(_EXACT_ENDS) for o in _plain([o for r in everything for o in r.options]))
    items = []
    for i, (r, start) in enumerate(zip(everything, spans, strict=True)):
        pos = start + 1
        options = tuple(folded[pos:pos + len(r.options)])
        pos += len(r.options)
        explanation = folded[pos]
        pos += 1
        blanks: list[tuple[str, ...]] = []
        if r.type is QuestionType.FILL_BLANK:
            for alts in r.answer:
                blanks.append(tuple(folded[pos:pos + len(alts)]))
                pos += len(alts)
        items.append(LintItem(index=i, record=r, plain=plain_lines[i], stem=folded[start], options=options,
                              exact_options=tuple(next(exact) for _ in r.options),
                              explanation=explanation, blanks=tuple(blanks), group=groups.get(r.key),
                              target=i < len(records)))
    return items


_EXACT_SPACES = re.compile(r"\s+")
_EXACT_ENDS = "。．.，,；;、:：!！?？"


def _plain(texts: list[str]) -> list[str]:
    """NFKC and Simplified, one script conversion for all of ``texts``; line breaks become spaces."""
    lines = to_simplified("\n".join(_LINES.sub(" ", unicodedata.normalize("NFKC", t)) for t in texts)).split("\n")
    if len(lines) != len(texts):
        return [to_simplified(unicodedata.normalize("NFKC", t)) for t in texts]
    return lines


_LINES = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


@dataclass
class Corpus:
    """Items for the rules that compare pairs: document frequencies and which items' texts hold a bigram."""

    items: list[LintItem]
    df: Counter = field(default_factory=Counter)
    #: pairs already reported by an earlier rule (near-duplicates are not also reported as giving each other away)
    reported: set[frozenset[int]] = field(default_factory=set)

    @classmethod
    def build(cls, items: list[LintItem]) -> Corpus:
        corpus = cls(items)
        df = corpus.df
        for it in items:
            df.update(it.doc_grams | it.explanation_grams)
        return corpus

    @cached_property
    def sources(self) -> dict[str, list[int]]:
        """Bigram → the items whose stem or explanation holds it (what may give a key away)."""
        sources: dict[str, list[int]] = {}
        for it in self.items:
            for g in it.source_grams:
                sources.setdefault(g, []).append(it.index)
        return sources

    @cached_property
    def weights(self) -> dict[str, float]:
        """Bigram → its rarity across the items, the smoothed idf ln((1 + n) / (1 + df)) + 1: a bigram every item
        has weighs 1, one item's own ln(n) more (so that a handful of items still weigh their words)."""
        n = len(self.items) + 1
        return {g: math.log(n / (d + 1)) + 1 for g, d in self.df.items()}

    @cached_property
    def rank(self) -> dict[str, int]:
        """Bigram → its place in the global order, rarest first (ties by the bigram itself)."""
        return {g: r for r, g in enumerate(sorted(self.df, key=lambda g: (self.df[g], g)))}

    def idf(self, gram: str) -> float:
        return self.weights.get(gram, 0.0)

    def weight(self, grams: frozenset[str]) -> float:
        w = self.weights
        return sum(w[g] for g in grams)

    def weighted_cover(self, grams: frozenset[str], within: frozenset[str], total: float | None = None) -> float:
        """Share of ``grams`` found in ``within``, each bigram weighted by its rarity."""
        total = self.weight(grams) if total is None else total
        return self.weight(grams & within) / total if total else 0.0

    def rarest_first(self, grams: Iterable[str]) -> list[str]:
        """``grams`` rarest first; bigrams no stem, option or explanation holds (a fill-in answer's) come first."""
        rank = self.rank
        return sorted(grams, key=lambda g: rank.get(g, -1))

    def same_group(self, a: LintItem, b: LintItem) -> bool:
        """Questions in one enemy group never share a paper: whatever they share is no cue."""
        return a.group is not None and a.group == b.group


def cover(grams: frozenset[str], within: frozenset[str]) -> float:
    """Share of ``grams`` found in ``within`` (unweighted)."""
    return len(grams & within) / len(grams) if grams else 0.0
