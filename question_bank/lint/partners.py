"""Partner lists of the rules that compare items in pairs, bounded per item.

Each item shows its first ``PAIR_PARTNERS`` partners in the items' order (the order ``lint`` was given them) and
how many more it has. Candidates are judged in that order, not in the order an index yields them, so an item's
list depends only on the item and the others: one question checked against the bank lists what the whole-bank
check lists about it (unless it is in a crowd, below: alone, it is compared with every question).

An item in a crowd of near-copies — a file of 10,000 items written from a few templates, where each item's rarest
bigrams are shared by hundreds of others — would be compared with hundreds of candidates that are alike but not
alike enough. Such an item (``Corpus.crowded``) is judged against its first ``PAIR_CANDIDATES`` candidates only,
and its walk ends at the first partner beyond those it shows: the cost stays a few comparisons per item.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

from question_bank.lint.prepare import Corpus, LintItem, similarity
from question_bank.lint.thresholds import PAIR_CANDIDATES, PAIR_PARTNERS


@dataclass
class Walk:
    """One item's partners as (index, detail) in the items' order: all of them, or up to one beyond the cap when
    the walk was ``cut`` short (a crowded item)."""

    found: list[tuple[int, Any]] = field(default_factory=list)
    cut: bool = False

    @property
    def listed(self) -> list[tuple[int, Any]]:
        """The partners an item shows."""
        return self.found[:PAIR_PARTNERS]

    @property
    def more(self) -> int:
        """Partners found beyond those shown (when ``cut``, there may be others)."""
        return max(len(self.found) - PAIR_PARTNERS, 0)


def judged(candidates: Iterable[int], verdict: Callable[[int], Any], known: Iterable[tuple[int, Any]] = ()) -> Walk:
    """Every candidate judged (an item that is not crowded: a few dozen), with the partners ``known`` already."""
    found = [*known, *((j, v) for j in candidates if (v := verdict(j)) is not None)]
    found.sort(key=itemgetter(0))
    return Walk(found)


def walk(candidates: Iterable[tuple[int, Any]], verdict: Callable[[int], Any], limit: int | None = None) -> Walk:
    """Judge ``candidates`` — (index, verdict already known: a partner's detail or False; or None), in the items'
    order; ``verdict(j)`` is a partner's detail or None. With a ``limit``, at most that many are judged and the walk
    ends at the first partner beyond those an item shows."""
    out = Walk()
    for n, (j, known) in enumerate(candidates):
        if limit is not None and (n == limit or len(out.found) > PAIR_PARTNERS):
            out.cut = True
            break
        v = verdict(j) if known is None else known
        if v is not None and v is not False:
            out.found.append((j, v))
    return out


def first_in_order(lists: Sequence[list[int]], count: int, start: int = 0, stop: int | None = None) -> list[int]:
    """The first ``count`` distinct items in [start, stop) of the increasing ``lists``: each is among the first
    ``count`` of its own list, so no list is read further."""
    if count <= 0:
        return []
    taken: set[int] = set()
    for p in lists:
        c = bisect_left(p, start) if start else 0
        e = len(p) if stop is None else bisect_left(p, stop, c)
        taken.update(p[c:min(e, c + count)])
    return sorted(taken)[:count]


def similar_partners(corpus: Corpus, t: float, accept: Callable[[LintItem, LintItem], bool]) -> dict[int, Walk]:
    """Each target's near-duplicates (Jaccard ≥ t, ``accept``ed) in the items' order.

    Prefix filtering: a pair reaching t shares one of the rarest ``|s| − ⌈t|s|⌉ + 1`` bigrams of each set, so each
    set is indexed by those (``Corpus.doc_prefixes``). Targets are walked in the items' order; a target that judged
    all its candidates hands its later partners their verdict, and a later target judges only the earlier ones
    that were cut short (crowded) and context items: each candidate pair of a normal bank is judged once, and only
    when the size and position filters of PPJoin (Xiao et al. 2008) let it through.
    """
    items = corpus.items
    sets = [it.doc_grams for it in items]
    prefixes = corpus.doc_prefixes
    every = corpus.doc_postings
    crowded = corpus.crowded
    context: dict[str, list[int]] = {}
    for y, it in enumerate(items):
        if not it.target:
            for g in prefixes[y]:
                context.setdefault(g, []).append(y)
    cut: dict[str, list[int]] = {}
    known: dict[int, list[tuple[int, float]]] = {}
    walks: dict[int, Walk] = {}

    def verdict(x: int) -> Callable[[int], float | None]:
        a, sx = items[x], sets[x]
        nx = len(sx)
        low = t * nx

        def judge(y: int) -> float | None:
            sy = sets[y]
            ny = len(sy)
            if ny < low or nx < t * ny:  # the similarity is at most the ratio of the sizes
                return None
            common = len(sx & sy)
            s = common / (nx + ny - common)
            return s if s >= t and accept(a, items[y]) else None
        return judge

    share = t / (1 + t)

    def candidates(x: int, prefix: list[str]) -> list[int]:
        """The later items and the earlier cut or context ones that share a prefix bigram with x and pass the size
        and position filters: at their first shared bigram (the first met, prefixes being read in order), the
        bigrams left in each set must still allow the overlap a similarity of t needs (PPJoin)."""
        nx = len(sets[x])
        low = t * nx
        seen: set[int] = set()
        out = []
        for i, g in enumerate(prefix):
            ys = every[g]
            met = [*(y for p in (cut.get(g), context.get(g)) if p for y in p[:bisect_left(p, x)]),
                   *ys[bisect_right(ys, x):]]
            for y in met:
                if y in seen:
                    continue
                seen.add(y)
                ny = len(sets[y])
                if ny < low or nx < t * ny:
                    continue
                if 1 + min(nx - i - 1, ny - prefixes[y].index(g) - 1) < math.ceil(share * (nx + ny) - 1e-9):
                    continue
                out.append(y)
        return out

    limit = PAIR_CANDIDATES
    for x, it in enumerate(items):
        prefix = prefixes[x]
        if not it.target or not prefix:
            continue
        mine = known.pop(x, ())
        if x in crowded:  # its first candidates only
            earlier_lists = [p for g in prefix for p in (cut.get(g), context.get(g)) if p]
            given = dict(mine)
            # one beyond the limit, so that the walk knows when it was cut short
            earlier = sorted(given.keys() | set(first_in_order(earlier_lists, limit + 1, stop=x)))[:limit + 1]
            later = first_in_order([every[g] for g in prefix], limit + 1 - len(earlier), start=x + 1)
            w = walks[x] = walk([(y, given.get(y)) for y in chain(earlier, later)], verdict(x), limit)
        else:
            w = walks[x] = judged(candidates(x, prefix), verdict(x), mine)
        if w.cut:
            for g in prefix:
                cut.setdefault(g, []).append(x)
        else:
            for y, s in w.found:
                if y > x and items[y].target:
                    known.setdefault(y, []).append((x, s))
    return walks


def scanned_partners(corpus: Corpus, t: float, accept: Callable[[LintItem, LintItem], bool]) -> dict[int, Walk]:
    """``similar_partners`` for a few targets: a pair reaching t shares at least one of any
    ``|x| − ⌈t|x|⌉ + 1`` bigrams of the target x, so only the texts holding one of its rarest are compared."""
    items = corpus.items
    walks = {}
    for x in corpus.targets:
        grams = corpus.rarest_first(x.doc_grams)
        nx = len(grams)
        if not nx:
            continue
        prefix = grams[:nx - max(math.ceil(t * nx - 1e-9), 1) + 1]

        def judge(j: int, x: LintItem = x) -> float | None:
            s = similarity(x.doc_grams, items[j].doc_grams)
            return s if s >= t and accept(x, items[j]) else None

        candidates = ((y.index, None) for y in items if y is not x and any(g in y.doc_text for g in prefix))
        walks[x.index] = walk(candidates, judge)
    return walks
