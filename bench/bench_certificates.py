"""Certificate figures: rendering 200 certificates, and HR's ZIP of 5,000 stored certificates.

Run: .venv/bin/python bench/bench_certificates.py                      (SQLite)
     scripts/with-postgres .venv/bin/python bench/bench_certificates.py (SQLite, then PostgreSQL)

- render: 200 certificates through ``render_certificate_pdf`` and ``CertificateSigner.sign`` (what the worker
  does: template, QR code, CJK fonts, the process-wide FontConfiguration, then the PAdES signature with a
  demonstration RSA-3072 key generated into a temporary directory), holder names varied and including the rare
  characters 喆 堃 玥 昇, all four levels' full names. Milliseconds per certificate (median, mean, p95, total)
  for rendering and signing together, and for each alone, against the floor of a one-line PDF (``<p>x</p>``)
  rendered 50 times by the same WeasyPrint in the same run. Target: under 120 ms per certificate.
- ZIP: 5,000 stored certificates (set-up, not measured: bulk inserts of users, graded attempts and
  certificates whose PDFs are the 200 just rendered, reused, with a SHA-256 per row), streamed by HR's
  view ``exam/web/hr.py`` ``certificates_zip`` itself, called in a request context (its query, its
  ``yield_per`` + ``undefer(Certificate.pdf)`` + expunge, ``stream_certificate_zip``, whatever they are
  today), the response's chunks written one by one to a file; the 1,000 figure is the same view with a
  ``?from=`` date that selects exactly the 1,000 newest.
  Each figure runs in a fresh child process so that ru_maxrss growth is the stream's alone: wall time
  and max RSS growth from one run, peak Python memory (tracemalloc) from another (tracing slows the
  run), for the first 1,000 and for all 5,000, side by side. The floor, in the same run: reading the
  same 5,000 blobs with a plain SELECT and writing them to a file (no ORM, no ZIP). The ZIP is then
  opened with zipfile: 5,000 PDF members, plus whatever manifest the stream writes, CRCs checked.
  Target: under 10 s for 5,000, and memory flat (the 5,000 peak no more than 1.5× the 1,000 peak).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import fresh_database, on_each_database, timed  # noqa: E402

from exam.services.certificates import add_years, font_config, render_certificate_pdf  # noqa: E402
from exam.services.numbering import format_number  # noqa: E402
from exam.services.reference import LEVELS  # noqa: E402

RENDERS = 200
FLOOR_RENDERS = 50
N_ZIP = 5_000
N_SMALL = 1_000
CHUNK = 500
TODAY = date(2026, 11, 22)
#: the first N_SMALL certificates (newest first) are issued from this day on, the others before it
SMALL_FROM = TODAY - timedelta(days=180)
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "欧阳", "司马", "诸葛", "上官"]
GIVEN = ["喆", "堃", "玥", "昇", "伟", "芳", "娜", "敏", "静", "磊", "洋", "婷", "强", "军", "晓明", "子涵", "雨桐"]
RARE = "喆堃玥昇"
ORGS = ["广州分公司", "深圳分公司", "南京分公司", "广东分公司", "江苏分公司", ""]


def holder_name(i: int, rng: random.Random) -> str:
    """Varied names; every fourth one carries one of the rare characters."""
    given = rng.choice(GIVEN[4:]) if rng.random() < 0.5 else ""
    if i % 4 == 0:
        given = rng.choice([given + RARE[(i // 4) % 4], RARE[(i // 4) % 4] + given])
    return rng.choice(SURNAMES) + (given or rng.choice(GIVEN[4:]))


def certificate_values(i: int, rng: random.Random) -> dict[str, str]:
    code, name, *_rest = LEVELS[i % 4]
    issued = TODAY - timedelta(days=rng.randrange(0, 700))
    expires = add_years(issued, 3) - timedelta(days=1)
    return {
        "holder_name": holder_name(i, rng), "level_name": name, "level_code": code,
        "number": format_number(code, issued.year, i + 1),
        "issued_on": f"{issued.year}年{issued.month}月{issued.day}日",
        "expires_on": f"{expires.year}年{expires.month}月{expires.day}日",
        "issuing_body": "中国电信集团公司", "verify_url": f"http://127.0.0.1:5000/verify/{rng.getrandbits(96):024x}",
        "organization": ORGS[i % len(ORGS)],
    }


def names_legible(pdfs: list[bytes], values: list[dict[str, str]]) -> str:
    """Whether the holder names with rare characters come back out of the PDFs' text (no missing glyphs)."""
    try:
        from pypdf import PdfReader
    except ImportError:
        return "not checked (pypdf, a test extra, is not installed)"
    import io

    picked = [(pdf, v["holder_name"]) for pdf, v in zip(pdfs, values, strict=True)
              if any(c in v["holder_name"] for c in RARE)][:20]
    bad = [name for pdf, name in picked
           if name not in PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace(" ", "")]
    return f"{len(picked) - len(bad)}/{len(picked)} rare-character names read back from the PDF text" + (
        f" (missing: {', '.join(bad)})" if bad else "")


