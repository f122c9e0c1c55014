"""Test-wise cues in a set of questions: the measures a bank a trainer puts in front of candidates is held to.

A candidate who knows nothing can still score on a careless bank: by picking the longest option, by
calling every statement with 一定 or 所有 false, by never picking the option a writer habitually
leaves out of a multiple choice, by missing the 不 of a negative stem, or by ticking 以上都是.
``cue_report`` measures each of these; ``similar_stems`` finds pairs of questions about the same
fact, which then belong in one enemy group (互斥组) so that no paper carries both; ``scheme_points`` is
what a marker can award an open question.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from question_bank.lint.item_rules import absolute_words, negative_question
from question_bank.lint.words import ALL_NONE_RES
from question_bank.normalize import fold_text, to_simplified
from question_bank.records import OPTION_LETTERS, QuestionRecord, QuestionType
from question_bank.scheme import scheme_of


def _length(option: str) -> int:
    return len(re.sub(r"\s+", "", option))


def has_absolute_word(text: str) -> bool:
    """一定, 所有, 只要, 无需, 直接 … as the bank linter reads them (不一定, 一定金额 … do not count)."""
    return bool(absolute_words(text))


def _catch_all(option: str) -> bool:
    return any(p.match(fold_text(option)) for p in ALL_NONE_RES)


@dataclass
class CueReport:
    """Counts behind every cue rate; rates are properties so that tests can print the counts."""

    singles: int = 0
    #: single-choice items whose key is at least as long as every other option (ties count, options all
    #: of one length included: the strict reading of "the key is the longest option")
    key_longest: int = 0
    #: … strictly longer than every other option
    key_strictly_longest: int = 0
    #: … strictly shorter than every other option
    key_shortest: int = 0
    #: key letter → single-choice items keyed there
    single_positions: Counter = field(default_factory=Counter)
    true_statements: int = 0
    false_statements: int = 0
    #: true/false statements carrying an absolute word, by key
    absolute_true: int = 0
    absolute_false: int = 0
    multiples: int = 0
    #: letter → multiple-choice items leaving that option unkeyed; and → items offering that letter at all
    unkeyed_positions: Counter = field(default_factory=Counter)
    offered_positions: Counter = field(default_factory=Counter)
    #: keys of items whose stem asks for the wrong one without 【不】
    unemphasised_negatives: list[str] = field(default_factory=list)
    #: keys of items with an option such as 以上都是
    catch_all_options: list[str] = field(default_factory=list)

    @property
    def key_longest_rate(self) -> float:
        return self.key_longest / self.singles if self.singles else 0.0

    @property
    def absolute_true_rate(self) -> float:
        """Share of true statements that carry an absolute word."""
        return self.absolute_true / self.true_statements if self.true_statements else 0.0

    @property
    def absolute_false_rate(self) -> float:
        return self.absolute_false / self.false_statements if self.false_statements else 0.0

    def unkeyed_rate(self, letter: str) -> float:
        """How often an offered option at ``letter`` is left unkeyed in multiple choice."""
        offered = self.offered_positions[letter]
        return self.unkeyed_positions[letter] / offered if offered else 0.0

    def lines(self) -> list[str]:
        """The report as a trainer reads it."""
        singles = ", ".join(f"{k} {self.single_positions[k]}" for k in sorted(self.single_positions))
        unkeyed = ", ".join(f"{k} {self.unkeyed_positions[k]}/{self.offered_positions[k]}"
                            for k in sorted(self.offered_positions))
        return [
            f"单选题 {self.singles} 道: 答案不短于其他选项 {self.key_longest} ({self.key_longest_rate:.0%}), "
            f"答案比其他选项都长 {self.key_strictly_longest}, 答案最短 {self.key_shortest}; 答案位置 {singles}",
            f"判断题: 对 {self.true_statements}, 错 {self.false_statements}; 含绝对词 对 {self.absolute_true} "
            f"({self.absolute_true_rate:.0%}), 错 {self.absolute_false} ({self.absolute_false_rate:.0%})",
            f"多选题 {self.multiples} 道: 未选选项位置 (未选/出现) {unkeyed}",
            f"否定题干未标【不】: {len(self.unemphasised_negatives)} {self.unemphasised_negatives[:10]}",
            f"“以上都是”类选项: {len(self.catch_all_options)} {self.catch_all_options[:10]}",
        ]


def cue_report(records: Iterable[QuestionRecord]) -> CueReport:
    r = CueReport()
    for q in records:
        if q.type.is_choice and any(_catch_all(o) for o in q.options):
            r.catch_all_options.append(q.key)
        if q.type.is_choice and negative_question(q.stem):
            r.unemphasised_negatives.append(q.key)
        if q.type is QuestionType.SINGLE:
            r.singles += 1
            key = OPTION_LETTERS.index(q.answer[0])
            lengths = [_length(o) for o in q.options]
            others = lengths[:key] + lengths[key + 1:]
            r.key_longest += lengths[key] >= max(others)
            r.key_strictly_longest += lengths[key] > max(others)
            r.key_shortest += lengths[key] < min(others)
            r.single_positions[q.answer[0]] += 1
        elif q.type is QuestionType.MULTIPLE:
            r.multiples += 1
            for letter in OPTION_LETTERS[: len(q.options)]:
                r.offered_positions[letter] += 1
                r.unkeyed_positions[letter] += letter not in q.answer
        elif q.type is QuestionType.TRUE_FALSE:
            absolute = has_absolute_word(q.stem)
            if q.answer:
                r.true_statements += 1
                r.absolute_true += absolute
            else:
                r.false_statements += 1
                r.absolute_false += absolute
    return r


_PUNCT = re.compile(r"[\s\W_]+")


def _grams(text: str, n: int = 3) -> set[str]:
    t = _PUNCT.sub("", to_simplified(text))
    return {t[i:i + n] for i in range(len(t) - n + 1)}


def key_text(q: QuestionRecord) -> str:
    """The words that answer ``q``: the keyed options, the accepted fill-ins, a true statement itself."""
    if q.type.is_choice:
        return " ".join(q.options[OPTION_LETTERS.index(a)] for a in q.answer)
    if q.type is QuestionType.FILL_BLANK:
        return " ".join(b[0] for b in q.answer)
    if q.type is QuestionType.TRUE_FALSE and q.answer:
        return q.stem
    return ""


def similar_stems(records: list[QuestionRecord], threshold: float = 0.5) -> list[tuple[float, str, str]]:
    """Pairs of questions (not already in one enemy group) whose stem and answer share most of their words:
    (similarity, key, key), most similar first. Each text's 3-grams are compared against the other's
    (the share of the shorter text found in the longer one)."""
    grams = [_grams(q.stem + key_text(q)) for q in records]
    holders: dict[str, list[int]] = {}
    for i, g in enumerate(grams):
        for gram in g:
            holders.setdefault(gram, []).append(i)
    out = []
    for i, g in enumerate(grams):
        shared: Counter = Counter(j for gram in g for j in holders[gram] if j > i)
        for j, n in shared.items():
            a, b = records[i], records[j]
            if a.enemy_group and a.enemy_group == b.enemy_group:
                continue
            share = n / min(len(g), len(grams[j]))
            if share >= threshold:
                out.append((round(share, 3), a.key, b.key))
    return sorted(out, reverse=True)


def scheme_points(q: QuestionRecord) -> float | None:
    """The points a marker can award ``q`` as the marking pages read its scheme (``question_bank.scheme``): the
    scheme's total, or for an answer marked with one total ("答出任意 5 项，每项1分，共5分") the total it states."""
    scheme = scheme_of(q.answer if isinstance(q.answer, str) else "", q.explanation)
    if scheme is not None:
        return scheme.total
    m = _STATED_TOTAL.search(q.answer) if isinstance(q.answer, str) else None
    return float(m.group(1)) if m else None


_STATED_TOTAL = re.compile(r"共\s*(\d+(?:\.\d+)?)\s*分")
