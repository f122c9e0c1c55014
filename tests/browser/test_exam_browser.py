"""One real browser: log in, start L4, answer, reload, answers still there, submit, see the result.

The server is the real CLI (`flask db upgrade`, `demo load`, `flask run`) in a subprocess with its own
database: a fresh SQLite file, or a fresh PostgreSQL database when the suite runs on PostgreSQL.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions"]
FLASK = [sys.executable, "-m", "flask", "--app", "exam"]
PASSWORD = "browser-password"
#: answers the exam page keeps in this browser
STORED_ANSWERS = "Object.keys(localStorage).filter(k => k.startsWith('exam-attempt-')).length"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(tmp_path: Path) -> str:
    base = os.environ.get("EXAM_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS exam_browser"))
        conn.execute(text("CREATE DATABASE exam_browser"))
    admin.dispose()
    return make_url(base).set(database="exam_browser").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    tmp = tmp_path_factory.mktemp("live")
    env = os.environ | {"EXAM_DATABASE_URL": _database_url(tmp), "EXAM_DEMO_PASSWORD": PASSWORD,
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


def test_trainee_answers_reloads_and_finds_answers_then_submits(live_server, browser):
    page = browser.new_page()
    page.set_default_timeout(15000)
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "trainee1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("button[data-level=L4]")
    page.wait_for_selector("#exam")

    q1 = page.locator("section.q[data-type=true_false]").first
    q1.locator("input[value=false]").check()
    single = page.locator("section.q[data-type=single]").first
    single.locator("input[type=radio]").nth(2).check()
    blank = page.locator("section.q[data-type=fill_blank] input.blank").first
    blank.fill("成长期")
    single.locator(".flag-box").check()
    expect(page.locator("#save-status")).to_have_text(re.compile("^已保存"))  # (no eval: the CSP forbids it)
    assert page.evaluate(STORED_ANSWERS) == 0  # acknowledged answers do not stay on a shared exam-room PC
    q1_pos = q1.get_attribute("data-position")
    assert "answered" in page.locator(f"#nav-{q1_pos}").get_attribute("class")
    countdown_before = page.text_content("#countdown")

    page.reload()
    page.wait_for_selector("#exam")
    assert page.locator("section.q[data-type=true_false]").first.locator("input[value=false]").is_checked()
    single = page.locator("section.q[data-type=single]").first
    assert single.locator("input[type=radio]").nth(2).is_checked()
    assert single.locator(".flag-box").is_checked()
    assert page.locator("section.q[data-type=fill_blank] input.blank").first.input_value() == "成长期"
    assert "flagged" in page.locator(f"#nav-{single.get_attribute('data-position')}").get_attribute("class")
    assert countdown_before.startswith("1:2") or countdown_before.startswith("1:3")  # ~90 minutes from the server

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#submit-button")
    page.wait_for_url("**/result")
    assert "成绩" in page.text_content("h1")
    assert "总分" in page.text_content("#result-score")
    assert "不合格" in page.text_content("#result-verdict")
    assert page.evaluate(STORED_ANSWERS) == 0


def test_answers_the_server_never_acknowledged_are_kept_until_logout(live_server, browser):
    page = browser.new_page()
    page.set_default_timeout(15000)
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "trainee2")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("button[data-level=L4]")
    page.wait_for_selector("#exam")
    page.route("**/answers", lambda route: route.abort())  # the network drops every save
    page.locator("section.q[data-type=true_false]").first.locator("input[value=true]").check()
    expect(page.locator("#save-status")).to_have_class(re.compile(r"\berror\b"))
    assert page.evaluate(STORED_ANSWERS) == 1
    page.click("header form[data-logout] button")
    page.wait_for_url("**/login")
    assert page.evaluate(STORED_ANSWERS) == 0