def bench_render() -> list[bytes]:
    """Part 1; returns the rendered, signed PDFs for the ZIP's set-up."""
    from weasyprint import HTML

    from exam.services.signing import demo_signing_files, load_signer

    rng = random.Random(7)
    values = [certificate_values(i, rng) for i in range(RENDERS)]
    with tempfile.TemporaryDirectory() as keys:
        t = time.perf_counter()
        key, cert = demo_signing_files(Path(keys), "中国电信集团公司")
        made = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        signer = load_signer(str(key), str(cert), None, "中国电信集团公司")
        loaded = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    # the first render of a process also builds the FontConfiguration
    signer.sign(render_certificate_pdf(values[0]), values[0]["number"])
    cold = (time.perf_counter() - t) * 1000
    pdfs: list[bytes] = []
    rendering: list[float] = []

    def render_and_sign(i: int) -> None:
        t = time.perf_counter()
        pdf = render_certificate_pdf(values[i])
        rendering.append((time.perf_counter() - t) * 1000)
        pdfs.append(signer.sign(pdf, values[i]["number"]))

    runs = timed(render_and_sign, RENDERS)
    signing = [total - r for total, r in zip(runs, rendering, strict=True)]
    floor = timed(lambda i: HTML(string="<p>x</p>").write_pdf(font_config=font_config()), FLOOR_RENDERS)
    med, base = statistics.median(runs), statistics.median(floor)
    rare = {c: sum(c in v["holder_name"] for v in values) for c in RARE}
    print(f"render: {RENDERS} certificates, 4 levels ({', '.join(lv[1] for lv in LEVELS)}), "
          f"{len({v['holder_name'] for v in values})} distinct names, rare characters "
          + " ".join(f"{c}×{k}" for c, k in rare.items()))
    print(f"  signing key: demonstration RSA-3072 key and certificate generated in {made:.0f} ms, "
          f"loaded once in {loaded:.0f} ms")
    print(f"  first render and signature of the process (cold, builds the shared FontConfiguration): {cold:.0f} ms")
    print(f"  render_certificate_pdf + sign: median {med:.1f} ms, mean {statistics.mean(runs):.1f} ms, "
          f"p95 {sorted(runs)[int(RENDERS * 0.95)]:.1f} ms, max {max(runs):.0f} ms; "
          f"total {sum(runs) / 1000:.1f} s for {RENDERS}; PDF {statistics.mean(map(len, pdfs)) / 1024:.0f} KB on average")
    print(f"  of which render_certificate_pdf: median {statistics.median(rendering):.1f} ms, "
          f"p95 {sorted(rendering)[int(RENDERS * 0.95)]:.1f} ms; the PAdES signature: median "
          f"{statistics.median(signing):.1f} ms, p95 {sorted(signing)[int(RENDERS * 0.95)]:.1f} ms")
    print(f"  floor, one-line PDF <p>x</p>, same WeasyPrint and FontConfiguration, {FLOOR_RENDERS} renders: "
          f"median {base:.1f} ms → a certificate costs {med / base:.1f}× the floor")
    print(f"  target: under 120 ms per certificate (median): {'met' if med < 120 else 'NOT met'}")
    print(f"  glyphs: {names_legible(pdfs, values)}")
    return pdfs


def issue_days(rng: random.Random) -> list[date]:
    """Issue dates as certificates come: by sitting, weekly, 50 to 150 a sitting; the first N_SMALL on or
    after SMALL_FROM, the others before it."""
    days: list[date] = []
    for first, count in ((TODAY, N_SMALL), (SMALL_FROM - timedelta(days=1), N_ZIP - N_SMALL)):
        day, left = first, count
        while left:
            size = min(left, rng.randint(50, 150))
            days += [day] * size
            left -= size
            day -= timedelta(days=7)
    assert all(d >= SMALL_FROM for d in days[:N_SMALL]) and all(d < SMALL_FROM for d in days[N_SMALL:])
    return days


