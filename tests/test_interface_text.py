"""The interface is Chinese: walking the pages each role reaches, no English word is left in the visible text
(nor in placeholders, titles, labels for screen readers, button values) except an allow-list of terms users
know in Latin letters. What trainers, HR or files wrote (question stems and options with telecom abbreviations
such as FTTH or VoLTE, file names, usernames, sitting names) is content, marked ``data-content`` in the
templates, and not checked here. The audit log's actions and detail keys have Chinese labels."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import DEMO_PASSWORD
from helpers import answer_all
from sqlalchemy import select

from exam.extensions import db
from exam.models import Attempt
from exam.web.audit_labels import ACTIONS, ENTITIES, KEYS, audit_detail

#: Latin-letter terms users read as they are
ALLOWED = {"VIP", "PDF", "ZIP", "QR", "API", "Excel", "SHA", "CSV", "JSON", "IP", "Word", "CIDR", "URL", "MB", "PAdES",
           "Moodle", "XML", "QTI", "GIFT", "Aiken", "OCR"}
#: a word of two or more Latin letters standing alone: not a file extension (".xlsx"), nor part of a code glued to
#: digits (工号 GZ0420011, a SHA-256)
WORD = re.compile(r"(?<![.A-Za-z0-9_])[A-Za-z]{2,}(?![A-Za-z0-9_])")
#: keys written as option letters (答案 ABC)
OPTION_LETTERS = re.compile(r"[A-H]{2,8}")
#: attributes whose text a user reads or hears
SPOKEN = ("placeholder", "title", "aria-label", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
DOWNLOADS = (".pdf", ".xlsx", ".zip", ".json", ".csv", ".docx", ".txt")
#: pages a role can only reach by doing something first, visited besides the links
START = ["/", "/verify", "/trainee/", "/trainee/learn/practice", "/trainee/learn/wrong", "/trainee/learn/progress",
         "/trainer/", "/trainer/questions", "/trainer/imports", "/rules/", "/hr/overview/", "/hr/sittings/",
         "/hr/certificates", "/hr/facts/", "/admin/", "/account/password", "/no-such-page"]


class VisibleText(HTMLParser):
    """Text a user sees or hears, leaving out scripts, styles and elements marked ``data-content``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip: list[str] = []  # the tag names of open elements being skipped (content, script, style)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if self.skip:
            if tag == self.skip[-1] and tag not in VOID:
                self.skip.append(tag)
            return
        if "data-content" in names:
            if tag not in VOID:
                self.skip.append(tag)
            return
        if tag in ("script", "style", "textarea"):  # a textarea holds the value being edited
            self.skip.append(tag)
            return
        self.parts += [v for k, v in attrs if k in SPOKEN and v]
        if tag == "input" and names.get("type") in ("submit", "button") and names.get("value"):
            self.parts.append(names["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if self.skip and tag == self.skip[-1]:
            self.skip.pop()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    return {w for w in WORD.findall(" ".join(parser.parts)) if w not in ALLOWED and not OPTION_LETTERS.fullmatch(w)}


def _walk(client, limit: int = 90, per_endpoint: int = 3) -> dict[str, set[str]]:  # noqa: ANN001
    """Pages reachable from the start list by links (a few per endpoint): url → English words on it."""
    adapter = client.application.url_map.bind("localhost")
    queue, seen, per, found = list(START), set(), {}, {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or path.endswith(DOWNLOADS) or path.startswith(("/static", "/api/")) or "logout" in path:
            continue
        try:
            endpoint = adapter.match(path)[0]
        except Exception:  # noqa: BLE001  (a 404 page is walked once, from the start list)
            endpoint = "404"
        per[endpoint] = per.get(endpoint, 0) + 1
        if per[endpoint] > per_endpoint:
            continue
        seen.add(url)
        page = client.get(url)
        if not page.mimetype.startswith("text/html") or 300 <= page.status_code < 400:  # a browser follows it
            continue
        html = page.get_data(as_text=True)
        if words := english_words(html):
            found[url] = words
        queue += [h.replace("&amp;", "&") for h in re.findall(r'href="(/[^"#]*)"', html)]
    return found


def _prepare_trainee(client) -> None:  # noqa: ANN001
    """A practice set answered, a finished mock to review, a running mock's exam page."""
    client.post("/trainee/learn/practice", data={"level": "L2", "size": "1", "type": "single"})
    client.post("/trainee/learn/sets/1/answer", data={"position": "1", "answer": "A"})
    done = int(client.post("/trainee/levels/L2/mock").location.rsplit("/", 1)[1])
    answer_all(client, db.session.get(Attempt, done), only={1, 2, 3})
    client.post(f"/trainee/attempts/{done}/submit")
    client.post("/trainee/levels/L1/mock")


@pytest.mark.parametrize("username", ["guest", "trainee1", "trainer1", "hr1", "admin1"])
def test_no_english_left_in_the_interface(app, client, clock, username):
    if username != "guest":
        assert client.post("/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302
    if username == "trainee1":
        _prepare_trainee(client)
    found = _walk(client)
    assert not found, "\n".join(f"{url}: {sorted(words)}" for url, words in found.items())


def test_the_checker_finds_english_and_skips_content():
    assert english_words("<p>Forbidden — You don't have the permission</p>") >= {"Forbidden", "You", "permission"}
    assert english_words('<h2>比重表 (% of points)</h2>') == {"of", "points"}
    assert english_words('<input placeholder="search">') == {"search"}
    assert not english_words('<p>VIP客户 PDF <span data-content>FTTH 与 VoLTE <b>HD</b></span> 已保存</p>')
    assert not english_words("<script>const x = 1;</script><style>a { color: red }</style>")


def test_every_audited_action_and_detail_key_has_a_chinese_label():
    source = "\n".join(p.read_text(encoding="utf-8") for p in Path("exam").rglob("*.py"))
    calls = re.findall(r"record_audit\((.*?)\)\n", source, re.S)
    actions = set(re.findall(r'action="([a-z_.]+)"', source)) | {"eligibility.facts_import", "eligibility.facts_edit"}
    assert actions and actions <= set(ACTIONS), sorted(actions - set(ACTIONS))
    keys = {k for call in calls for k in re.findall(r"\b([a-z_0-9]+)=", call)} - {
        "at", "actor_id", "action", "entity", "entity_type", "entity_id", "detail"}
    assert keys <= set(KEYS), sorted(keys - set(KEYS))
    entities = set(re.findall(r'__tablename__ = "([a-z_]+)"', source))
    assert {"attempts", "certificates", "questions", "sittings", "sitting_applications"} <= set(ENTITIES)
    assert entities


def test_the_admin_audit_log_reads_in_chinese(client, auth, clock):
    auth.login("trainee2")
    client.post("/trainee/levels/L2/mock")
    auth.login("admin1")
    page = client.get("/admin/").text
    assert "安排考场" in page and "sitting.schedule" not in page.split('data-action="sitting.schedule"', 1)[-1][:200]
    detail = str(audit_detail({"level": "L4", "mode": "online", "password": False, "changed": ["weights", "use"],
                               "before": {"use": "both"}, "reason": "Bob's note"}))
    assert detail == ("等级: <span data-content>L4</span>; 形式: 线上; 考场密码: 否; 改动项: 比重表、用途; "
                      "修改前: {用途: 两者}; 理由: <span data-content>Bob&#39;s note</span>")


def test_the_question_bank_shows_the_starter_source_in_chinese(client, auth):
    auth.login("trainer1")
    page = client.get("/trainer/questions").text
    assert ">初始题库</option>" in page and ">starter</option>" not in page
    from exam.models import Question

    qid = db.session.scalars(select(Question.id).where(Question.source == "starter")).first()
    assert "来源: <span data-content>初始题库</span>" in client.get(f"/trainer/questions/{qid}").text
