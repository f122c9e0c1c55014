"""Configuration from the environment (``EXAM_*``), with laptop defaults under ``instance/``."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _secret_key(instance: Path) -> str:
    """EXAM_SECRET_KEY, else a key generated once into instance/secret_key (stable across restarts)."""
    if os.environ.get("EXAM_SECRET_KEY"):
        return os.environ["EXAM_SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def _signing_files() -> dict:
    """EXAM_SIGNING_CERT and EXAM_SIGNING_KEY (paths to PEM files). Web hosts need only the certificate (to check
    uploads); the key is needed where certificates are rendered (``flask worker``). With neither, a self-signed
    demonstration pair is generated once into instance/signing/ when a PDF is first signed or checked
    (exam/services/signing.py), not here: start-up generates no keys."""
    key, cert = os.environ.get("EXAM_SIGNING_KEY") or None, os.environ.get("EXAM_SIGNING_CERT") or None
    if key is not None and cert is None:
        raise RuntimeError("EXAM_SIGNING_KEY is set without EXAM_SIGNING_CERT")
    return {"SIGNING_KEY": key, "SIGNING_CERT": cert,
            "SIGNING_KEY_PASSWORD": os.environ.get("EXAM_SIGNING_KEY_PASSWORD") or None}


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    instance = Path(instance_path)
    overrides = overrides or {}
    db_url = os.environ.get("EXAM_DATABASE_URL") or f"sqlite:///{instance / 'exam.sqlite3'}"
    return {
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(instance),
        "DATABASE_URL": db_url,
        #: Base of the links printed in certificates' QR codes, e.g. https://exam.example.cn
        "PUBLIC_BASE_URL": os.environ.get("EXAM_PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "ISSUING_BODY": os.environ.get("EXAM_ISSUING_BODY", "中国电信集团公司"),
        "DEMO_PASSWORD": os.environ.get("EXAM_DEMO_PASSWORD", "demo-password"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("EXAM_SECURE_COOKIES", "") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        #: database connections per process (PostgreSQL); one per gunicorn thread is enough
        "DB_POOL_SIZE": int(os.environ.get("EXAM_DB_POOL_SIZE", "5")),
        #: on PostgreSQL, queue certificate rendering for the workers (EXAM_JOB_QUEUE=0: only the sweep renders)
        "JOB_QUEUE": os.environ.get("EXAM_JOB_QUEUE", "1") != "0",
        #: `flask worker` lowers its CPU priority by this much (Unix nice): rendering certificates gives way to
        #: the trainees' requests on a shared host, and takes the idle CPU after the submit spike
        "JOB_WORKER_NICE": int(os.environ.get("EXAM_JOB_WORKER_NICE", "10") or 0),
        #: reverse proxies in front of the app whose X-Forwarded-For is trusted (sittings' IP ranges)
        "PROXY_HOPS": int(os.environ.get("EXAM_PROXY_HOPS", "0") or 0),
        #: a signed session cookie is refused after this long, whatever the browser keeps
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=float(os.environ.get("EXAM_SESSION_HOURS", "12"))),
        #: where rate-limit counters live; the default is this database (shared by every worker and host),
        #: e.g. redis://host:6379 when a deployment has Redis
        "RATELIMIT_STORAGE_URI": os.environ.get("EXAM_RATELIMIT_STORAGE_URI", "exam-database://"),
        #: wrong passwords per account, and per client address, before logins are refused for the window
        "LOGIN_LIMIT_ACCOUNT": os.environ.get("EXAM_LOGIN_LIMIT_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_ADDRESS": os.environ.get("EXAM_LOGIN_LIMIT_ADDRESS", "100 per 15 minutes"),
        #: wrong sitting passwords per enrolment before entry is locked, and for how long
        "SITTING_PASSWORD_TRIES": int(os.environ.get("EXAM_SITTING_PASSWORD_TRIES", "5")),
        "SITTING_PASSWORD_LOCK_MINUTES": int(os.environ.get("EXAM_SITTING_PASSWORD_LOCK_MINUTES", "15")),
        #: wrong sitting passwords per client address (a room behind one address shares it)
        "SITTING_PASSWORD_LIMIT_ADDRESS": os.environ.get("EXAM_SITTING_PASSWORD_LIMIT_ADDRESS", "60 per 15 minutes"),
        #: 阅卷回避: a marker never marks candidates of their own organisation or one below it
        "MARKING_EXCLUDE_OWN_ORGANIZATION": os.environ.get("EXAM_MARKING_EXCLUDE_OWN_ORG", "0") == "1",
        #: who gives the third mark (仲裁) when two marks differ too much: "any" marker other than the
        #: first two, or only an "admin" (the 阅卷组长 holds the administrator role)
        "MARKING_ARBITERS": os.environ.get("EXAM_MARKING_ARBITERS", "any"),
        #: certificate look-ups on /verify per client address
        "VERIFY_LIMIT": os.environ.get("EXAM_VERIFY_LIMIT", "30 per minute; 300 per hour"),
        #: PAdES signature of certificate PDFs: SIGNING_KEY (PEM private key), SIGNING_CERT (PEM certificate,
        #: optionally followed by its chain), SIGNING_KEY_PASSWORD; None: the instance's demonstration pair
        **_signing_files(),
        #: item analysis (试题分析): an item is flagged below / above these facilities (p), below this
        #: discrimination (D, upper–lower 27 %); a form below this reliability (KR-20 / α); an item or form is
        #: judged only with at least ANALYSIS_MIN_RESPONSES responses; a wrong option chosen by fewer than
        #: ANALYSIS_UNUSED_DISTRACTOR of respondents is a distractor nobody picks
        "ANALYSIS_MIN_P": float(os.environ.get("EXAM_ANALYSIS_MIN_P", "0.2")),
        "ANALYSIS_MAX_P": float(os.environ.get("EXAM_ANALYSIS_MAX_P", "0.9")),
        "ANALYSIS_MIN_DISCRIMINATION": float(os.environ.get("EXAM_ANALYSIS_MIN_DISCRIMINATION", "0.2")),
        "ANALYSIS_MIN_ALPHA": float(os.environ.get("EXAM_ANALYSIS_MIN_ALPHA", "0.7")),
        "ANALYSIS_MIN_RESPONSES": int(os.environ.get("EXAM_ANALYSIS_MIN_RESPONSES", "30")),
        "ANALYSIS_UNUSED_DISTRACTOR": float(os.environ.get("EXAM_ANALYSIS_UNUSED_DISTRACTOR", "0.02")),
    } | overrides
