"""Score the text-dump parser against the hand-written gold files of tests/data/corpus/.

Each ``NN-name.txt`` has a ``NN-name.gold.json``: ``{"items": [...], "watermarks": [...]}``, one entry per
question a reader sees in the document, in order: ``shape`` (S1–S11 of shared/question-formats.md),
``type``, ``stem``, ``options`` (choices), ``answer`` (choice keys as letters ``"ABD"``, true/false as
``true``/``false``, fill-in as one string per blank, free text as a string; ``null`` for an item the
document cuts off, which must be skipped, never answered) and, where the document gives one,
``explanation``. ``watermarks`` are texts that must not survive anywhere in what is read.

A parsed item is paired with the gold item whose folded stem it resembles most (in document order).
It is *right* when type and key match; free text is compared folded (width, script, spaces and
punctuation), allowing 5 % for script conversion. An *invented* answer is one given to an item the
gold does not answer, or a key that differs from the gold's. A gold item that is missed must show up
in the report (skipped, or inside an item that carries a note); otherwise it was lost *silently*.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from question_bank.normalize import fold_text
from question_bank.records import QuestionType

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
#: how alike two folded stems must be to be the same question
_SAME_STEM = 0.6
#: free-text answers may differ this much (Traditional → Simplified vocabulary), no more
_SAME_TEXT = 0.95
_PROBE_CHARS = 12


@dataclass(frozen=True)
class Gold:
    doc: str
    index: int
    shape: str
    type: QuestionType
    stem: str
    options: tuple[str, ...]
    answer: Any
    explanation: str | None

    @property
    def answerable(self) -> bool:
        return self.answer is not None


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    gold: tuple[Gold, ...]
    watermarks: tuple[str, ...]


def load_corpus(folder: Path = CORPUS) -> list[Document]:
    """Every document of the corpus with its gold items, in file-name order."""
    docs = []
    for path in sorted(folder.glob("*.txt")):
        spec = json.loads(path.with_suffix(".gold.json").read_text(encoding="utf-8"))
        gold = tuple(Gold(path.name, i, g["shape"], QuestionType(g["type"]), g["stem"], tuple(g.get("options", ())),
                          g["answer"], g.get("explanation")) for i, g in enumerate(spec["items"]))
        docs.append(Document(path.name, path.read_text(encoding="utf-8"), gold, tuple(spec.get("watermarks", ()))))
    return docs


def _key(qtype: QuestionType, answer: Any) -> str:
    """One comparable string per answer, whatever the item's shape in the parser or the gold file."""
    if answer is None:
        return ""
    if qtype.is_choice:
        return "".join(sorted(answer))
    if qtype is QuestionType.TRUE_FALSE:
        return "对" if answer else "错"
    if qtype is QuestionType.FILL_BLANK:
        return ";".join(fold_text("|".join(a) if isinstance(a, tuple | list) else a) for a in answer)
    return fold_text(answer)


def _same_key(qtype_a: QuestionType, a: Any, qtype_b: QuestionType, b: Any) -> bool:
    ka, kb = _key(qtype_a, a), _key(qtype_b, b)
    if ka == kb:
        return True
    free = {QuestionType.SHORT_ANSWER, QuestionType.CASE_STUDY}
    return qtype_a in free and qtype_b in free and SequenceMatcher(None, ka, kb, autojunk=False).ratio() >= _SAME_TEXT


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio() if a and b else 0.0


@dataclass
class Pair:
    item: Any
    gold: Gold | None

    @property
    def right(self) -> bool:
        g = self.gold
        return (g is not None and g.answerable and self.item.type is g.type
                and _same_key(self.item.type, self.item.answer, g.type, g.answer))

    @property
    def invented(self) -> bool:
        g = self.gold
        return g is None or not g.answerable or not _same_key(self.item.type, self.item.answer, g.type, g.answer)

    @property
    def exact(self) -> bool:
        """Right, and stem and options read exactly (folded) as the gold has them."""
        g = self.gold
        return (self.right and g is not None and fold_text(self.item.stem) == fold_text(g.stem)
                and [fold_text(o) for o in self.item.options] == [fold_text(o) for o in g.options])


@dataclass
class DocScore:
    doc: Document
    pairs: list[Pair]
    missed: list[Gold]
    silent: list[Gold]
    leaked_watermarks: list[str]
    explanations: tuple[int, int] = (0, 0)
    problems: list[str] = field(default_factory=list)


