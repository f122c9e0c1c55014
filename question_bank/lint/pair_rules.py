"""Rules that compare items with each other: near-duplicates, and one item giving another's key away.

Both use inverted indexes of character bigrams with prefix filtering, so that only pairs that can reach the
threshold are ever compared: the whole bank is checked without comparing every pair.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from functools import cached_property

from question_bank.lint import thresholds as T
from question_bank.lint.core import Finding, Rule, register, short
from question_bank.lint.prepare import GAP, Corpus, LintItem, bigrams, cover
from question_bank.records import QuestionType


@register
class NearDuplicate(Rule):
    name = "near-duplicate"
    title = "近似重复"
    advice = "删去或改写其中一题; 有意保留的平行题放进同一互斥组 (同一份试卷不会同时出现)。"

    def check_corpus(self, corpus: Corpus) -> Iterator[Finding]:
        items = corpus.items
        pairs = _scanned_pairs if corpus.lazy else similar_pairs
        for i, j, similarity in pairs(corpus, T.NEAR_DUPLICATE):
            a, b = items[i], items[j]
            if corpus.same_group(a, b):
                continue
            corpus.reported.add(frozenset((i, j)))
            same = ", 题干相同" if a.fingerprint == b.fingerprint else ""
            yield self.finding(a.key, f"{a.key} 与 {b.key} 近似重复 (题干与选项相似度 {similarity:.0%}{same})", (b.key,))


def similar_pairs(corpus: Corpus, t: float) -> Iterator[tuple[int, int, float]]:
    """(i, j, Jaccard) for every pair with Jaccard ≥ t that involves a target (i the target, or the earlier of two).

    Prefix filtering: a pair reaching t shares one of the rarest ``|s| − ⌈t|s|⌉ + 1`` bigrams of each set.
    With many targets, a self-join in increasing size (PPJoin, Xiao et al. 2008): each pair is met once,
    from its larger side, sets are indexed by their shorter middle prefix, and at the first shared bigram
    the overlap still possible from the positions reached must reach ⌈t/(1+t)·(|x|+|y|)⌉.
    """
    items = corpus.items
    rank = corpus.rank
    sets = [it.doc_grams for it in items]
    ordered = [sorted(s, key=rank.__getitem__) for s in sets]  # every stem and option bigram is ranked
    sizes = [len(s) for s in ordered]
    share = t / (1 + t)
    targets = [i for i, it in enumerate(items) if it.target and sizes[i]]
    index: dict[str, list[tuple[int, int]]] = {}

    def probe(x: int, smaller_only: bool) -> Iterator[tuple[int, int, float]]:
        nx = sizes[x]
        low, high = t * nx, nx / t
        seen: set[int] = {x}
        for i, g in enumerate(ordered[x][:nx - _needed_of(nx, t) + 1]):
            for y, j in index.get(g, ()):
                if y in seen:
                    continue
                seen.add(y)
                ny = sizes[y]
                if ny < low or ny > high or not (items[x].target or items[y].target):
                    continue
                if not smaller_only and items[y].target and y < x:
                    continue  # met when y probed
                if 1 + min(nx - i - 1, ny - j - 1) < math.ceil(share * (nx + ny) - 1e-9):
                    continue
                common = len(sets[x] & sets[y])
                similarity = common / (nx + ny - common)
                if similarity >= t:
                    first, second = (x, y) if items[x].target and (x < y or not items[y].target) else (y, x)
                    yield first, second, similarity

    if len(targets) * 10 < len(items):  # a few targets against a large context: index all, probe the targets
        for y, grams in enumerate(ordered):
            for pos, g in enumerate(grams[:sizes[y] - _needed_of(sizes[y], t) + 1]):
                index.setdefault(g, []).append((y, pos))
        for x in targets:
            yield from probe(x, smaller_only=False)
        return
    for x in sorted(range(len(items)), key=sizes.__getitem__):
        nx = sizes[x]
        if not nx:
            continue
        yield from probe(x, smaller_only=True)
        for pos, g in enumerate(ordered[x][:nx - _needed_of(nx, 2 * share) + 1]):
            index.setdefault(g, []).append((x, pos))


def _scanned_pairs(corpus: Corpus, t: float) -> Iterator[tuple[int, int, float]]:
    """``similar_pairs`` for a few targets: a pair reaching t shares at least one of any
    ``|x| − ⌈t|x|⌉ + 1`` bigrams of the target x, so only the texts holding one of its rarest are compared."""
    items = corpus.items
    for x in corpus.targets:
        grams = corpus.rarest_first(x.doc_grams)
        nx = len(grams)
        if not nx:
            continue
        prefix = grams[:nx - _needed_of(nx, t) + 1]
        for y in items:
            if y is x or (y.target and y.index < x.index):
                continue
            text = y.doc_text
            if any(g in text for g in prefix):
                sy = y.doc_grams
                common = len(x.doc_grams & sy)
                similarity = common / (nx + len(sy) - common)
                if similarity >= t:
                    yield x.index, y.index, similarity


class _Target:
    """What gives one item's key away: the texts that must be found (``keys``, or the statement itself), and
    the bigrams a text must hold to be worth comparing (``probe``)."""

    def __init__(self, corpus: Corpus, item: LintItem, keys: list[list[tuple[frozenset[str], int]]],
                 distractors: list[tuple[frozenset[str], int]] = (), self_evident: bool = False) -> None:
        self.corpus = corpus
        self.item = item
        #: per key (choice) or blank (fill-in): its alternatives as (bigrams, how many must be found); none for
        #: a true/false statement, which is given away by being restated
        self.keys = keys
        #: a distractor found this much means the text lists the options rather than giving the key
        self.distractors = list(distractors)
        #: the key is long enough to give itself away without the stem's context
        self.self_evident = self_evident

    @cached_property
    def stem_weight(self) -> float:
        return self.corpus.weight(self.item.stem_grams)

    @cached_property
    def probe(self) -> tuple[set[str], int]:
        """Bigrams of which any text giving the key away holds at least the given number."""
        corpus = self.corpus
        if not self.keys:
            return set(_weighted_prefix(corpus, self.item.stem_grams, T.GIVEAWAY_STATEMENT)), 1
        if self.item.type.is_choice:
            keys = [alternatives[0][0] for alternatives in self.keys]
            hits = 2 if min(len(k) for k in keys) >= 3 else 1  # two of the rarest: far fewer candidates than one
            probes = [set(_prefix(corpus, k, T.GIVEAWAY_KEY_COVER, hits)) for k in keys]
        else:
            hits = 1
            probes = [{g for alt, _ in blank for g in _prefix(corpus, alt, T.GIVEAWAY_KEY_COVER)} for blank in self.keys]
        return min(probes, key=lambda p: sum(corpus.rarity(g) for g in p)), hits

    def candidates(self, postings: dict[str, list[int]]) -> set[int]:
        """The items of ``postings`` holding enough of the probe's bigrams."""
        probe, needed = self.probe
        if needed == 1:
            found: set[int] = set()
            for g in probe:
                found.update(postings.get(g, ()))
            return found
        hits: dict[int, int] = {}
        for g in probe:
            for i in postings.get(g, ()):
                hits[i] = hits.get(i, 0) + 1
        return {i for i, n in hits.items() if n >= needed}

    def scanned(self, items: list[LintItem]) -> Iterator[LintItem]:
        """The items whose stem and explanation hold enough of the probe's bigrams (by scanning their text)."""
        probe, needed = self.probe
        for p in items:
            text = p.source_text
            if sum(g in text for g in probe) >= needed:
                yield p

    def may_be_given_by(self, p: LintItem) -> bool:
        """A quick necessary test on the stem and explanation together."""
        within = p.source_grams
        if not self.keys:
            common = self.item.stem_grams & within
            missing = len(self.item.stem_grams) - len(common)
            # every weight is at least 1: the missing bigrams weigh at least their number
            if missing * T.GIVEAWAY_STATEMENT > (1 - T.GIVEAWAY_STATEMENT) * self.corpus.weight(common):
                return False
            return self.corpus.weight(common) >= T.GIVEAWAY_STATEMENT * self.stem_weight
        return all(any(len(g & within) >= need for g, need in alternatives) for alternatives in self.keys)


