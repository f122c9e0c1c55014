"""The bank linter (题库体检): the checks the best item writers apply, over QuestionRecords.

``lint(records)`` runs every rule in ``RULES`` and returns a ``LintReport``: findings (rule, item key, reason
in Chinese) and the bank-wide rates beside their chance levels. ``context`` records are compared with
``records`` (an import against the bank, one question against the rest) but not reported on.
Framework-free like the rest of ``question_bank``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from question_bank.allocations import no_cycle_collection
from question_bank.lint import item_rules, pair_rules  # noqa: F401  (the rules register themselves)
from question_bank.lint.core import RULES, Finding, Rate, Rule
from question_bank.lint.prepare import Corpus, prepare
from question_bank.records import QuestionRecord

__all__ = ["RULES", "Finding", "LintReport", "Rate", "Rule", "lint"]

#: up to this many targets, pairs are found by scanning the texts for each target's rarest bigrams rather than by
#: indexing every bigram of the context (one question against the bank: the same findings, much less work)
FEW_TARGETS = 3


@dataclass
class LintReport:
    """What the linter found over ``items`` records with the rules named in ``rules``."""

    items: int
    rules: tuple[str, ...]
    findings: list[Finding]
    rates: list[Rate]

    def by_rule(self) -> dict[str, list[Finding]]:
        """Every rule that ran → its findings (bank-wide ones first), in registry order."""
        grouped: dict[str, list[Finding]] = {name: [] for name in self.rules}
        for f in self.findings:
            grouped[f.rule].append(f)
        return grouped

    def for_key(self, key: str) -> list[Finding]:
        """The findings about one item, including pairs it is the other half of; within a rule, its pairs before
        the line saying how many more it has."""
        return self._in_item_order([f for f in self.findings if f.involves(key)])

    def by_key(self) -> dict[str, list[Finding]]:
        """Every key → its findings as ``for_key`` gives them, in one pass (for a caller asking about every item:
        10,000 calls of ``for_key`` scan every finding 10,000 times)."""
        grouped: dict[str, list[Finding]] = {}
        for f in self.findings:
            for k in dict.fromkeys((f.key,) if f.one_sided else (f.key, *f.related)):
                if k is not None:
                    grouped.setdefault(k, []).append(f)
        return {k: self._in_item_order(found) for k, found in grouped.items()}

    def _in_item_order(self, found: list[Finding]) -> list[Finding]:
        order = {name: n for n, name in enumerate(self.rules)}
        return sorted(found, key=lambda f: (order.get(f.rule, len(order)), not f.related))

    @property
    def flagged_rates(self) -> list[Rate]:
        return [r for r in self.rates if r.flagged]

    def to_json(self) -> dict[str, Any]:
        counts = {name: len(fs) for name, fs in self.by_rule().items()}
        return {
            "items": self.items,
            "rules": [{"name": n, "title": RULES[n].title, "advice": RULES[n].advice, "findings": counts[n]}
                      for n in self.rules],
            "rates": [r.to_json() for r in self.rates],
            "findings": [f.to_json() for f in self.findings],
        }


def lint(records: Sequence[QuestionRecord], *, context: Sequence[QuestionRecord] = (),
         groups: Mapping[str, str] | None = None, rules: Iterable[str] | None = None,
         same_stem: bool = True) -> LintReport:
    """Run the rules over ``records``; ``groups`` maps keys to enemy groups (pairs in one group are not reported;
    a key it lacks keeps its record's ``enemy_group``). With ``same_stem`` False, near-duplicates whose stems fold
    to the same fingerprint are not reported (an import's dry run lists them as duplicates already).

    Unknown rule names raise KeyError.
    """
    with no_cycle_collection():
        return _lint(records, context, groups, rules, same_stem)


def _lint(records: Sequence[QuestionRecord], context: Sequence[QuestionRecord], groups: Mapping[str, str] | None,
          rules: Iterable[str] | None, same_stem: bool) -> LintReport:
    selected = [RULES[name] for name in rules] if rules is not None else list(RULES.values())
    items = prepare(records, context=context, groups=groups)
    targets = [it for it in items if it.target]
    findings: list[Finding] = []
    for rule in selected:
        for it in targets:
            findings.extend(rule.check(it))
    pairwise = [rule for rule in selected if type(rule).check_corpus is not Rule.check_corpus]
    if pairwise and len(items) > 1 and targets:
        corpus = Corpus.build(items, lazy=len(targets) <= FEW_TARGETS < len(items), same_stem=same_stem)
        for rule in pairwise:
            findings.extend(rule.check_corpus(corpus))
    rates = [rate for rule in selected for rate in rule.rates(targets)]
    findings.extend(Finding(rate.rule, None, rate.reason) for rate in rates if rate.flagged)
    order = {rule.name: n for n, rule in enumerate(selected)}
    findings.sort(key=lambda f: (order[f.rule], f.key is not None, f.key or ""))
    return LintReport(len(targets), tuple(rule.name for rule in selected), findings, rates)


def format_report(report: LintReport) -> str:
    """The report as people read it in a terminal: rates beside chance, then findings grouped by rule."""
    lines = [f"题库体检: {report.items} 题, {len(report.findings)} 条发现"]
    if report.rates:
        lines.append("")
        lines.append("全库比例 (实际 / 随机):")
        for rate in report.rates:
            if rate.total:
                mark = "  ⚠ " if rate.flagged else "    "
                lines.append(f"{mark}{rate.label}: {rate.count}/{rate.total} = {rate.rate:.0%} / {rate.chance:.0%}"
                             f" (z = {rate.z:+.1f})")
    for name, found in report.by_rule().items():
        rule = RULES[name]
        lines.append("")
        lines.append(f"[{name}] {rule.title}: {len(found)} 条")
        for f in found:
            lines.append(f"  {f.key or '全库'}: {f.reason}")
        if found:
            lines.append(f"  建议: {rule.advice}")
    return "\n".join(lines)
