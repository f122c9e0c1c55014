"""Backbone figures: paper assembly per level and certificate rendering, each beside its floor.

Run: .venv/bin/python bench/bench_backbone.py
- assembly: assemble_paper on the starter bank (in memory), against the floor of
  a plain random.sample of the same number of items (no constraints at all);
- certificate: render_certificate_pdf (CJK, QR, shared FontConfiguration), against the floor of
  a one-line PDF rendered by the same WeasyPrint in the same process.
"""
from __future__ import annotations

import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import timed  # noqa: E402

from exam.services.assembly import Candidate, assemble_paper  # noqa: E402
from exam.services.certificates import font_config, render_certificate_pdf  # noqa: E402
from exam.services.reference import LEVELS, default_level_rules  # noqa: E402
from question_bank import load_starter_bank  # noqa: E402


def main() -> None:
    bank = load_starter_bank()
    print(f"starter bank: {len(bank)} questions")
    for code, *_rest in LEVELS:
        rules = default_level_rules(code)
        cands = [Candidate(i, q.area, q.type, q.difficulty) for i, q in enumerate(bank) if code in q.levels]
        n = sum(c for c, _p in rules.sections.values())
        solve = timed(lambda i: assemble_paper(rules, cands, random.Random(i)), 30)  # noqa: B023
        floor = timed(lambda i: random.Random(i).sample(cands, n), 30)  # noqa: B023
        print(f"assemble {code}: median {statistics.median(solve):.1f} ms, p95 {sorted(solve)[28]:.1f} ms "
              f"(floor random.sample of {n}: {statistics.median(floor):.3f} ms)")

    from weasyprint import HTML

    values = dict(holder_name="王喆堃", level_name="岗位技能三级(中级)", level_code="L3",
                  number="VIP-L3-2026-000001-X", issued_on="2026年11月22日", expires_on="2029年11月21日",
                  issuing_body="中国电信集团公司", verify_url="http://127.0.0.1:5000/verify/abc", organization="广州分公司")
    render_certificate_pdf(values)  # warm the font configuration once
    floor = timed(lambda i: HTML(string="<p>x</p>").write_pdf(font_config=font_config()), 20)
    cert = timed(lambda i: render_certificate_pdf(values | {"number": f"VIP-L3-2026-{i:06d}-X"}), 20)
    print(f"certificate PDF: median {statistics.median(cert):.0f} ms "
          f"(floor one-line PDF, same WeasyPrint: {statistics.median(floor):.0f} ms)")


if __name__ == "__main__":
    main()
