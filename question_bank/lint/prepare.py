"""Items as the rules read them: texts folded once (width, script, case, punctuation), bigrams, and the corpus
of pairs with its rarity weights and inverted indexes."""
from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from question_bank.lint.thresholds import NEAR_DUPLICATE, PAIR_CROWD
from question_bank.normalize import fold_many, stem_fingerprint, to_simplified
from question_bank.records import BLANK_RE, OPTION_LETTERS, QuestionRecord, QuestionType

#: stands for a blank (____ or （ ）) in a folded stem, so that no bigram spans it
GAP = "\x00"
_PAREN_BLANK_RE = re.compile(r"[(（][\s\u3000]*[)）]")


#: marks the "bigram" of a one-character text (选项「是」), so that it is told apart from a character in longer text
ONE = "\x01"


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams, none spanning a GAP; a one-character text has the one "bigram" ONE + itself."""
    if len(text) == 1:
        return frozenset() if text == GAP else frozenset((ONE + text,))
    grams = set(map(sys.intern, map(str.__add__, text, text[1:])))  # interned: a bank shares most of its bigrams
    if GAP in text:
        grams = {g for g in grams if GAP not in g}
    return frozenset(grams)


@dataclass(eq=False)
class LintItem:
    """One record with the forms the rules compare. ``target`` items are reported on; the others are context."""

    index: int
    record: QuestionRecord
    #: NFKC, Simplified stem: for rules that read words and punctuation (targets only)
    plain: str
    stem: str
    options: tuple[str, ...]
    explanation: str
    #: options as written, only width, script and spaces folded: 25MB/s and 25Mb/s differ, so do 1‰ and 1%
    #: (targets only)
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
    def doc_text(self) -> str:
        """Stem and options in one string: a bigram is in ``doc_grams`` exactly when it is a substring of this."""
        return _joined((self.stem, *self.options))

    @cached_property
    def source_text(self) -> str:
        """Stem and explanation in one string (``source_grams`` as a substring test)."""
        return _joined((self.stem, self.explanation))

    @cached_property
    def df_text(self) -> str:
        """Stem, options and explanation in one string (what document frequencies count)."""
        return _joined((self.stem, *self.options, self.explanation))

    @cached_property
    def fingerprint(self) -> str:
        return stem_fingerprint(self.record.stem)


def _joined(parts: Iterable[str]) -> str:
    parts = list(parts)
    return GAP.join(parts) + "".join(GAP + ONE + p for p in parts if len(p) == 1 and p != GAP)


def prepare(records: Sequence[QuestionRecord], *, context: Sequence[QuestionRecord] = (),
            groups: Mapping[str, str] | None = None) -> list[LintItem]:
    """``records`` (the targets) then ``context`` as LintItems, every text folded in one batch. An item's
    enemy group is ``groups[key]`` when the mapping has the key (the database's word), else the record's own."""
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
    # what only the item rules read, so only the targets need it
    plain_lines = _plain([r.stem for r in records])
    exact = iter(_EXACT_SPACES.sub("", o).strip(_EXACT_ENDS) for o in _plain([o for r in records for o in r.options]))
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
        target = i < len(records)
        items.append(LintItem(index=i, record=r, plain=plain_lines[i] if target else "", stem=folded[start],
                              options=options, exact_options=tuple(next(exact) for _ in r.options) if target else (),
                              explanation=explanation, blanks=tuple(blanks), group=groups.get(r.key, r.enemy_group or None),
                              target=target))
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
    """Items for the rules that compare pairs: document frequencies (df) of bigrams and rarity weights (idf).

    A full corpus counts every item's bigrams and indexes them. A ``lazy`` one, for a few targets against a
    large context (one question's page), counts only the bigrams asked about, by scanning the items' texts:
    the same numbers, without reading every bigram of the bank.
    """

    items: list[LintItem]
    lazy: bool = False
    #: near-duplicates with the same stem fingerprint are reported (an import's dry run lists them as duplicates)
    same_stem: bool = True
    #: the near-duplicate threshold, once that rule has run: near-duplicates are not also reported as giving each
    #: other away
    near_duplicates: float | None = None

    @classmethod
    def build(cls, items: list[LintItem], *, lazy: bool = False, same_stem: bool = True) -> Corpus:
        return cls(items, lazy, same_stem)

    def near_duplicate(self, a: LintItem, b: LintItem) -> bool:
        """Whether the near-duplicate rule ran and ``a`` and ``b`` reach its threshold (reported or not)."""
        t = self.near_duplicates
        return t is not None and similarity(a.doc_grams, b.doc_grams) >= t

    @cached_property
    def targets(self) -> list[LintItem]:
        return [it for it in self.items if it.target]

    @cached_property
    def _counts(self) -> dict[str, int]:
        if self.lazy:
            return _Scanned(self.items, self._chars)
        counts: Counter = Counter()
        for it in self.items:
            counts.update(it.doc_grams | it.explanation_grams)
        return counts

    def df(self, gram: str) -> int:
        """How many items hold ``gram`` in their stem, options or explanation."""
        return self._counts[gram]

    @cached_property
    def _idf(self) -> dict[str, float]:
        return {}

    def idf(self, gram: str) -> float:
        """The smoothed idf ln((1 + n) / (1 + df)) + 1: a bigram every item has weighs 1, one item's own ln(n)
        more (so that a handful of items still weigh their words)."""
        w = self._idf.get(gram)
        if w is None:
            w = self._idf[gram] = math.log((len(self.items) + 1) / (self.df(gram) + 1)) + 1
        return w

    @cached_property
    def _all_idf(self) -> dict[str, float]:
        """The idf of every counted bigram (a full corpus)."""
        n = len(self.items) + 1
        return {g: math.log(n / (d + 1)) + 1 for g, d in self._counts.items()}

    def weight(self, grams: Iterable[str]) -> float:
        if not self.lazy:
            known = self._all_idf
            try:
                return sum(map(known.__getitem__, grams))
            except KeyError:  # a bigram no item's texts hold (a fill-in answer's): added in the same order
                return sum(known[g] if g in known else self.idf(g) for g in grams)
        idf = self.idf
        return sum(idf(g) for g in grams)

    def weighted_cover(self, grams: frozenset[str], within: frozenset[str]) -> float:
        """Share of ``grams`` found in ``within``, each bigram weighted by its rarity."""
        total = self.weight(grams)
        return self.weight(grams & within) / total if total else 0.0

    @cached_property
    def rank(self) -> dict[str, int]:
        """Bigram → its place in the global order, rarest first (ties by the bigram itself); full corpus only."""
        counts = self._counts
        return {g: r for r, g in enumerate(sorted(counts, key=lambda g: (counts[g], g)))}

    def rarity(self, gram: str) -> int:
        """Orders bigrams rarest first: the document frequency, or in a lazy corpus the count of the bigram's
        commoner character (an order only decides which bigrams are probed first, never what is found)."""
        if not self.lazy:
            return self._counts.get(gram, 0)
        chars = self._chars
        return chars.get(gram[1], 0) if gram[0] == ONE else min(chars.get(gram[0], 0), chars.get(gram[1], 0))

    @cached_property
    def _chars(self) -> Counter:
        return Counter("".join(it.df_text for it in self.items))

    def rarest_first(self, grams: Iterable[str]) -> list[str]:
        """``grams`` rarest first (ties by the bigram); bigrams no item's texts hold (a fill-in answer's) first."""
        if self.lazy:
            return sorted(grams, key=lambda g: (self.rarity(g), g))
        rank = self.rank
        return sorted(grams, key=lambda g: (rank.get(g, -1), g))

    @cached_property
    def doc_prefixes(self) -> list[list[str]]:
        """Each item's rarest stem-and-option bigrams, ``|s| − ⌈t|s|⌉ + 1`` of its ``|s|`` for the near-duplicate
        threshold t: two items reaching t share one of them; full corpus only."""
        rank, t = self.rank, NEAR_DUPLICATE
        out = []
        for it in self.items:
            grams = sorted(it.doc_grams, key=rank.__getitem__)
            out.append(grams[:len(grams) - max(math.ceil(t * len(grams) - 1e-9), 1) + 1])
        return out

    @cached_property
    def doc_postings(self) -> dict[str, list[int]]:
        """Bigram → the items whose ``doc_prefixes`` hold it, in the items' order."""
        postings: dict[str, list[int]] = {}
        for i, prefix in enumerate(self.doc_prefixes):
            for g in prefix:
                postings.setdefault(g, []).append(i)
        return postings

    @cached_property
    def crowded(self) -> frozenset[int]:
        """Targets in a crowd of near-copies: the items whose ``doc_prefixes`` share a bigram with theirs, counted
        once per bigram, are more than ``PAIR_CROWD``. The pair rules judge such an item against its first
        ``PAIR_CANDIDATES`` candidates only (``partners``); full corpus only."""
        postings = self.doc_postings
        return frozenset(i for i, (it, prefix) in enumerate(zip(self.items, self.doc_prefixes, strict=True))
                         if it.target and sum(len(postings[g]) for g in prefix) > PAIR_CROWD)

    @cached_property
    def sources(self) -> dict[str, list[int]]:
        """Bigram → the items whose stem or explanation holds it (what may give a key away); full corpus only."""
        sources: dict[str, list[int]] = {}
        for it in self.items:
            for g in it.source_grams:
                sources.setdefault(g, []).append(it.index)
        return sources

    def same_group(self, a: LintItem, b: LintItem) -> bool:
        """Questions in one enemy group never share a paper: whatever they share is no cue."""
        return a.group is not None and a.group == b.group


class _Scanned(dict):
    """Bigram → how many items hold it, each counted when first asked for: only the texts holding the bigram's
    rarer character (found once per character) are searched."""

    def __init__(self, items: list[LintItem], chars: Counter) -> None:
        super().__init__()
        self.texts = [it.df_text for it in items]
        self.chars = chars
        self.holders: dict[str, list[int]] = {}

    def _holding(self, ch: str) -> list[int]:
        found = self.holders.get(ch)
        if found is None:
            found = self.holders[ch] = [i for i, t in enumerate(self.texts) if ch in t]
        return found

    def __missing__(self, gram: str) -> int:
        texts = self.texts
        n = self[gram] = sum(gram in texts[i] for i in self._holding(min(gram, key=lambda c: self.chars.get(c, 0))))
        return n


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two bigram sets; 0 when either is empty."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def cover(grams: frozenset[str], within: frozenset[str]) -> float:
    """Share of ``grams`` found in ``within`` (unweighted)."""
    return len(grams & within) / len(grams) if grams else 0.0
