"""One real browser: log in, start L4, answer, reload, answers still there, submit, see the result.

The server and the browser come from ``conftest.py``.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser.conftest import PASSWORD

#: answers the exam page keeps in this browser
STORED_ANSWERS = "Object.keys(localStorage).filter(k => k.startsWith('exam-attempt-')).length"

pytestmark = pytest.mark.browser


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