def _might_hold_key(q: LintItem, within: frozenset[str]) -> bool:
    """A necessary test for ``within`` holding ``q``'s key, read off the folded key texts without their bigrams:
    a text holding a share s of a key's m bigrams holds one of any m − ⌈s·m⌉ + 1 of them."""
    long_enough = T.GIVEAWAY_MIN_KEY_CHARS
    if q.type.is_choice:
        keys = [q.options[i] for i in q.keyed]
        return all(_might_cover(k, within) for k in keys if len(k) >= long_enough)
    if q.type is QuestionType.FILL_BLANK:
        return all(any(_might_cover(a, within) for a in alts) for alts in q.blanks
                   if any(len(a) >= long_enough for a in alts))
    return True


def _might_cover(text: str, within: frozenset[str]) -> bool:
    positions = len(text) - 1
    if GAP in text or positions < 1:
        return True
    wanted = positions - _needed_of(positions, T.GIVEAWAY_KEY_COVER) + 1  # the most a key this long needs
    seen: set[str] = set()
    for i in range(positions):
        g = text[i:i + 2]
        if g in within:
            return True
        seen.add(g)
        if len(seen) >= wanted:
            return False
    return False


def _needed(grams: frozenset[str], share: float) -> int:
    return _needed_of(len(grams), share)


