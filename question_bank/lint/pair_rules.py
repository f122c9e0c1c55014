"""Rules that compare items with each other: near-duplicates, and one item giving another's key away.

Both use inverted indexes of character bigrams with prefix filtering, so that only pairs that can reach the
threshold are ever compared: the whole bank is checked without comparing every pair.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from question_bank.lint import thresholds as T
from question_bank.lint.core import Finding, Rule, register, short
from question_bank.lint.prepare import Corpus, LintItem, bigrams, cover
from question_bank.records import QuestionType


@register
class NearDuplicate(Rule):
    name = "near-duplicate"
    title = "近似重复"
    advice = "删去或改写其中一题; 有意保留的平行题放进同一互斥组 (同一份试卷不会同时出现)。"

    def check_corpus(self, corpus: Corpus) -> Iterator[Finding]:
        items = corpus.items
        for i, j, similarity in similar_pairs(corpus, [it.doc_grams for it in items], T.NEAR_DUPLICATE):
            a, b = items[i], items[j]
            if corpus.same_group(a, b):
                continue
            corpus.reported.add(frozenset((i, j)))
            same = ", 题干相同" if a.fingerprint == b.fingerprint else ""
            yield self.finding(a.key, f"{a.key} 与 {b.key} 近似重复 (题干与选项相似度 {similarity:.0%}{same})", (b.key,))


def similar_pairs(corpus: Corpus, sets: list[frozenset[str]], t: float) -> Iterator[tuple[int, int, float]]:
    """(i, j, Jaccard) for every pair with Jaccard ≥ t that involves a target (i the target, or the earlier of two).

    Prefix filtering: a pair reaching t shares one of the rarest ``|s| − ⌈t|s|⌉ + 1`` bigrams of each set.
    With many targets, a self-join in increasing size (PPJoin, Xiao et al. 2008): each pair is met once,
    from its larger side, sets are indexed by their shorter middle prefix, and at the first shared bigram
    the overlap still possible from the positions reached must reach ⌈t/(1+t)·(|x|+|y|)⌉.
    """
    items = corpus.items
    rank = corpus.rank
    ordered = [sorted(s, key=lambda g: rank.get(g, -1)) for s in sets]
    sizes = [len(s) for s in ordered]
    share = t / (1 + t)
    targets = [i for i, it in enumerate(items) if it.target and sizes[i]]
    index: dict[str, list[tuple[int, int]]] = {}

    def probe(x: int, smaller_only: bool) -> Iterator[tuple[int, int, float]]:
        nx = sizes[x]
        low, high = t * nx, nx / t
        seen: set[int] = {x}
        for i, g in enumerate(ordered[x][:nx - math.ceil(t * nx) + 1]):
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
            for pos, g in enumerate(grams[:sizes[y] - math.ceil(t * sizes[y]) + 1]):
                index.setdefault(g, []).append((y, pos))
        for x in targets:
            yield from probe(x, smaller_only=False)
        return
    for x in sorted(range(len(items)), key=sizes.__getitem__):
        nx = sizes[x]
        if not nx:
            continue
        yield from probe(x, smaller_only=True)
        for pos, g in enumerate(ordered[x][:nx - math.ceil(2 * share * nx) + 1]):
            index.setdefault(g, []).append((x, pos))


@dataclass
class _Target:
    """What gives one item's key away: the texts that must be found, and the bigrams any finder must hold."""

    item: LintItem
    #: per key (choice) or blank (fill-in): its alternatives as (bigrams, how many must be found)
    keys: list[list[tuple[frozenset[str], int]]]
    #: a distractor found at least this much means the text lists the options rather than giving the key
    distractors: list[tuple[frozenset[str], int]]
    #: every text that gives the key away holds at least ``probe_hits`` of these
    probe: set[str]
    #: the key is long enough to give itself away without the stem's context
    self_evident: bool = False
    #: idf weight of the stem's bigrams
    stem_weight: float = 0.0
    probe_hits: int = 1

    def candidates(self, postings: dict[str, list[int]]) -> set[int]:
        """The items of ``postings`` holding enough of the probe's bigrams."""
        if self.probe_hits == 1:
            out: set[int] = set()
            for g in self.probe:
                out.update(postings.get(g, ()))
            return out
        hits: dict[int, int] = {}
        for g in self.probe:
            for i in postings.get(g, ()):
                hits[i] = hits.get(i, 0) + 1
        return {i for i, n in hits.items() if n >= self.probe_hits}