def build_certificates(url: str, pdfs: list[bytes]) -> None:
    """A migrated database with the levels, six organisations, and N_ZIP trainees each holding one certificate."""
    from exam import create_app
    from exam.cli import upgrade_database
    from exam.extensions import db
    from exam.models import Attempt, AttemptState, Certificate, Level, User
    from exam.services.demo import ensure_organizations
    from exam.services.reference import load_reference_data

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade_database()
        session = db.session
        load_reference_data(session)
        org_ids = [o.id for o in ensure_organizations(session).values()]
        levels = list(session.scalars(select(Level).order_by(Level.rank.desc())))
        session.commit()
        rng = random.Random(11)
        now = datetime(2026, 11, 22, 8)
        serial: dict[tuple[str, int], int] = {}
        days = issue_days(rng)
        for start in range(0, N_ZIP, CHUNK):
            users, attempts, certs = [], [], []
            for i in range(start, min(N_ZIP, start + CHUNK)):
                uid = aid = i + 1  # explicit keys: a fresh database, nothing else inserts afterwards
                level = levels[i % 4]
                name = holder_name(i, rng)
                issued = days[i]
                started = datetime.combine(issued, datetime.min.time()) + timedelta(hours=1)
                finished = started + timedelta(minutes=level.duration_minutes - 5)
                serial[level.code, issued.year] = serial.get((level.code, issued.year), 0) + 1
                pdf = pdfs[i % len(pdfs)]
                users.append(dict(id=uid, username=f"bench{i:05d}", password_hash="-", full_name=name,
                                  employee_no=f"E{i:06d}", organization_id=org_ids[i % len(org_ids)],
                                  active=True, created_at=now))
                attempts.append(dict(id=aid, user_id=uid, level_id=level.id, state=AttemptState.GRADED, seed=i,
                                     started_at=started, deadline_at=started + timedelta(minutes=level.duration_minutes),
                                     finished_at=finished, graded_at=finished, score=60.0 + i % 40, passed=True,
                                     pass_mark=60, total_points=100, lock_version=2))
                revoked = i % 50 == 7
                certs.append(dict(
                    number=format_number(level.code, issued.year, serial[level.code, issued.year]), attempt_id=aid,
                    user_id=uid, level_id=level.id, holder_name=name, issued_on=issued,
                    expires_on=add_years(issued, level.certificate_validity_years) - timedelta(days=1),
                    verify_code=f"{rng.getrandbits(96):024x}", revoked_at=now if revoked else None,
                    revoke_reason="基准测试撤销" if revoked else "", template_version="2026.1", pdf=pdf,
                    sha256=hashlib.sha256(pdf).hexdigest(), created_at=now, updated_at=now))
            session.execute(insert(User), users)
            session.execute(insert(Attempt), attempts)
            session.execute(insert(Certificate), certs)
            session.commit()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # what autovacuum / a periodic ANALYZE would have done by then
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()


def zip_child(url: str, n: int, mode: str, out: str) -> None:
    """In a fresh process: HR's ZIP of the first ``n`` certificates (newest first) into ``out``; print JSON figures.

    The view ``exam/web/hr.py`` ``certificates_zip`` itself is called inside a request context (its role guard,
    a before_request hook, is not run): its query, batching, expunging and ``stream_certificate_zip``, whatever
    they are today. The first N_SMALL certificates are exactly those issued on or after SMALL_FROM, so the
    1,000 figure is the same view with ``?from=``. mode "time": wall time and ru_maxrss growth; "trace": the
    same under tracemalloc (peak Python memory); "floor": a plain SELECT of the same blobs written to ``out``."""
    import gc
    import tracemalloc

    from exam import create_app
    from exam.extensions import db
    from exam.models import Certificate
    from exam.web.hr import certificates_zip

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    path = "/hr/certificates.zip" + (f"?from={SMALL_FROM.isoformat()}" if n < N_ZIP else "")
    with app.test_request_context(path):
        db.session.execute(select(func.count()).select_from(Certificate))  # connected, mappers configured
        gc.collect()
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if mode == "trace":
            tracemalloc.start()
        size = 0
        t = time.perf_counter()
        with open(out, "wb") as fh:
            if mode == "floor":
                table = Certificate.__table__
                plain = select(table.c.pdf).order_by(table.c.issued_on.desc(), table.c.number).limit(n)
                for (pdf,) in db.session.execute(plain, execution_options={"yield_per": 100}):
                    size += fh.write(pdf)
            else:
                response = certificates_zip()
                for chunk in response.response:
                    size += fh.write(chunk)
                response.close()
        wall = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1] if mode == "trace" else None
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"wall": wall, "bytes": size, "peak": peak, "rss_growth_kb": rss1 - rss0, "rss0_kb": rss0,
                      "rss_kb": rss1}))


