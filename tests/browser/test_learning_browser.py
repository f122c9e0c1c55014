"""In a real browser: practice with its feedback, the 错题本 emptying after two right answers, a trainee's application
through HR's approval, HR's overview drawing its charts, the error pages, the exam page on a 390-px phone and at
200 % zoom answered by keyboard alone, and axe-core (packaged, no CDN) finding no serious accessibility problem on
the main pages. The server and the browser come from ``conftest.py``."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from browser.conftest import login

pytestmark = pytest.mark.browser


def new_page(browser, **context):  # noqa: ANN001, ANN201
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(15000)
    return page


def test_practice_shows_the_key_and_explanation_right_after_each_answer(live_server, browser):
    page = new_page(browser)
    login(page, live_server, "trainee1")
    page.click("header nav >> text=专项练习")
    page.select_option("select[name=level]", "L2")
    page.select_option("select[name=type]", "single")
    page.select_option("select[name=size]", "5")
    page.click("#practice-start")
    expect(page.locator("#practice-progress")).to_contain_text("第 1 / 5 题")
    expect(page.locator("#practice-key")).to_have_count(0)  # no key before the answer
    page.locator("#practice-answer input[name=answer]").first.check()
    page.click("#practice-submit")
    expect(page.locator("#practice-verdict")).to_have_text(re.compile("回答(正确|错误)"))
    expect(page.locator("#practice-key")).to_have_text(re.compile("^[A-H]$"))
    expect(page.locator("#practice-given")).to_have_text("A")
    expect(page.locator("#practice-explanation")).not_to_be_empty()
    page.click("#practice-next")
    expect(page.locator("#practice-progress")).to_contain_text("第 2 / 5 题")


def _practise_until_wrong(page, live_server: str) -> str:  # noqa: ANN001
    """One-item single-choice sets answered A until one is wrong; that item's key."""
    for _ in range(15):
        page.goto(live_server + "/trainee/learn/practice?level=L2&type=single&size=1")
        page.click("#practice-start")
        page.locator("#practice-answer input[value=A]").check()
        page.click("#practice-submit")
        if "回答错误" in page.text_content("#practice-verdict"):
            return page.text_content("#practice-key").strip()
    raise AssertionError("fifteen questions in a row had the key A")


def test_an_item_leaves_the_wrong_book_after_two_right_answers(live_server, browser):
    page = new_page(browser)
    login(page, live_server, "trainee2")
    key = _practise_until_wrong(page, live_server)
    page.click("header nav >> text=错题本")
    items = page.locator("article[data-wrong-question]")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("A")
    for round_ in (1, 2):
        page.click("button[data-wrong-practice=L2]")
        expect(page.locator("h1")).to_contain_text("错题重练")
        page.locator(f"#practice-answer input[value={key}]").check()
        page.click("#practice-submit")
        expect(page.locator("#practice-verdict")).to_have_text("回答正确")
        page.click("header nav >> text=错题本")
        if round_ == 1:
            expect(items).to_have_count(1)
            expect(items.first).to_contain_text("已连续答对 1 次")
    expect(items).to_have_count(0)
    expect(page.locator("#wrong-empty")).to_be_visible()


def test_a_trainee_applies_and_hr_approves_the_application(live_server, browser):
    hr = new_page(browser)
    login(hr, live_server, "hr1")
    hr.click("header nav >> text=考场安排")
    tomorrow = (datetime.now(UTC) + timedelta(hours=8, days=1)).strftime("%Y-%m-%d")
    hr.fill("#schedule input[name=name]", "三级 申请报名考场")
    hr.select_option("#schedule select[name=level]", "L3")
    hr.select_option("#schedule select[name=organization]", "CT-GD")
    hr.fill("#schedule input[name=starts_at]", f"{tomorrow}T09:00")
    hr.fill("#schedule input[name=ends_at]", f"{tomorrow}T12:00")
    hr.click("#schedule button[type=submit]")
    expect(hr.locator("h1")).to_have_text("三级 申请报名考场")
    sitting_id = hr.url.rstrip("/").rsplit("/", 1)[1]

    trainee = new_page(browser)
    login(trainee, live_server, "trainee2")
    trainee.click(f"button[data-apply='{sitting_id}']")
    expect(trainee.locator("[data-application-status=pending]")).to_be_visible()

    hr.reload()
    hr.click("button[data-approve=trainee2]")
    expect(hr.locator(".flash")).to_contain_text("已批准")
    expect(hr.locator("tr[data-application=trainee2]")).to_have_attribute("data-status", "approved")
    expect(hr.locator("#sitting-status tr[data-user=trainee2]")).to_have_count(1)

    trainee.reload()
    expect(trainee.locator(f"[data-apply-sitting='{sitting_id}']")).to_have_count(0)
    expect(trainee.locator(".sitting", has_text="三级 申请报名考场")).to_contain_text("进入候考室")


def test_hr_overview_draws_its_charts(live_server, browser):
    page = new_page(browser)
    login(page, live_server, "hr1")
    expect(page.locator("h1")).to_have_text("认证概览")  # HR's home
    for chart in ("certificates-per-month", "pass-rate-by-level", "pass-rate-by-unit"):
        svg = page.locator(f"svg[data-chart={chart}]")
        expect(svg).to_be_visible()
        assert svg.bounding_box()["width"] > 200
    expect(page.locator("svg[data-chart=pass-rate-by-unit] text", has_text="广东分公司")).to_have_count(1)
    expect(page.locator("#expiring-export")).to_be_visible()