def score_document(doc: Document, items: Sequence[Any], skipped: Iterable[Any]) -> DocScore:
    """Pair the parser's items with the gold, and say which gold items went missing and how."""
    gold_folded = [fold_text(g.stem) for g in doc.gold]
    free = set(range(len(doc.gold)))
    pairs = []
    for item in items:
        stem = fold_text(item.stem)
        best, best_ratio = None, _SAME_STEM
        for i in sorted(free):
            r = 1.0 if stem == gold_folded[i] else _ratio(stem, gold_folded[i])
            if r > best_ratio or (r == best_ratio == 1.0 and best is None):
                best, best_ratio = i, r
        if best is not None:
            free.discard(best)
        pairs.append(Pair(item, doc.gold[best] if best is not None else None))
    right = {p.gold.index for p in pairs if p.right}
    missed = [g for g in doc.gold if g.answerable and g.index not in right]
    lines = doc.text.split("\n")
    reported = [fold_text("\n".join(lines[a - 1:b])) for a, b in (s.lines for s in skipped)]
    noted = [fold_text(" ".join((p.item.stem, *p.item.options, _text(p.item.answer)))) for p in pairs if p.item.notes]
    silent = []
    for g in missed:
        probe = gold_folded[g.index][:_PROBE_CHARS]
        if not any(probe in text for text in reported + noted):
            silent.append(g)
    seen = " ".join(" ".join((it.stem, *it.options, _text(it.answer), getattr(it, "explanation", "") or ""))
                    for it in items)
    leaked = [w for w in doc.watermarks if w in seen]
    wanted = [(p, p.gold.explanation) for p in pairs if p.gold is not None and p.gold.explanation]
    got = sum(1 for p, e in wanted if fold_text(getattr(p.item, "explanation", "") or "") == fold_text(e))
    return DocScore(doc, pairs, missed, silent, leaked, (got, len(wanted)))


def _text(answer: Any) -> str:
    if isinstance(answer, str):
        return answer
    if isinstance(answer, tuple | list):
        return " ".join(_text(a) for a in answer)
    return ""


@dataclass
class Tally:
    gold: int = 0
    found: int = 0
    right: int = 0

    @property
    def recall(self) -> float:
        return self.right / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0


@dataclass
class CorpusScore:
    docs: list[DocScore]
    by_shape: dict[str, Tally]
    overall: Tally
    invented: list[tuple[str, Pair]]
    silent: list[Gold]
    exact: int
    explanations: tuple[int, int]

    def lines(self) -> list[str]:
        """The figures as the test failure and the bench print them."""
        out = [f"{'shape':<8}{'gold':>6}{'found':>7}{'right':>7}{'recall':>9}{'precision':>11}"]
        for shape, t in sorted(self.by_shape.items(), key=lambda kv: (len(kv[0]), kv[0])):
            out.append(f"{shape:<8}{t.gold:>6}{t.found:>7}{t.right:>7}{t.recall:>9.1%}{t.precision:>11.1%}")
        t = self.overall
        out.append(f"{'overall':<8}{t.gold:>6}{t.found:>7}{t.right:>7}{t.recall:>9.1%}{t.precision:>11.1%}")
        got, wanted = self.explanations
        out.append(f"invented answers: {len(self.invented)}; missed silently: {len(self.silent)}; "
                   f"stem and options exact: {self.exact} of {t.right} right; explanations read: {got} of {wanted}")
        for doc, pair in self.invented:
            gold = pair.gold.answer if pair.gold is not None else "(no such item)"
            out.append(f"  invented {doc} lines {pair.item.lines}: {pair.item.type.value} {pair.item.stem[:30]!r} "
                       f"-> {_text(pair.item.answer)[:40] or pair.item.answer!r}; gold {gold!r}")
        for g in self.silent:
            out.append(f"  missed silently {g.doc} #{g.index + 1}: {g.shape} {g.stem[:30]!r}")
        return out


def score_corpus(docs: Sequence[Document], parse: Any) -> CorpusScore:
    """``parse(text)`` returns an object with ``items`` and ``skipped`` (a ``DumpResult``)."""
    by_shape: dict[str, Tally] = defaultdict(Tally)
    overall = Tally()
    invented, silent, scores = [], [], []
    exact = got = wanted = 0
    for doc in docs:
        result = parse(doc.text)
        score = score_document(doc, result.items, result.skipped)
        scores.append(score)
        for g in doc.gold:
            if g.answerable:
                by_shape[g.shape].gold += 1
                overall.gold += 1
        for p in score.pairs:
            overall.found += 1
            if p.gold is not None:
                by_shape[p.gold.shape].found += 1
            if p.right:
                by_shape[p.gold.shape].right += 1
                overall.right += 1
                exact += p.exact
            if p.invented:
                invented.append((doc.name, p))
        silent += score.silent
        got, wanted = got + score.explanations[0], wanted + score.explanations[1]
    return CorpusScore(scores, dict(by_shape), overall, invented, silent, exact, (got, wanted))
