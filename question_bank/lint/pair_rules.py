"""Rules that compare items with each other: near-duplicates, and one item giving another's key away.

Both use inverted indexes of character bigrams with prefix filtering, so that only pairs that can reach the
threshold are ever compared, and both list at most ``PAIR_PARTNERS`` partners per item (``partners``): the whole
bank is checked without comparing every pair, even when it is full of near-copies.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import cached_property, partial

from question_bank.lint import thresholds as T
from question_bank.lint.core import Finding, Rule, register, short
from question_bank.lint.partners import Walk, first_in_order, judged, scanned_partners, similar_partners, walk
from question_bank.lint.prepare import GAP, Corpus, LintItem, bigrams, cover
from question_bank.records import QuestionType

CAP = T.PAIR_PARTNERS


@register
class NearDuplicate(Rule):
    name = "near-duplicate"
    title = "近似重复"
    advice = "删去或改写其中一题; 有意保留的平行题放进同一互斥组 (同一份试卷不会同时出现)。"

    def check_corpus(self, corpus: Corpus) -> Iterator[Finding]:
        corpus.near_duplicates = T.NEAR_DUPLICATE
        items = corpus.items

        def accept(a: LintItem, b: LintItem) -> bool:
            return not corpus.same_group(a, b) and (corpus.same_stem or a.fingerprint != b.fingerprint)

        walks = (scanned_partners if corpus.lazy else similar_partners)(corpus, T.NEAR_DUPLICATE, accept)
        listed = {x: {y for y, _ in w.listed} for x, w in walks.items()}
        for x, w in walks.items():
            a = items[x]
            for y, sim in w.listed:
                b = items[y]
                if not b.target:
                    yield self._pair(a, b, sim)
                elif x in listed[y]:  # both show the pair: one finding, on both
                    if x < y:
                        yield self._pair(a, b, sim)
                else:
                    yield self._pair(a, b, sim, one_sided=True)
            if w.more:
                yield self.finding(a.key, f"{a.key} 还与{_more(w)}近似重复 (只列出前 {CAP} 题)")
        yield from _crowd_note(self, corpus, "近似重复")

    def _pair(self, a: LintItem, b: LintItem, sim: float, one_sided: bool = False) -> Finding:
        same = ", 题干相同" if a.fingerprint == b.fingerprint else ""
        return self.finding(a.key, f"{a.key} 与 {b.key} 近似重复 (题干与选项相似度 {sim:.0%}{same})", (b.key,), one_sided)


def _more(w: Walk) -> str:
    """The partners an item does not show: how many, or (a crowded item's walk was cut short) that there are more."""
    return "更多题目" if w.cut else f"另外 {w.more} 题"


def _crowd_note(rule: Rule, corpus: Corpus, what: str) -> Iterator[Finding]:
    """One finding on the whole set when crowded items were judged against their first candidates only."""
    if not corpus.lazy and (crowded := len(corpus.crowded)):
        yield rule.finding(None, f"{crowded} 题与大量题目字面相近 (成批的近似题): 每题只与排在前面的 {T.PAIR_CANDIDATES} 题"
                                 f"比对是否{what}, 其余未逐一比对")


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
            held = self.corpus.weight(common)
            # every weight is at least 1: the missing bigrams weigh at least their number
            if missing * T.GIVEAWAY_STATEMENT > (1 - T.GIVEAWAY_STATEMENT) * held:
                return False
            return held >= T.GIVEAWAY_STATEMENT * self.stem_weight
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
        """Each target shows the first texts giving its key away and the first keys its texts give away; a pair is
        shown on both items when each shows it (or the other is context), else on the one that does."""
        items = corpus.items
        keys, texts = (_scanned_giveaways if corpus.lazy else _indexed_giveaways)(corpus)
        on_key = {q: {p for p, _ in w.listed} for q, w in keys.items()}
        on_text = {p: {q for q, _ in w.listed} for p, w in texts.items()}
        pairs = {(q, p): detail for q, w in keys.items() for p, detail in w.listed}
        for p, w in texts.items():
            for q, detail in w.listed:
                pairs.setdefault((q, p), detail)
        for (q, p), (part, strength) in sorted(pairs.items()):
            a, b = items[q], items[p]
            reason = self._reason(a, b, part, strength)
            shown_on_key = not a.target or p in on_key[q]
            shown_on_text = not b.target or q in on_text[p]
            if shown_on_key and shown_on_text:
                yield self.finding(a.key, reason, (b.key,))
            elif shown_on_key:
                yield self.finding(a.key, reason, (b.key,), one_sided=True)
            else:
                yield self.finding(b.key, reason, (a.key,), one_sided=True)
        for x in sorted(keys.keys() | texts.keys()):
            key = items[x].key
            if (w := keys.get(x)) and w.more:
                yield self.finding(key, f"还有{_more(w)}的题干或解析含有 {key} 的答案 (只列出前 {CAP} 题)")
            if (w := texts.get(x)) and w.more:
                yield self.finding(key, f"{key} 的题干或解析还含有{_more(w)}的答案 (只列出前 {CAP} 题)")
        yield from _crowd_note(self, corpus, "泄露答案")

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


def _verdict(corpus: Corpus, t: _Target, p: LintItem) -> tuple[str, float] | None:
    """Whether the stem or explanation of ``p`` gives ``t``'s key away: (where, how strongly), or None; also None
    for near-duplicates once that rule has run (it reports them)."""
    q = t.item
    if p is q or corpus.same_group(q, p) or not t.may_be_given_by(p):
        return None
    for part, grams in (("题干", p.stem_grams), ("解析", p.explanation_grams)):
        strength = _gives_away(t, grams)
        if strength is not None:
            return None if corpus.near_duplicate(q, p) else (part, strength)
    return None


def _verdict_on(corpus: Corpus, t: _Target, p: int) -> tuple[str, float] | None:
    return _verdict(corpus, t, corpus.items[p])


def _holding(lists: list[list[int]], needed: int) -> Iterable[int]:
    """The items in at least ``needed`` of ``lists`` (any, for 0 or 1)."""
    if needed <= 1:
        return set().union(*lists)
    counts: Counter = Counter()
    for p in lists:
        counts.update(p)
    return [i for i, n in counts.items() if n >= needed]


def _holds(t: _Target, p: LintItem) -> bool:
    """Whether ``p``'s stem and explanation hold enough of ``t``'s probe bigrams to be worth judging."""
    probe, needed = t.probe
    return needed <= 1 or len(probe & p.source_grams) >= needed


def _indexed_giveaways(corpus: Corpus) -> tuple[dict[int, Walk], dict[int, Walk]]:
    """For every target whose key can be given away, the texts that do (from the index of every stem and
    explanation); then for every target, the keys its texts give away. A key that judged all its candidates hands
    the texts their verdicts; a text judges only the keys that were cut short (crowded) and the context's keys (from
    an index of their probes), so each candidate pair of a normal bank is judged once. A crowded text has what the
    keys' walks found about it."""
    items = corpus.items
    targets = {q.index: t for q in items if (t := _target(corpus, q)) is not None}
    sources = corpus.sources
    crowded = corpus.crowded
    limit = T.PAIR_CANDIDATES
    keys: dict[int, Walk] = {}
    known: dict[int, list[tuple[int, tuple[str, float]]]] = {}
    found: dict[int, list[tuple[int, tuple[str, float]]]] = {}
    for q, t in targets.items():
        if not items[q].target:
            continue
        probe, needed = t.probe
        lists = [sources[g] for g in probe if g in sources]
        verdict = partial(_verdict_on, corpus, t)
        if q in crowded:  # its first texts sharing a probe bigram; those holding too few of them judged at once
            first = first_in_order(lists, limit + 1)
            w = walk([(p, None if len(probe & items[p].source_grams) >= needed else False) for p in first],
                     verdict, limit)
        else:
            w = judged(_holding(lists, needed), verdict)
        keys[q] = w
        for p, detail in w.found:
            if items[p].target:
                found.setdefault(p, []).append((q, detail))
                if not w.cut:
                    known.setdefault(p, []).append((q, detail))
    probes: dict[str, list[int]] = {}
    for q, t in targets.items():
        if not items[q].target or keys[q].cut:
            for g in t.probe[0]:
                probes.setdefault(g, []).append(q)
    texts: dict[int, Walk] = {}
    for p in corpus.targets:
        if p.index in crowded:  # what the keys' walks found, without a search of its own
            texts[p.index] = Walk(found.get(p.index, []), cut=True)
            continue
        if not probes:  # every key judged all its candidates (a normal bank, no context)
            texts[p.index] = Walk(known.get(p.index, []))
            continue
        asked = _holding([probes[g] for g in p.source_grams if g in probes], 0) if probes else ()
        texts[p.index] = judged((q for q in asked if q != p.index and _holds(targets[q], p)),
                                lambda q, p=p: _verdict(corpus, targets[q], p), known.pop(p.index, ()))
    return keys, texts


def _scanned_giveaways(corpus: Corpus) -> tuple[dict[int, Walk], dict[int, Walk]]:
    """The same lists for a few targets, by scanning texts instead of indexing every bigram."""
    items = corpus.items
    cache: dict[int, _Target | None] = {}

    def target_of(q: LintItem) -> _Target | None:
        if q.index not in cache:
            cache[q.index] = _target(corpus, q)
        return cache[q.index]

    keys = {}
    for q in corpus.targets:
        if (t := target_of(q)) is not None:
            keys[q.index] = walk(((p.index, None) for p in t.scanned(items)),
                                 lambda j, t=t: _verdict(corpus, t, items[j]))
    texts = {}
    for p in corpus.targets:
        within = p.source_grams
        candidates = ((q.index, None) for q in items
                      if q is not p and _might_hold_key(q, within) and target_of(q) is not None)
        texts[p.index] = walk(candidates, lambda j, p=p: _verdict(corpus, cache[j], p))
    return keys, texts
