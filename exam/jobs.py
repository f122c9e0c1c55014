"""Background work outside the web requests: certificate PDFs and the deadline sweep.

On PostgreSQL the queue is Procrastinate (its tables in schema ``procrastinate`` of the app's own
database, so several app hosts and worker hosts need nothing but that one PostgreSQL):

- grading records a certificate and, once its transaction has committed, defers one
  ``render_certificate`` job; any worker on any host takes it (LISTEN/NOTIFY wakes it at once);
- a periodic ``sweep`` (every ``SWEEP_SECONDS``) finalises attempts past their deadline whose
  trainee never came back and renders any certificate whose job was lost (a defer that failed
  because the database was restarting, say). The database, not the queue, says what is pending,
  so nothing depends on a job having been delivered.

On SQLite (the laptop default) there is no queue: ``flask --app exam worker`` runs the same sweep
every ``LOCAL_SWEEP_SECONDS``; ``make run`` starts it beside the web server.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from exam import clock
from exam.extensions import db
from exam.services.certificates import (
    RENDER_AFTER_COMMIT,
    CertificateSettings,
    pending_certificates,
    render_issued_certificate,
)

log = logging.getLogger(__name__)

SWEEP_SECONDS = 10
LOCAL_SWEEP_SECONDS = 2
#: attempts finalised per sweep transaction batch
SWEEP_BATCH = 200
QUEUE = "certificates"

_queues: dict[str, Any] = {}
#: database URLs whose queue this process has opened for deferring (lazily, after gunicorn forked it)
_opened: set[str] = set()
_open_lock = threading.Lock()
_create_lock = threading.Lock()
#: the Flask app the worker's tasks run in (set by ``run_worker``)
_worker_app: Flask | None = None


def uses_queue(app: Flask) -> bool:
    return bool(app.config.get("JOB_QUEUE")) and app.config["DATABASE_URL"].startswith("postgresql")


def job_queue(database_url: str) -> Any:
    """The Procrastinate app for ``database_url`` (one per process, its tasks registered)."""
    queue = _queues.get(database_url)
    if queue is not None:
        return queue
    with _create_lock:  # threads of one process share one App (a second one would never be opened)
        queue = _queues.get(database_url)
        if queue is None:
            queue = _queues[database_url] = _new_queue(database_url)
    return queue


def _new_queue(database_url: str) -> Any:
    import procrastinate

    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo, kwargs={"options": "-c search_path=procrastinate"}, min_size=1, max_size=4)
    queue = procrastinate.App(connector=connector)

    @queue.task(name="render_certificate", queue=QUEUE, retry=procrastinate.RetryStrategy(
        max_attempts=5, wait=2, exponential_wait=2))
    def render_certificate(certificate_id: int) -> None:
        with _app().app_context():
            render_one(certificate_id)

    @queue.periodic(cron=f"* * * * * */{SWEEP_SECONDS}", periodic_id="sweep")
    @queue.task(name="sweep", queue=QUEUE, pass_context=False)
    def sweep(timestamp: int) -> None:
        with _app().app_context():
            run_sweep()

    return queue


def _app() -> Flask:
    if _worker_app is None:
        raise RuntimeError("tasks run inside `flask --app exam worker`")
    return _worker_app


def render_one(certificate_id: int) -> bool:
    """Render one certificate in its own transaction; True when this call rendered it."""
    try:
        done = render_issued_certificate(db.session, certificate_id, clock.now())
        db.session.commit()
        return done
    except Exception:
        db.session.rollback()
        raise


def run_sweep(settings: CertificateSettings | None = None) -> tuple[int, int]:
    """Finalise attempts past their deadline, then render certificates still waiting, then analyse sittings that
    closed with all marking done (item analysis); returns the first two counts.

    Each attempt and each certificate is its own transaction, so one failure costs only itself and the
    write lock (SQLite) or row locks (PostgreSQL) are held briefly.
    """
    from exam.models import Attempt, AttemptState
    from exam.services.grading import finalize_overdue
    from exam.web.common import certificate_settings

    settings = settings or certificate_settings()
    finalised = 0
    while True:
        now = clock.now()
        ids = db.session.scalars(
            select(Attempt.id).where(Attempt.state == AttemptState.IN_PROGRESS, Attempt.deadline_at <= now)
            .order_by(Attempt.deadline_at).limit(SWEEP_BATCH)).all()
        db.session.commit()
        if not ids:
            break
        for attempt_id in ids:
            try:
                attempt = db.session.get(Attempt, attempt_id)
                if attempt is not None and finalize_overdue(db.session, attempt, now, settings):
                    finalised += 1
                db.session.commit()
            except StaleDataError:
                db.session.rollback()  # the trainee's own request finalised it meanwhile
        if len(ids) < SWEEP_BATCH:
            break
    rendered = 0
    while True:
        ids = pending_certificates(db.session)
        db.session.commit()
        progress = 0
        for cert_id in ids:
            if render_one(cert_id):
                rendered += 1
                progress += 1
        if not ids or not progress:
            break
    _analyse_closed_sittings()
    return finalised, rendered


def _analyse_closed_sittings() -> None:
    """Item analysis of sittings whose window closed and whose marking is done (one transaction each); a
    failure is logged and tried again next sweep, never holding up certificates."""
    from flask import current_app

    from exam.services.item_analysis import AnalysisSettings
    from exam.services.sitting_analysis import analyse_closed_sittings, sittings_ready

    settings = AnalysisSettings.from_config(current_app.config)
    try:
        ids = sittings_ready(db.session, clock.now())
        db.session.commit()
        for sitting_id in ids:
            analyse_closed_sittings(db.session, settings, clock.now(), ids=[sitting_id])
            db.session.commit()
    except Exception:  # noqa: BLE001
        db.session.rollback()
        log.exception("item analysis of closed sittings failed; retrying next sweep")


def defer_rendering(app: Flask, certificate_ids: list[int]) -> None:
    """After a commit: one job per newly issued certificate. A failure is logged, not raised: the
    sweep renders whatever has no job."""
    if not certificate_ids or not uses_queue(app):
        return
    try:
        url = app.config["DATABASE_URL"]
        queue = job_queue(url)
        with _open_lock:
            if url not in _opened:
                queue.open()
                _opened.add(url)
        queue.tasks["render_certificate"].batch_defer(*({"certificate_id": i} for i in certificate_ids))
    except Exception:  # noqa: BLE001  (the database may be restarting; the sweep catches up)
        log.warning("could not queue certificate rendering for %s; the sweep will render them",
                    certificate_ids, exc_info=True)


_listening = False


def init_app(app: Flask) -> None:
    """Queue the rendering of certificates issued by a transaction once it has committed."""
    global _listening
    if _listening:  # the session is shared by every app of the process
        return
    _listening = True

    @event.listens_for(db.session, "after_commit")
    def _after_commit(session: Session) -> None:
        ids = session.info.pop(RENDER_AFTER_COMMIT, None)
        if ids:
            from flask import current_app

            defer_rendering(current_app._get_current_object(), ids)  # type: ignore[attr-defined]

    @event.listens_for(db.session, "after_soft_rollback")
    def _after_rollback(session: Session, _previous: Any) -> None:
        if not session.in_transaction():
            session.info.pop(RENDER_AFTER_COMMIT, None)


def run_worker(app: Flask, *, once: bool = False) -> None:
    """The worker process: the Procrastinate worker on PostgreSQL, the local sweep loop on SQLite."""
    global _worker_app
    _worker_app = app
    if uses_queue(app) and not once:
        _run_queue_worker(app)
        return
    while True:
        with app.app_context():
            try:
                finalised, rendered = run_sweep()
                if finalised or rendered:
                    log.info("sweep: %d attempts finalised, %d certificates rendered", finalised, rendered)
            except Exception:  # noqa: BLE001  (a locked or restarting database: try again next round)
                log.exception("sweep failed; retrying")
                db.session.rollback()
        if once:
            return
        time.sleep(LOCAL_SWEEP_SECONDS)


def _run_queue_worker(app: Flask) -> None:
    """Procrastinate's worker, started again whenever it stops for any reason but a signal.

    It stops by itself when its database connection drops (a restart, a failover); we then catch up
    with a sweep and start it again.
    """
    import signal

    queue = job_queue(app.config["DATABASE_URL"])
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        try:
            with app.app_context():
                run_sweep()  # whatever was left while no worker ran
            queue.run_worker(queues=[QUEUE], wait=True, install_signal_handlers=False, delete_jobs="successful")
        except KeyboardInterrupt:
            return
        except Exception:  # noqa: BLE001
            log.exception("job worker failed")
            with app.app_context():
                db.session.rollback()
        if not stopping:
            log.warning("job worker stopped; starting again in %s s", LOCAL_SWEEP_SECONDS)
            time.sleep(LOCAL_SWEEP_SECONDS)
