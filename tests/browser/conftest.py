"""The live server and the browser the browser tests share: the real CLI (`flask db upgrade`, `demo load`,
`flask run`) in a subprocess with its own database per test module (a fresh SQLite file, or a fresh PostgreSQL
database when the suite runs on PostgreSQL), and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions"]
FLASK = [sys.executable, "-m", "flask", "--app", "exam"]
PASSWORD = "browser-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(tmp_path: Path, name: str) -> str:
    base = os.environ.get("EXAM_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    tmp = tmp_path_factory.mktemp("live")
    name = "exam_" + request.module.__name__.rsplit(".", 1)[-1]  # one database per module
    env = os.environ | {"EXAM_DATABASE_URL": _database_url(tmp, name), "EXAM_DEMO_PASSWORD": PASSWORD,
                        "EXAM_SECRET_KEY": "browser-test", "FLASK_DEBUG": "0"}
    root = Path(__file__).resolve().parents[2]
    for args in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(FLASK + args, env=env, cwd=root, check=True, capture_output=True)
    port = _free_port()
    log = open(tmp / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(FLASK + ["run", "--port", str(port)], env=env, cwd=root, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError((tmp / "server.log").read_text())
        yield url
    finally:
        server.terminate()
        server.wait(10)
        log.close()


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()



def login(page, live_server: str, username: str) -> None:  # noqa: ANN001
    """Log in through the login page and wait for the user's home page."""
    page.goto(live_server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