def _needed_of(count: int, share: float) -> int:
    return max(math.ceil(share * count - 1e-9), 1)


def _prefix(corpus: Corpus, grams: frozenset[str], share: float, hits: int = 1) -> list[str]:
    """The rarest bigrams of ``grams`` of which any text holding ``share`` of ``grams`` holds ``hits``."""
    ordered = corpus.rarest_first(grams)
    return ordered[:len(ordered) - _needed(grams, share) + hits]


def _weighted_prefix(corpus: Corpus, grams: frozenset[str], share: float) -> list[str]:
    """Like ``_prefix`` for a share of idf weight: the rarest bigrams carrying more than 1 − share of it."""
    ordered = corpus.rarest_first(grams)
    total = corpus.weight(grams)
    out, acc = [], 0.0
    for g in ordered:
        out.append(g)
        acc += corpus.idf(g)
        if acc > (1 - share) * total + 1e-9:
            break
    return out


def _target(corpus: Corpus, it: LintItem) -> _Target | None:
    long_enough = T.GIVEAWAY_MIN_KEY_CHARS
    if it.type.is_choice:
        keys = [it.option_grams[i] for i in it.keyed if len(it.options[i]) >= long_enough]
        if not keys or len(keys) < len(it.keyed) and it.type is QuestionType.SINGLE:
            return None
        distractors = [(g, _needed(g, T.GIVEAWAY_DISTRACTOR_COVER)) for i, g in enumerate(it.option_grams)
                       if i not in it.keyed and len(it.options[i]) >= long_enough]
        evident = min(len(it.options[i]) for i in it.keyed) >= T.GIVEAWAY_SELF_EVIDENT_CHARS
        return _Target(corpus, it, [[(k, _needed(k, T.GIVEAWAY_KEY_COVER))] for k in keys], distractors, evident)
    if it.type is QuestionType.FILL_BLANK:
        blanks = [[(g, _needed(g, T.GIVEAWAY_KEY_COVER)) for a in alts if len(a) >= long_enough and (g := bigrams(a))]
                  for alts in it.blanks]
        blanks = [b for b in blanks if b]
        return _Target(corpus, it, blanks) if blanks else None
    if it.type is QuestionType.TRUE_FALSE and it.stem_grams and len(it.stem) >= T.GIVEAWAY_MIN_STATEMENT_CHARS:
        return _Target(corpus, it, [])
    return None