def _needed(grams: frozenset[str], share: float) -> int:
    return max(math.ceil(share * len(grams) - 1e-9), 1)


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
    stem_weight = corpus.weight(it.stem_grams)
    if it.type.is_choice:
        keys = [it.option_grams[i] for i in it.keyed if len(it.options[i]) >= long_enough]
        if not keys or len(keys) < len(it.keyed) and it.type is QuestionType.SINGLE:
            return None
        hits = 2 if min(len(k) for k in keys) >= 3 else 1  # two of the rarest: far fewer candidates than one
        probes = [_prefix(corpus, k, T.GIVEAWAY_KEY_COVER, hits) for k in keys]
        distractors = [(g, _needed(g, T.GIVEAWAY_DISTRACTOR_COVER)) for i, g in enumerate(it.option_grams)
                       if i not in it.keyed and len(it.options[i]) >= long_enough]
        evident = min(len(it.options[i]) for i in it.keyed) >= T.GIVEAWAY_SELF_EVIDENT_CHARS
        best = min(probes, key=lambda p: sum(corpus.df[g] for g in p))
        return _Target(it, [[(k, _needed(k, T.GIVEAWAY_KEY_COVER))] for k in keys], distractors, set(best), evident,
                       stem_weight, hits)
    if it.type is QuestionType.FILL_BLANK:
        blanks = [[g for a in alts if len(a) >= long_enough and (g := bigrams(a))] for alts in it.blanks]
        blanks = [b for b in blanks if b]
        if not blanks:
            return None
        probes = [{g for alt in b for g in _prefix(corpus, alt, T.GIVEAWAY_KEY_COVER)} for b in blanks]
        best = min(probes, key=lambda p: sum(corpus.df.get(g, 0) for g in p))
        return _Target(it, [[(a, _needed(a, T.GIVEAWAY_KEY_COVER)) for a in b] for b in blanks], [], best,
                       stem_weight=stem_weight)
    if it.type is QuestionType.TRUE_FALSE and stem_weight > 0 and len(it.stem) >= T.GIVEAWAY_MIN_STATEMENT_CHARS:
        return _Target(it, [], [], set(_weighted_prefix(corpus, it.stem_grams, T.GIVEAWAY_STATEMENT)),
                       stem_weight=stem_weight)
    return None


def _gives_away(corpus: Corpus, t: _Target, within: frozenset[str]) -> float | None:
    """How strongly a text (its bigrams ``within``) gives ``t``'s key away, or None when it does not."""
    q = t.item
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


def _may_give_away(corpus: Corpus, t: _Target, p: LintItem) -> bool:
    """A quick test on the stem and explanation together: can either give the key away at all?"""
    within = p.source_grams
    if not t.keys:
        return corpus.weight(t.item.stem_grams & within) >= T.GIVEAWAY_STATEMENT * t.stem_weight
    return any(len(g & within) >= need for g, need in t.keys[0])


@register
class Giveaway(Rule):
    name = "giveaway"
    title = "题目之间泄露答案"
    advice = "改写泄露答案的题干或解析, 或把两题放进同一互斥组 (同一份试卷不会同时出现; 练习时解析仍会泄露)。"

    def check_corpus(self, corpus: Corpus) -> Iterator[Finding]:
        items = corpus.items
        target_sources: dict[str, list[int]] = {}
        if all(it.target for it in items):
            target_sources = corpus.sources
        else:
            for it in items:
                if it.target:
                    for g in it.stem_grams | it.explanation_grams:
                        target_sources.setdefault(g, []).append(it.index)
        for q in items:
            t = _target(corpus, q)
            if t is None:
                continue
            for j in sorted(t.candidates(corpus.sources if q.target else target_sources)):
                p = items[j]
                if j == q.index or not _may_give_away(corpus, t, p) or corpus.same_group(q, p) \
                        or frozenset((q.index, j)) in corpus.reported:
                    continue
                for part, grams in (("题干", p.stem_grams), ("解析", p.explanation_grams)):
                    strength = _gives_away(corpus, t, grams)
                    if strength is not None:
                        yield self.finding(q.key, self._reason(q, p, part, strength), (p.key,))
                        break

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