def run_child(url: str, n: int, mode: str, out: Path) -> dict:
    # through an intermediate small Python: a child forked straight from this (large) process would start
    # with this process's RSS as its ru_maxrss, hiding the growth it is meant to show
    hop = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", hop, sys.executable, __file__, "--zip-child", url, str(n), mode,
                           str(out)], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"child {mode} {n} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_zip(path: Path, n: int) -> str:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        pdf_names = [m for m in names if m.endswith(".pdf")]
        others = [m for m in names if not m.endswith(".pdf")]
        bad = zf.testzip()
        heads_ok = all(zf.read(m)[:5] == b"%PDF-" for m in pdf_names[:: max(1, len(pdf_names) // 50)])
    ok = len(pdf_names) == n and len(set(pdf_names)) == len(pdf_names) and bad is None and heads_ok
    return (f"{'OK' if ok else 'FAILED'}: readable, n_pdf = {len(pdf_names):,} (expected {n:,}, "
            f"{len(set(pdf_names)):,} distinct names) + {', '.join(others) or 'no other member'}; "
            f"CRC check {'passed' if bad is None else 'failed at ' + bad}; sampled members start with %PDF-: {heads_ok}")


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def bench_zip(label: str, base_url: str | None, workdir: Path, pdfs: list[bytes]) -> None:
    url = fresh_database(label, base_url, workdir, "exam_bench_certificates")
    t = time.perf_counter()
    build_certificates(url, pdfs)
    print(f"  {label}: {N_ZIP:,} users, graded attempts and certificates inserted in {time.perf_counter() - t:.1f} s "
          f"(set-up, not measured; {len(pdfs)} real PDFs reused, SHA-256 per row)")
    out = workdir / "certificates.zip"
    figures: dict[int, dict] = {}
    for n in (N_SMALL, N_ZIP):
        timed_run = run_child(url, n, "time", out)
        verdict = check_zip(out, n)
        traced = run_child(url, n, "trace", out)
        figures[n] = timed_run | {"peak": traced["peak"], "traced_wall": traced["wall"]}
        print(f"  {label}: ZIP of {n:,}: {timed_run['wall']:.2f} s, {mb(timed_run['bytes'])} "
              f"({timed_run['bytes'] / timed_run['wall'] / 1e6:.0f} MB/s); peak Python memory {mb(traced['peak'])} "
              f"(tracemalloc, run took {traced['wall']:.2f} s traced); max RSS growth "
              f"{timed_run['rss_growth_kb'] / 1024:.1f} MB (ru_maxrss {timed_run['rss0_kb'] / 1024:.0f} → "
              f"{timed_run['rss_kb'] / 1024:.0f} MB)")
        print(f"  {label}: ZIP of {n:,} check: {verdict}")
    floor = run_child(url, N_ZIP, "floor", out)
    small, big = figures[N_SMALL], figures[N_ZIP]
    print(f"  {label}: floor, plain SELECT of the same {N_ZIP:,} blobs written to a file (no ORM, no ZIP): "
          f"{floor['wall']:.2f} s, {mb(floor['bytes'])}, max RSS growth {floor['rss_growth_kb'] / 1024:.1f} MB "
          f"→ the ZIP costs {big['wall'] / floor['wall']:.1f}× the floor")
    peak_ratio = big["peak"] / small["peak"]
    rss_small, rss_big = small["rss_growth_kb"] / 1024, big["rss_growth_kb"] / 1024
    flat = peak_ratio <= 1.5 and rss_big <= max(1.5 * rss_small, rss_small + 16)
    print(f"  {label}: memory, {N_SMALL:,} vs {N_ZIP:,} certificates: peak Python {mb(small['peak'])} vs "
          f"{mb(big['peak'])} ({peak_ratio:.2f}×), max RSS growth {rss_small:.1f} MB vs {rss_big:.1f} MB")
    print(f"  {label}: target under 10 s for {N_ZIP:,}: {'met' if big['wall'] < 10 else 'NOT met'} "
          f"({big['wall']:.2f} s); memory flat: {'yes' if flat else 'NO'} "
          "(flat = the 5,000 peak ≤ 1.5× the 1,000 peak, RSS growth likewise or within 16 MB)")


def main() -> None:
    if sys.argv[1:2] == ["--zip-child"]:
        url, n, mode, out = sys.argv[2:6]
        zip_child(url, int(n), mode, out)
        return
    print(f"certificates, on this machine ({os.cpu_count()} cores)")
    pdfs = bench_render()
    print(f"ZIP of stored certificates (HR 证书管理 → ZIP), {N_SMALL:,} and {N_ZIP:,}")
    with tempfile.TemporaryDirectory() as tmp:
        on_each_database(lambda label, url: bench_zip(label, url, Path(tmp), pdfs))


if __name__ == "__main__":
    main()