def _gives_away(t: _Target, within: frozenset[str]) -> float | None:
    """How strongly a text (its bigrams ``within``) gives ``t``'s key away, or None when it does not."""
    q, corpus = t.item, t.corpus
    if not t.keys:  # a true/false statement, restated
        c = corpus.weight(q.stem_grams & within) / t.stem_weight
        return c if c >= T.GIVEAWAY_STATEMENT else None
    for alternatives in t.keys:
        if not any(len(g & within) >= need for g, need in alternatives):
            return None
    for d, limit in t.distractors:
        if len(d & within) >= limit:
            return None
    key_cover = min(max(cover(g, within) for g, _ in alternatives) for alternatives in t.keys)
    if t.self_evident and key_cover >= T.GIVEAWAY_SELF_EVIDENT_COVER:
        return key_cover
    if t.stem_weight and corpus.weight(q.stem_grams & within) >= T.GIVEAWAY_CONTEXT * t.stem_weight:
        return key_cover
    return None


@register
class Giveaway(Rule):
    name = "giveaway"
    title = "题目之间泄露答案"
    advice = "改写泄露答案的题干或解析, 或把两题放进同一互斥组 (同一份试卷不会同时出现; 练习时解析仍会泄露)。"

    def check_corpus(self, corpus: Corpus) -> Iterator[Finding]:
        for t, p in (self._scanned(corpus) if corpus.lazy else self._indexed(corpus)):
            q = t.item
            if p is q or corpus.same_group(q, p) or frozenset((q.index, p.index)) in corpus.reported \
                    or not t.may_be_given_by(p):
                continue
            for part, grams in (("题干", p.stem_grams), ("解析", p.explanation_grams)):
                strength = _gives_away(t, grams)
                if strength is not None:
                    yield self.finding(q.key, self._reason(q, p, part, strength), (p.key,))
                    break

    @staticmethod
    def _indexed(corpus: Corpus) -> Iterator[tuple[_Target, LintItem]]:
        """Every (key, text) pair worth comparing, from inverted indexes: a target's key against every text,
        and every key against the targets' texts."""
        items = corpus.items
        if len(corpus.targets) == len(items):
            target_sources = corpus.sources
        else:
            target_sources = {}
            for it in corpus.targets:
                for g in it.source_grams:
                    target_sources.setdefault(g, []).append(it.index)
        for q in items:
            t = _target(corpus, q)
            if t is not None:
                for j in sorted(t.candidates(corpus.sources if q.target else target_sources)):
                    yield t, items[j]

    @staticmethod
    def _scanned(corpus: Corpus) -> Iterator[tuple[_Target, LintItem]]:
        """The same pairs for a few targets, by scanning texts instead of indexing every bigram."""
        for q in corpus.targets:
            t = _target(corpus, q)
            if t is not None:
                yield from ((t, p) for p in t.scanned(corpus.items))
        for q in corpus.items:
            if q.target:
                continue
            givers = [p for p in corpus.targets if _might_hold_key(q, p.source_grams)]
            if givers and (t := _target(corpus, q)) is not None:
                yield from ((t, p) for p in givers if t.may_be_given_by(p))

    @staticmethod
    def _reason(q: LintItem, p: LintItem, part: str, strength: float) -> str:
        r = q.record
        if q.type is QuestionType.TRUE_FALSE:
            return f"{p.key} 的{part}几乎复述了判断题 {q.key} 的陈述 (重合 {strength:.0%})"
        if q.type is QuestionType.FILL_BLANK:
            answer = "、".join(alts[0] for alts in r.answer)
            return f"{p.key} 的{part}含有 {q.key} 的填空答案「{short(answer, 20)}」"
        answer = "、".join(r.options[i] for i in q.keyed)
        return f"{p.key} 的{part}含有 {q.key} 的答案「{short(answer, 20)}」"
