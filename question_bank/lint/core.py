"""The linter's vocabulary: findings, bank-wide rates, and the registry of rule classes."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from question_bank.lint.thresholds import RATE_MIN_GAP, RATE_MIN_ITEMS, RATE_Z

if TYPE_CHECKING:
    from question_bank.lint.prepare import Corpus, LintItem


@dataclass(frozen=True)
class Finding:
    """One thing a rule found: on an item (``key``), or on the whole set of items (``key`` None).

    ``related`` names the other items of a pair (near-duplicates, an item that gives another's key away);
    the reason names both, so it reads the same on either item's page. A ``one_sided`` pair is shown on
    ``key``'s item only: the other item already lists as many partners as an item shows
    (``thresholds.PAIR_PARTNERS``), and this one is not among them.
    """

    rule: str
    key: str | None
    reason: str
    related: tuple[str, ...] = ()
    one_sided: bool = False

    def involves(self, key: str) -> bool:
        return self.key == key or (not self.one_sided and key in self.related)

    def to_json(self) -> dict[str, Any]:
        out = {"rule": self.rule, "key": self.key, "reason": self.reason, "related": list(self.related)}
        if self.one_sided:
            out["one_sided"] = True
        return out


@dataclass(frozen=True)
class Rate:
    """A bank-wide rate beside its chance level: ``count`` of ``total`` items, where chance expects ``expected``.

    ``variance`` is that of the count under chance (a sum of independent Bernoulli trials, one per item,
    each with its own chance: a single choice of 5 options is keyed B with 1/5, one of 4 with 1/4).
    ``sides`` 1 flags only a rate above chance, 2 either way.
    """

    rule: str
    label: str
    count: int
    total: int
    expected: float
    variance: float
    sides: int = 2

    @property
    def rate(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def chance(self) -> float:
        return self.expected / self.total if self.total else 0.0

    @property
    def z(self) -> float:
        if self.variance <= 0:
            return 0.0
        return (self.count - self.expected) / math.sqrt(self.variance)

    @property
    def flagged(self) -> bool:
        """Far enough from chance to be a cue test-wise candidates can learn (thresholds in ``thresholds``)."""
        if self.total < RATE_MIN_ITEMS:
            return False
        gap = self.rate - self.chance
        if self.sides == 1 and gap <= 0:
            return False
        return abs(self.z) >= RATE_Z and abs(gap) >= RATE_MIN_GAP

    @property
    def reason(self) -> str:
        side = "高于" if self.rate > self.chance else "低于"
        return (f"{self.label}: {self.count}/{self.total} = {self.rate:.0%}, 随机应约 {self.chance:.0%} "
                f"({side}随机 {abs(self.z):.1f} 个标准差)")

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "label": self.label, "count": self.count, "total": self.total,
                "rate": round(self.rate, 4), "chance": round(self.chance, 4), "z": round(self.z, 2),
                "flagged": self.flagged}


def chance_rate(rule: str, label: str, hits: Iterable[tuple[bool, float]], sides: int = 2) -> Rate:
    """A Rate from (did it happen, its chance) per item."""
    count = total = 0
    expected = variance = 0.0
    for happened, p in hits:
        total += 1
        count += happened
        expected += p
        variance += p * (1 - p)
    return Rate(rule, label, count, total, expected, variance, sides)


class Rule:
    """A check the best item writers apply. Subclasses override any of the three hooks.

    ``check`` looks at one item; ``check_corpus`` at pairs of items (reporting only pairs that involve a
    target); ``rates`` at the whole set, each rate beside its chance level.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    advice: ClassVar[str] = ""

    def check(self, item: LintItem) -> Iterable[Finding]:
        return ()

    def check_corpus(self, corpus: Corpus) -> Iterable[Finding]:
        return ()

    def rates(self, items: Sequence[LintItem]) -> Iterable[Rate]:
        return ()

    def finding(self, key: str | None, reason: str, related: Iterable[str] = (), one_sided: bool = False) -> Finding:
        return Finding(self.name, key, reason, tuple(related), one_sided)


#: rule name → rule, in the order reports list them
RULES: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator adding one instance of a rule to ``RULES``."""
    if not cls.name or cls.name in RULES:
        raise ValueError(f"rule name {cls.name!r} missing or taken")
    RULES[cls.name] = cls()
    return cls


def short(text: str, limit: int = 24) -> str:
    """A quote short enough for a one-line reason."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
