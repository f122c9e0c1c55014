"""The whole-bank lint (题库体检) over 10,000 generated questions, beside the floor of folding their texts once.

Run: .venv/bin/python bench/bench_lint.py [--items 10000] [--repeat 3]
- bank: every type in the starter bank's proportions; stems, options and explanations are written by a
  character bigram chain trained on the starter bank (so bigram frequencies look like real Chinese items);
  1 % are near-duplicates of another item (two characters changed) and 1 % are true/false statements
  restating another item's stem and keyed option (a giveaway to find);
- lint: ``question_bank.lint.lint`` with every rule (median of --repeat runs, and the slowest);
- floor: ``fold_text`` once over every text of the bank (stems, options, explanations, answers) — what any
  similarity check must do at least;
- naive: all-pairs Jaccard over the same bigram sets for 1,000 items, scaled to the whole bank by the number
  of pairs (what the inverted index and prefix filter avoid).
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from question_bank import Difficulty, QuestionRecord, QuestionType, load_starter_bank  # noqa: E402
from question_bank.lint import lint  # noqa: E402
from question_bank.lint.prepare import prepare  # noqa: E402
from question_bank.normalize import fold_text  # noqa: E402


class _Chain:
    """A character bigram chain trained on the starter bank: text whose bigram frequencies look like real items."""

    def __init__(self, texts: list[str], rng: random.Random) -> None:
        self.rng = rng
        self.next: dict[str, list[str]] = {}
        for t in texts:
            run = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]+", "|", t)
            for a, b in zip(run, run[1:], strict=False):
                if a != "|" and b != "|":
                    self.next.setdefault(a, []).append(b)
        self.starts = sorted(self.next)

    def clause(self, low: int, high: int) -> str:
        out = [self.rng.choice(self.starts)]
        for _ in range(self.rng.randint(low, high) - 1):
            following = self.next.get(out[-1])
            out.append(self.rng.choice(following) if following else self.rng.choice(self.starts))
        return "".join(out)

    def sentence(self, clauses: int, low: int = 6, high: int = 14) -> str:
        return "，".join(self.clause(low, high) for _ in range(clauses))


@dataclass
class Generated:
    bank: list[QuestionRecord]
    #: (copy, original) keys of the planted near-duplicates
    duplicates: list[tuple[str, str]]
    #: (single choice, true/false statement restating its stem and key) keys of the planted giveaways
    giveaways: list[tuple[str, str]]


def generate_bank(n: int, seed: int = 7) -> Generated:
    """``n`` questions written by a bigram chain trained on the starter bank (deterministic for a seed)."""
    rng = random.Random(seed)
    starter = load_starter_bank()
    chain = _Chain([t for q in starter for t in (q.stem, *q.options, q.explanation)], rng)
    types = [q.type for q in starter]
    areas = sorted({q.area for q in starter})
    out: list[QuestionRecord] = []
    for i in range(n):
        t = rng.choice(types)
        head = chain.sentence(rng.randint(1, 3))
        common = dict(key=f"G{i:05d}", area=rng.choice(areas), difficulty=rng.choice(list(Difficulty)),
                      explanation=chain.sentence(2) + "。")
        if t is QuestionType.SINGLE or t is QuestionType.MULTIPLE:
            count = 4 if t is QuestionType.SINGLE else rng.choice((4, 5))
            opts = tuple(chain.clause(4, 16) for _ in range(count))
            keys = (rng.choice("ABCD"),) if t is QuestionType.SINGLE else tuple(sorted(rng.sample("ABCDE"[:count], 3)))
            out.append(QuestionRecord(type=t, stem=head + "的是（　）。", options=opts, answer=keys, **common))
        elif t is QuestionType.TRUE_FALSE:
            out.append(QuestionRecord(type=t, stem=head + "。", answer=rng.random() < 0.5, **common))
        elif t is QuestionType.FILL_BLANK:
            out.append(QuestionRecord(type=t, stem=head + "，称为____。", answer=((chain.clause(2, 6),),), **common))
        else:
            out.append(QuestionRecord(type=t, stem=head + "。请简述。", answer=chain.sentence(3), **common))
    planted_duplicates = []
    for i in rng.sample(range(n), n // 100):  # near-duplicates: a copy with two characters changed
        src = out[rng.randrange(n)]
        stem = src.stem[:2] + chain.clause(2, 2) + src.stem[4:]
        out[i] = QuestionRecord(**{**src.__dict__, "key": f"G{i:05d}", "stem": stem})
        planted_duplicates.append((out[i], src))
    planted_giveaways = []
    singles = [i for i, q in enumerate(out) if q.type is QuestionType.SINGLE]
    for i in rng.sample([i for i, q in enumerate(out) if q.type is QuestionType.TRUE_FALSE], n // 100):
        src = out[rng.choice(singles)]  # a statement that restates another item's stem and key
        key_text = src.options["ABCD".index(src.answer[0])]
        out[i] = QuestionRecord(**{**out[i].__dict__, "stem": src.stem.replace("的是（　）。", f"的是{key_text}。")})
        planted_giveaways.append((src, out[i]))
    bank = {q.key: q for q in out}  # a planted pair counts while both halves are still as planted

    def intact(pairs: list[tuple[QuestionRecord, QuestionRecord]]) -> list[tuple[str, str]]:
        return [(a.key, b.key) for a, b in pairs if a.key != b.key and bank[a.key] == a and bank[b.key] == b]

    return Generated(out, intact(planted_duplicates), intact(planted_giveaways))


def _fill_answers(q: QuestionRecord) -> list[str]:
    return [a for alts in q.answer for a in alts] if q.type is QuestionType.FILL_BLANK else []


def _naive_pairs(sets: list[frozenset[str]]) -> int:
    hits = 0
    for i, a in enumerate(sets):
        for b in sets[i + 1:]:
            if len(a & b) >= 0.75 * len(a | b):
                hits += 1
    return hits


def clocked(fn, repeat: int) -> tuple[float, float]:  # noqa: ANN001
    """Median wall-clock and CPU seconds of ``fn(i)`` for i in 0..repeat-1 (CPU time is what other processes
    on a shared machine cannot inflate)."""
    wall, cpu = [], []
    for i in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn(i)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def show(label: str, figures: tuple[float, float]) -> None:
    print(f"{label}: {figures[0]:.2f} s (CPU {figures[1]:.2f} s)")


def in_database(bank: list[QuestionRecord], workdir: Path) -> None:
    """The same bank in a migrated SQLite database: the report page's service and one question's page."""
    from exam import create_app
    from exam.cli import upgrade_database
    from exam.extensions import db
    from exam.models import Question, QuestionStatus
    from exam.services.bank_lint import lint_bank, lint_question, load_bank
    from exam.services.bank_sync import add_questions
    from exam.services.demo import load_demo

    app = create_app({"DATABASE_URL": f"sqlite:///{workdir / 'lint.sqlite3'}", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade_database()
        now = datetime(2026, 11, 22)
        load_demo(db.session, now, "bench-password")
        db.session.execute(Question.__table__.update().values(status=QuestionStatus.RETIRED))  # only the generated bank
        add_questions(db.session, bank, status=QuestionStatus.ACTIVE, source="bench", now=now, actor_id=None)
        db.session.commit()
        print(f"database (SQLite, {len(bank)} active questions), medians:")
        show("  floor: reading the bank as records (load_bank)", clocked(lambda i: load_bank(db.session), 3))
        show("  whole-bank report (lint_bank: the report page, flask bank lint)", clocked(lambda i: lint_bank(db.session), 3))
        sample = db.session.scalars(select(Question).where(Question.status == QuestionStatus.ACTIVE)
                                    .order_by(Question.id).limit(5)).all()
        show("  one question against the bank (lint_question: its page)",
             clocked(lambda i: lint_question(db.session, sample[i]), len(sample)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    generated = generate_bank(args.items)
    bank = generated.bank
    print(f"generated {len(bank)} questions in {time.perf_counter() - t:.1f} s: "
          + ", ".join(f"{k.value} {v}" for k, v in Counter(q.type for q in bank).items()))

    texts = [s for q in bank for s in (q.stem, *q.options, q.explanation, *_fill_answers(q))]
    floor = clocked(lambda i: [fold_text(s) for s in texts], args.repeat)
    show(f"floor: fold_text over its {len(texts)} texts", floor)
    runs = clocked(lambda i: lint(bank), args.repeat)
    show(f"lint, every rule (median of {args.repeat})", runs)
    print(f"  = {runs[1] / floor[1]:.1f}× the floor in CPU time")
    report = lint(bank)
    counts = Counter(f.rule for f in report.findings)
    print("  findings: " + ", ".join(f"{rule} {counts.get(rule, 0)}" for rule in report.rules))
    print("  flagged rates: " + ("; ".join(r.reason for r in report.flagged_rates) or "none"))
    pairs = {(f.rule, f.key, f.related[0]) for f in report.findings if f.related}
    found = sum(("giveaway", a, b) in pairs for a, b in generated.giveaways)
    print(f"  planted giveaways found: {found} of {len(generated.giveaways)}")
    found = sum(("near-duplicate", a, b) in pairs or ("near-duplicate", b, a) in pairs for a, b in generated.duplicates)
    print(f"  planted near-duplicates found: {found} of {len(generated.duplicates)} "
          "(a two-character change to a short stem without options falls below the threshold)")

    sets = [it.doc_grams for it in prepare(bank[:1000])]
    wall, cpu = clocked(lambda i: _naive_pairs(sets), 1)
    scale = (len(bank) * (len(bank) - 1)) / (len(sets) * (len(sets) - 1))
    print(f"naive all-pairs near-duplicate check, scaled from 1,000 items: ~{wall * scale:.0f} s (CPU {cpu * scale:.0f} s)")
    with tempfile.TemporaryDirectory() as workdir:
        in_database(bank, Path(workdir))


if __name__ == "__main__":
    main()
