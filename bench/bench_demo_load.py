"""How long `make run`'s first start spends loading the demo, now that the starter bank has 1,000+ questions.

Run: .venv/bin/python bench/bench_demo_load.py [--repeat 3]
On a fresh SQLite file each time: `flask --app exam db upgrade`, then `flask --app exam demo load`
(rules, starter bank, accounts, two sittings whose scheduling checks feasibility), as `make run` does.
Beside it, the floor measured in the same run: `flask --app exam demo --help`, the same process start
and app import without any work. The demo's own cost is the difference.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLASK = [sys.executable, "-m", "flask", "--app", "exam"]


def run(args: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(FLASK + args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    loads, floors = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            env = os.environ | {"EXAM_DATABASE_URL": f"sqlite:///{Path(tmp) / f'demo{i}.sqlite3'}",
                                "PYTHONPATH": str(ROOT)}
            run(["db", "upgrade"], env)
            floors.append(run(["demo", "--help"], env))
            loads.append(run(["demo", "load"], env))
    sys.path.insert(0, str(ROOT))
    from question_bank import load_starter_bank

    print(f"starter bank: {len(load_starter_bank())} questions")
    print(f"demo load on a fresh SQLite file: median {statistics.median(loads):.1f} s "
          f"(floor, process start and app import: {statistics.median(floors):.1f} s; "
          f"the demo's own work ≈ {statistics.median(loads) - statistics.median(floors):.1f} s)")


if __name__ == "__main__":
    main()
