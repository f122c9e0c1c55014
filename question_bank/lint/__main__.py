"""``python -m question_bank.lint FILE.json …``: lint JSON bank files (the starter bank's format) without the app."""
from __future__ import annotations

import argparse
import json
import sys

from question_bank.jsonio import load_bank
from question_bank.lint import RULES, format_report, lint
from question_bank.records import BankError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m question_bank.lint", description="题库体检: JSON 题库文件")
    parser.add_argument("paths", nargs="+", help="JSON bank files (vip-exam-bank)")
    parser.add_argument("--json", action="store_true", help="machine-readable report")
    parser.add_argument("--rule", action="append", choices=list(RULES), help="only these rules (repeatable)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when anything is found")
    args = parser.parse_args(argv)
    records = []
    for path in args.paths:
        try:
            records.extend(load_bank(path))
        except (BankError, UnicodeDecodeError, OSError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 2
    report = lint(records, rules=args.rule)
    print(json.dumps(report.to_json(), ensure_ascii=False) if args.json else format_report(report))
    return 1 if args.strict and report.findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
