"""gunicorn settings for `make run` and production: ``gunicorn -c gunicorn.conf.py``.

Every value can be set from the environment, so one file serves a laptop, one exam-day host and a
row of hosts behind a reverse proxy. The app keeps no state in a process (sessions are signed
cookies, attempts and jobs live in the database), so workers and hosts can be added freely.
"""
import os

import gunicorn.http.wsgi

# responses say "Server: exam", not which server software (and version) answers
gunicorn.http.wsgi.SERVER = "exam"

wsgi_app = "exam:create_app()"
bind = os.environ.get("EXAM_BIND", "127.0.0.1:5000").split(",")
#: processes; each serves ``threads`` requests at once. Two per core with four threads each (README, "Exam
#: day"): a request spends part of its time waiting for the database, so a second process keeps a core busy.
workers = int(os.environ.get("EXAM_WORKERS", str(2 * (os.cpu_count() or 1))))
worker_class = "gthread"
threads = int(os.environ.get("EXAM_THREADS", "4"))
timeout = int(os.environ.get("EXAM_WORKER_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
#: the app must not announce the server software
proc_name = "vip-exam"
accesslog = os.environ.get("EXAM_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("EXAM_LOG_LEVEL", "warning")
