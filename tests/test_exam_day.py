"""Exam day: the lobby, the server's clock at the start, autosave's guarantees on the lean path, certificates
rendered outside the trainee's request, and the whole day through a real server on both databases."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import answer_all, open_sitting, render_certificates
from markupsafe import escape
from sqlalchemy import event, func, select

from exam.extensions import db
from exam.models import (
    Answer,
    Attempt,
    Certificate,
    Enrolment,
    PaperItem,
    PoolPaper,
    PreparedPaper,
    Question,
    QuestionVersion,
    Sitting,
)
from exam.services import certificates, version_cache
from question_bank import QuestionType, QuestionUse

ROOT = Path(__file__).resolve().parents[1]


def test_the_lobby_counts_down_by_the_servers_clock_and_nobody_enters_before_the_start(client, auth, clock):
    sitting, _report = open_sitting("L4", ["trainee1"], now=clock.now)
    for other in db.session.scalars(select(Sitting).where(Sitting.id != sitting.id)):  # the demo's open sittings
        other.starts_at, other.ends_at = clock.now - timedelta(days=2), clock.now - timedelta(days=1)
    sitting.starts_at = clock.now.replace(microsecond=0) + timedelta(minutes=10)
    db.session.commit()
    auth.login("trainee1")
    lobby = client.get(f"/trainee/sittings/{sitting.id}/lobby")
    assert lobby.status_code == 200 and "距开考还有" in lobby.text and 'data-seconds="600"' in lobby.text
    assert client.get(f"/trainee/sittings/{sitting.id}/lobby/state").get_json()["seconds_to_start"] == 600
    early = client.post("/trainee/levels/L4/start")
    assert "/trainee/attempts/" not in early.location  # refused: the window opens at the start time
    assert db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.sitting_id == sitting.id)) == 0
    clock.advance(minutes=10)
    opened = client.post("/trainee/levels/L4/start")
    assert "/trainee/attempts/" in opened.location
    page = client.get(opened.location)
    assert page.status_code == 200 and "剩余时间" in page.text
    assert '"answer"' not in page.text and "explanation" not in page.text  # keys never reach the page


def test_another_trainees_lobby_is_not_found(client, auth, clock):
    sitting, _report = open_sitting("L4", ["trainee1"], now=clock.now)
    auth.login("trainee2")
    assert client.get(f"/trainee/sittings/{sitting.id}/lobby").status_code == 404


def _waiting_in_lobby(client, auth, clock, usernames=("trainee1",), pool_size="3"):
    """A sitting starting in ten minutes with its own pool; the first trainee waits in its lobby."""
    sitting, _report = open_sitting("L4", list(usernames), now=clock.now)
    for other in db.session.scalars(select(Sitting).where(Sitting.id != sitting.id)):  # the demo's open sittings
        other.starts_at, other.ends_at = clock.now - timedelta(days=2), clock.now - timedelta(days=1)
    sitting.starts_at = clock.now + timedelta(minutes=10)
    db.session.commit()
    auth.login("hr1")
    client.post(f"/hr/sittings/{sitting.id}/pool", data={"size": pool_size})
    auth.login(usernames[0])
    lobby = client.get(f"/trainee/sittings/{sitting.id}/lobby")
    assert lobby.status_code == 200
    return sitting, lobby


def _prepared(enrolment_id):
    return db.session.scalar(select(func.count()).select_from(PreparedPaper).where(
        PreparedPaper.enrolment_id == enrolment_id))


def _paper_rows(attempt_id):
    return [(r.position, r.question_version_id, list(r.option_order)) for r in db.session.scalars(
        select(PaperItem).where(PaperItem.attempt_id == attempt_id).order_by(PaperItem.position))]


def test_the_lobby_prepares_the_paper_unseen_and_the_start_copies_it(client, auth, clock):
    sitting, lobby = _waiting_in_lobby(client, auth, clock)
    enrolment = db.session.scalars(select(Enrolment).where(Enrolment.sitting_id == sitting.id)).one()
    prepared = db.session.get(PreparedPaper, enrolment.id)
    assert prepared is not None and db.session.get(PoolPaper, prepared.pool_paper_id).pool_id == sitting.pool_id
    rows = json.loads(prepared.items)
    first_stem = db.session.get(QuestionVersion, rows[0]["question_version_id"]).stem
    assert first_stem not in lobby.text  # nothing of the paper is shown before the start
    assert "/trainee/attempts/" not in client.post("/trainee/levels/L4/start").location  # still refused early
    clock.advance(minutes=10)
    attempt = db.session.get(Attempt, int(client.post("/trainee/levels/L4/start").location.rsplit("/", 1)[1]))
    assert (attempt.pool_paper_id, attempt.seed) == (prepared.pool_paper_id, prepared.seed)
    assert _paper_rows(attempt.id) == [(r["position"], r["question_version_id"], r["option_order"]) for r in rows]
    assert _prepared(enrolment.id) == 0  # used once
    page = client.get(f"/trainee/attempts/{attempt.id}")
    assert page.status_code == 200 and "剩余时间" in page.text


def test_a_prepared_paper_that_no_longer_fits_is_set_aside_at_the_start(client, auth, clock):
    sitting, _lobby = _waiting_in_lobby(client, auth, clock)
    enrolment = db.session.scalars(select(Enrolment).where(Enrolment.sitting_id == sitting.id)).one()
    prepared = db.session.get(PreparedPaper, enrolment.id)
    questions = [r[0] for r in db.session.get(PoolPaper, prepared.pool_paper_id).items]
    retired = db.session.get(Question, questions[0])  # a trainer makes one of its questions 练习 meanwhile
    retired.use = QuestionUse.PRACTICE
    db.session.commit()
    clock.advance(minutes=10)
    attempt = db.session.get(Attempt, int(client.post("/trainee/levels/L4/start").location.rsplit("/", 1)[1]))
    on_paper = set(db.session.scalars(select(QuestionVersion.question_id).join(
        PaperItem, PaperItem.question_version_id == QuestionVersion.id).where(PaperItem.attempt_id == attempt.id)))
    assert retired.id not in on_paper and attempt.pool_paper_id != prepared.pool_paper_id
    assert _prepared(enrolment.id) == 0


def test_a_paper_prepared_before_the_pool_was_rebuilt_is_not_used(client, auth, clock):
    sitting, _lobby = _waiting_in_lobby(client, auth, clock)
    enrolment = db.session.scalars(select(Enrolment).where(Enrolment.sitting_id == sitting.id)).one()
    old = db.session.get(PreparedPaper, enrolment.id).pool_paper_id
    auth.login("hr1")
    client.post(f"/hr/sittings/{sitting.id}/pool", data={"size": "2"})
    db.session.refresh(sitting)
    clock.advance(minutes=10)
    auth.login("trainee1")
    attempt = db.session.get(Attempt, int(client.post("/trainee/levels/L4/start").location.rsplit("/", 1)[1]))
    assert attempt.pool_paper_id != old and db.session.get(PoolPaper, attempt.pool_paper_id).pool_id == sitting.pool_id


def test_hr_prepares_every_enrolled_paper_from_the_command_line(app, client, auth, clock):
    sitting, _lobby = _waiting_in_lobby(client, auth, clock, usernames=("trainee1", "trainee2"))
    result = app.test_cli_runner().invoke(args=["paper", "prepare", str(sitting.id)])
    assert result.exit_code == 0 and "为 1 名考生备好试卷 (报名 2 人" in result.output  # trainee1 waited already
    assert app.test_cli_runner().invoke(args=["paper", "prepare", str(sitting.id)]).output.count("为 0 名") == 1
    assert db.session.scalar(select(func.count()).select_from(PreparedPaper).join(
        Enrolment, Enrolment.id == PreparedPaper.enrolment_id).where(Enrolment.sitting_id == sitting.id)) == 2


def test_option_texts_are_shown_in_the_attempts_own_order_and_escaped(client, auth, clock):
    attempt = _started(client, auth, clock)
    single = db.session.scalars(select(PaperItem).where(
        PaperItem.attempt_id == attempt.id, PaperItem.type == QuestionType.SINGLE).order_by(PaperItem.position)).first()
    version = db.session.get(QuestionVersion, single.question_version_id)
    version.options = ["<b>甲</b>", "乙 \ue011", "丙", "丁"][:len(version.options)]  # markup, and a placeholder
    db.session.commit()
    version_cache.forget()
    page = client.get(f"/trainee/attempts/{attempt.id}").text
    section = page[page.index(f'id="q-{single.position}"'):]
    section = section[:section.index("</section>")]
    shown = [version.options[i] for i in single.option_order]
    expected = [str(escape(t)) for t in shown]
    assert [section.index(t) for t in expected] == sorted(section.index(t) for t in expected)
    assert "<b>甲</b>" not in section and "&lt;b&gt;甲&lt;/b&gt;" in section


def _started(client, auth, clock):
    sitting, _report = open_sitting("L4", ["trainee1"], now=clock.now)
    auth.login("trainee1")
    location = client.post("/trainee/levels/L4/start").location
    return db.session.get(Attempt, int(location.rsplit("/", 1)[1]))


def test_an_older_save_never_overwrites_a_newer_one_and_a_batch_keeps_its_newest_change(client, auth, clock):
    attempt = _started(client, auth, clock)
    url = f"/trainee/attempts/{attempt.id}/answers"
    first = client.post(url, json={"answers": [{"item": 1, "response": True, "seq": 5},
                                               {"item": 1, "response": False, "seq": 6}]})
    assert first.status_code == 200 and first.get_json()["saved"] == [1]
    stale = client.post(url, json={"answers": [{"item": 1, "response": True, "seq": 4}]})
    assert stale.get_json() == {**stale.get_json(), "saved": [], "stale": [1]}
    state = client.get(f"/trainee/attempts/{attempt.id}/state").get_json()
    assert state["answers"]["1"]["response"] is False and state["answers"]["1"]["seq"] == 6


def test_a_save_after_the_deadline_is_refused_with_409(client, auth, clock):
    attempt = _started(client, auth, clock)
    clock.advance(minutes=91)
    late = client.post(f"/trainee/attempts/{attempt.id}/answers",
                       json={"answers": [{"item": 1, "response": True, "seq": 1}]})
    assert late.status_code == 409 and late.get_json()["state"] == "graded"


def _page_paper(client, attempt_id):
    """The signed copy of its paper's rows that the exam page's script sends back with every save."""
    page = client.get(f"/trainee/attempts/{attempt_id}").text
    state = json.loads(page.split('id="exam-state">', 1)[1].split("</script>", 1)[0])
    return state["paper"]


def test_a_save_with_the_pages_copy_of_its_paper_keeps_every_guarantee(client, auth, clock):
    """On PostgreSQL a save that brings the page's signed copy of the paper's rows is the write alone; the
    attempt, its owner and the deadline are still checked on every save."""
    attempt = _started(client, auth, clock)
    url, paper = f"/trainee/attempts/{attempt.id}/answers", _page_paper(client, attempt.id)

    def save(item, response, seq):
        return client.post(url, json={"answers": [{"item": item, "response": response, "seq": seq}], "paper": paper})

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert save(1, True, 1).get_json()["saved"] == [1]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    if db.engine.dialect.name == "postgresql":  # nothing read before the write (the suite's savepoints aside)
        statements = [st for st in statements if "SAVEPOINT" not in st]
        assert len(statements) == 1 and "INSERT INTO answers" in statements[0]
    assert save(1, False, 1).get_json()["stale"] == [1]  # not newer: kept
    singles = db.session.scalars(select(PaperItem.position).where(
        PaperItem.attempt_id == attempt.id, PaperItem.type == QuestionType.SINGLE)).all()
    assert client.post(url, json={"answers": [{"item": p, "response": "B", "seq": 1} for p in singles],
                                  "paper": paper}).get_json()["saved"] == sorted(singles)
    shown = client.get(f"/trainee/attempts/{attempt.id}/state").get_json()["answers"]
    assert singles and all(shown[str(p)]["response"] == "B" for p in singles)  # each in its own option order
    assert save(999, True, 2).status_code == 400
    assert save(1, "Z", 2).status_code == 400
    auth.login("trainee2")  # another trainee with the copy, even with a well-formed save
    assert save(1, False, 3).status_code == 404
    assert save(1, "Z", 3).status_code == 404
    auth.login("trainee1")
    assert save(1, False, 3).get_json()["saved"] == [1]
    clock.advance(minutes=91)
    late = save(1, True, 4)
    assert late.status_code == 409 and late.get_json()["state"] == "graded"
    first = select(Answer.response, Answer.seq).join(PaperItem, PaperItem.id == Answer.paper_item_id).where(
        Answer.attempt_id == attempt.id, PaperItem.position == 1)
    assert tuple(db.session.execute(first).one()) == (False, 3)


def test_another_attempts_copy_or_an_altered_one_cannot_steer_a_save(client, auth, clock):
    """A copy is bound to its attempt and signed: brought to another attempt, or altered, it is ignored and
    the save lands on the right item of the attempt it was sent to."""
    sitting, _report = open_sitting("L4", ["trainee1", "trainee2"], now=clock.now)
    attempts = {}
    for name in ("trainee1", "trainee2"):
        auth.login(name)
        attempts[name] = int(client.post("/trainee/levels/L4/start").location.rsplit("/", 1)[1])
    theirs = _page_paper(client, attempts["trainee2"])
    auth.login("trainee1")
    mine = _page_paper(client, attempts["trainee1"])
    body, sig = mine.rsplit(".", 1)
    altered = body + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
    url = f"/trainee/attempts/{attempts['trainee1']}/answers"
    for seq, paper in enumerate((theirs, altered, "not a copy", 12345), start=1):
        saved = client.post(url, json={"answers": [{"item": 1, "response": seq % 2 == 0, "seq": seq}],
                                       "paper": paper})
        assert saved.status_code == 200 and saved.get_json()["saved"] == [1]
    rows = db.session.execute(select(PaperItem.attempt_id, PaperItem.position, Answer.response, Answer.seq)
                              .join(Answer, Answer.paper_item_id == PaperItem.id)
                              .where(PaperItem.attempt_id.in_(attempts.values()))).all()
    assert [tuple(r) for r in rows] == [(attempts["trainee1"], 1, True, 4)]
    assert all(a.attempt_id == attempts["trainee1"] for a in db.session.scalars(select(Answer)))


def test_submit_returns_before_any_pdf_is_rendered_and_the_worker_renders_it_once(client, auth, clock, monkeypatch):
    rendered = []
    real = certificates.render_certificate_pdf
    monkeypatch.setattr(certificates, "render_certificate_pdf", lambda values: rendered.append(values) or real(values))
    attempt = _started(client, auth, clock)
    answer_all(client, attempt)
    result = client.post(f"/trainee/attempts/{attempt.id}/submit", follow_redirects=True)
    cert = db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one()
    assert rendered == [] and cert.pdf is None and "证书生成中" in result.text
    pending = client.get(f"/trainee/certificates/{cert.id}.pdf")
    assert pending.status_code == 202 and "证书生成中" in pending.text
    assert render_certificates() == 1 and len(rendered) == 1
    assert render_certificates() == 0 and len(rendered) == 1  # never rendered twice
    pdf = client.get(f"/trainee/certificates/{cert.id}.pdf")
    assert pdf.status_code == 200 and pdf.data == db.session.get(Certificate, cert.id).pdf


def _run_bench(*args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "EXAM_TEST_DATABASE_URL"}
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_examday.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("summary: "))
    return json.loads(line.removeprefix("summary: "))


@pytest.mark.skipif(bool(os.environ.get("EXAM_TEST_DATABASE_URL")), reason="the SQLite pass runs the classroom")
def test_a_classroom_on_the_embedded_default_starts_saves_and_submits_at_once_with_no_5xx():
    """50 trainees through a real gunicorn (4 processes) on SQLite: mock exams and the certification opened at
    the same moment, autosaves and submits; not one 5xx, every acknowledged answer kept."""
    summary = _run_bench("--db", "sqlite", "--candidates", "50", "--saves", "6", "--no-faults", "--mock-rush",
                         "--floor-requests", "200")
    assert summary["problems"] == [] and summary["acknowledged answers lost"] == 0
    assert sum(summary["retried"].values()) == 0, summary["retried"]  # no 5xx, no dropped connection
    assert summary["attempts"] == 50 and summary["passed"] > 0


@pytest.mark.skipif(not os.environ.get("EXAM_TEST_DATABASE_URL"), reason="the PostgreSQL pass runs the faults")
def test_exam_day_on_postgresql_loses_nothing_through_a_killed_worker_and_a_database_restart():
    summary = _run_bench("--candidates", "40", "--saves", "6", "--floor-requests", "200")
    assert summary["problems"] == [] and summary["acknowledged answers lost"] == 0
    assert len(summary["faults"]) == 2 and summary["candidates with two attempts"] == 0
    assert summary["attempts not graded"] == 0 and summary["passed without a certificate"] == 0


def test_a_save_while_the_database_restarts_gets_503_with_retry_after(client, auth, clock, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from exam.web import trainee

    attempt = _started(client, auth, clock)

    def dropped(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True)

    monkeypatch.setattr(trainee, "save_answers", dropped)
    response = client.post(f"/trainee/attempts/{attempt.id}/answers",
                           json={"answers": [{"item": 1, "response": True, "seq": 1}]})
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert "稍后重试" in response.get_json()["error"]


@pytest.mark.skipif(not os.environ.get("EXAM_TEST_DATABASE_URL"), reason="PostgreSQL's pool")
def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use_and_a_busy_one_is_not_pinged(
        monkeypatch):
    import psycopg
    from sqlalchemy import text

    from exam import extensions

    url = os.environ["EXAM_TEST_DATABASE_URL"]
    engine, other = extensions.make_engine(url, pool_size=1, max_overflow=0), extensions.make_engine(url)
    sent = []
    for cls in (psycopg.Connection, psycopg.Cursor):  # whichever way a check before use would be sent
        monkeypatch.setattr(cls, "execute", lambda self, query, *a, _run=cls.execute, **k: (
            sent.append(str(query)), _run(self, query, *a, **k))[1])
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        sent.clear()
        with engine.connect() as conn:  # back at once: used as it is, nothing sent first
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == first
        assert sent == ["SELECT pg_backend_pid()"]
        with other.connect() as conn:  # the server drops the idle connection
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar()
        monkeypatch.setattr(extensions, "IDLE_PING_SECONDS", 0.0)  # as after a quiet spell
        with engine.connect() as conn:  # checked, found dead, replaced: no error
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first
    finally:
        engine.dispose()
        other.dispose()


def test_threads_of_one_process_share_one_job_queue():
    """Two request threads issuing the first certificates of a process at once used to build two queues,
    open one and defer through the other (never opened): every later deferral of that process failed."""
    import threading

    from exam import jobs

    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    jobs._queues.pop(url, None)
    barrier, got = threading.Barrier(8), []

    def take() -> None:
        barrier.wait()
        got.append(jobs.job_queue(url))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    jobs._queues.pop(url, None)
    assert len({id(q) for q in got}) == 1