@pytest.mark.parametrize(("username", "path", "status", "title"), [
    ("guest", "/no-such-page", 404, "页面不存在"),
    ("trainee1", "/admin/", 403, "没有权限"),
    ("trainee1", "/logout", 405, "操作方式不正确"),
])
def test_error_pages_are_chinese_inside_the_layout_with_a_way_back(live_server, browser, username, path, status,
                                                                   title):
    page = new_page(browser)
    if username != "guest":
        login(page, live_server, username)
    response = page.goto(live_server + path)
    assert response.status == status
    expect(page.locator("#error-page h1")).to_have_text(title)
    expect(page.locator("header.top .brand")).to_be_visible()
    page.click("#error-page >> text=返回首页")
    expect(page.locator("#error-page")).to_have_count(0)


def _no_horizontal_scroll(page) -> None:  # noqa: ANN001
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


def test_the_exam_page_on_a_phone_and_at_200_percent_zoom_answered_by_keyboard(live_server, browser):
    phone = new_page(browser, viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True,
                     has_touch=True)
    login(phone, live_server, "trainee1")
    phone.click("button[data-mock=L2]")
    phone.wait_for_selector("#exam")
    exam_url = phone.url
    expect(phone.locator(".nav-grid")).to_be_hidden()  # the navigator is folded away
    _no_horizontal_scroll(phone)
    for q in phone.locator("section.q").all()[:10]:
        box = q.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    phone.click("#navigator summary")
    expect(phone.locator(".nav-grid")).to_be_visible()
    phone.click("#nav-12")
    expect(phone.locator(".nav-grid")).to_be_hidden()  # folded again once a question is picked
    expect(phone.locator("#q-12")).to_be_in_viewport()

    zoomed = new_page(browser, viewport={"width": 640, "height": 400}, device_scale_factor=2)  # 1280 px at 200 %
    login(zoomed, live_server, "trainee1")
    zoomed.goto(exam_url)
    expect(zoomed.locator(".nav-grid")).to_be_hidden()
    _no_horizontal_scroll(zoomed)
    expect(zoomed.locator("#submit-button")).to_be_visible()

    # keyboard only: Space picks a radio, the arrow keys move within its group, Tab goes on to the next question
    first = zoomed.locator("section.q[data-type=true_false]").first
    first.locator("input[value=true]").focus()
    zoomed.keyboard.press("Space")
    zoomed.keyboard.press("ArrowDown")
    expect(first.locator("input[value=false]")).to_be_checked()
    zoomed.keyboard.press("Tab")
    expect(first.locator(".flag-box")).to_be_focused()
    zoomed.keyboard.press("Space")
    zoomed.keyboard.press("Tab")
    second = zoomed.locator("section.q[data-type=true_false]").nth(1)
    expect(second.locator("input[value=true]")).to_be_focused()
    zoomed.keyboard.press("Space")
    expect(second.locator("input[value=true]")).to_be_checked()
    expect(zoomed.locator("#save-status")).to_have_text(re.compile("^已保存"))
    zoomed.reload()
    expect(zoomed.locator("section.q[data-type=true_false]").first.locator("input[value=false]")).to_be_checked()
    expect(zoomed.locator("section.q[data-type=true_false]").first.locator(".flag-box")).to_be_checked()


AXE_PAGES = {
    None: ["/login", "/verify"],
    "trainee1": ["/trainee/", "/trainee/learn/practice", "/trainee/learn/wrong", "/trainee/learn/progress"],
    "hr1": ["/hr/overview/", "/hr/sittings/", "/hr/sittings/1", "/hr/sittings/1/results", "/hr/certificates",
            "/hr/facts/"],
    "trainer1": ["/trainer/", "/trainer/questions", "/rules/L4"],
    "admin1": ["/admin/", "/admin/eligibility/rules"],
}


def _serious_violations(page) -> list[str]:  # noqa: ANN001
    from axe_playwright_python.base import AXE_SCRIPT  # axe-core as packaged on PyPI: nothing fetched at run time

    page.evaluate(AXE_SCRIPT)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{page.url}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:5]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_violations_on_the_main_pages(live_server, browser):
    problems = []
    for username, paths in AXE_PAGES.items():
        page = new_page(browser)
        if username:
            login(page, live_server, username)
        for path in paths:
            page.goto(live_server + path)
            problems += _serious_violations(page)
    page = new_page(browser)
    login(page, live_server, "trainee1")
    page.goto(live_server + "/trainee/learn/practice?level=L2&size=1&type=multiple")
    page.click("#practice-start")
    problems += _serious_violations(page)  # a practice question
    page.locator("#practice-answer input[name=answer]").first.check()
    page.click("#practice-submit")
    problems += _serious_violations(page)  # its feedback
    page.goto(live_server + "/trainee/")
    page.click("button[data-mock=L1]")
    page.wait_for_selector("#exam")
    problems += _serious_violations(page)  # the exam page
    assert not problems, "\n".join(problems)
