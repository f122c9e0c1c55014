"""Hostile and malformed requests, generated: every route that takes input, as every role, never gets a
5xx; a refusal writes nothing and says what went wrong in Chinese.

The routes come from the app's URL map; the forms and their fields from crawling the pages each role
sees (so real URLs with real ids are fuzzed too); the values from a list of known troublemakers mixed
with arbitrary text. ``EXAM_FUZZ_EXAMPLES`` sets the requests per role (default 220: 1,100 in all).
"""
from __future__ import annotations

import io
import json
import os
import re
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from conftest import DEMO_PASSWORD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from exam.extensions import db

EXAMPLES = int(os.environ.get("EXAM_FUZZ_EXAMPLES", "220"))
ROLES = ["guest", "trainee1", "trainer1", "hr1", "admin1"]

#: values that broke, or could break, something once
HOSTILE = [
    "", " ", "0", "-1", "1", "²", "١٢", "1e309", "NaN", "sNaN", "Infinity", "-0", "9" * 30, str(2**63), str(2**31),
    "0001-01-01T00:00", "9999-12-31T23:59:59-23:59", "2026-02-30", "2026-11-26T09:00", "24:61",
    "<script>alert(1)</script>", "' OR 1=1 --", "=cmd|' /C calc'!A0", "../../etc/passwd", "%00", "\x00", "\u202e",
    "L4", "L9", "VIP-L4-2026-000001-X", "true", "[]", "{}", "null", "A", "BCD", "x" * 5000, "中" * 300,
    "trainee1", "CT", "CT-GD", "all", "pending", "active", "练习", "两者",
]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
VALUES = st.one_of(st.sampled_from(HOSTILE), TEXT, st.integers(-10**20, 10**20).map(str))
QUERY_KEYS = ["page", "q", "who", "view", "changed_since", "level", "area", "type", "difficulty", "status", "sort",
              "org", "source", "use", "flagged", "text", "next", "sha256", "fmt", "kind"]
#: small files for upload fields
FILES = [b"", b"\x00" * 64, b"PK\x03\x04" + b"\x00" * 40, b'{"questions": [{"options": 5}]}',
         b'[{"type": "fill_blank", "stem": "x ____", "answer": [[1, 2]]}]', b"%PDF-1.7\n%%EOF", "题目\n1. 对吗?(√)".encode(),
         b"\xef\xbb\xbf" + "题干,答案\n=1+1,A\n".encode()]
#: endpoints that end the session the walk depends on
SKIP = {"auth.logout"}
TABLES = ["users", "questions", "question_versions", "sittings", "enrolments", "attempts", "answers", "certificates",
          "api_tokens", "import_uploads", "paper_pools"]


def _cjk(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


def _counts() -> tuple:
    return tuple(db.session.execute(text("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in TABLES))).one())


def _crawl(client, limit: int = 80) -> dict[str, list[tuple[str, str, list[str], list[str]]]]:  # noqa: ANN001
    """Pages reachable from the role's home by links: their forms as (method, url, fields, file fields),
    keyed by the endpoint the form posts to."""
    adapter = client.application.url_map.bind("localhost")
    seen, queue, forms = set(), ["/", "/verify", "/trainee/", "/trainer/", "/bank/questions", "/hr/sittings/",
                                 "/hr/certificates", "/hr/facts/", "/admin/", "/rules/"], {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        page = client.get(url)
        if page.status_code != 200 or not page.mimetype.startswith("text/html"):
            continue
        html = page.get_data(as_text=True)
        for href in re.findall(r'href="(/[^"#]*)"', html):
            if not href.startswith("/static") and "logout" not in href and href.split("?")[0] not in seen:
                queue.append(href.replace("&amp;", "&"))
        for attrs, inner in re.findall(r"<form\b([^>]*)>(.*?)</form>", html, re.S):
            method = (re.search(r'method="(\w+)"', attrs) or re.search("()", "")).group(1).upper() or "GET"
            action = (re.search(r'action="([^"]*)"', attrs) or re.search("()", "")).group(1).replace("&amp;", "&") or url
            fields = sorted(set(re.findall(r'name="([^"]+)"', inner)) - {"csrf_token"})
            files = re.findall(r'<input[^>]*type="file"[^>]*name="([^"]+)"', inner)
            files += re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="file"', inner)
            try:
                endpoint, _args = adapter.match(urlsplit(action).path, method="POST" if method == "POST" else "GET")
            except Exception:  # noqa: BLE001
                continue
            forms.setdefault(endpoint, []).append((method, action, fields, files))
    _ids.update(int(n) for u in seen for n in re.findall(r"/(\d{1,9})(?=/|$|\?)", u))
    return forms


_ids: set[int] = set()


def _may_use(username: str, endpoint: str) -> bool:
    from exam.models import Role
    from exam.web.access import ACCESS, TOKEN

    allowed = ACCESS[endpoint.split(".")[0]]
    if allowed is None or allowed == TOKEN:
        return True
    role = {"trainee1": Role.TRAINEE, "trainer1": Role.TRAINER, "hr1": Role.HR, "admin1": Role.ADMIN}.get(username)
    return role in allowed


def _login(client, username: str) -> None:  # noqa: ANN001
    if username != "guest":
        assert client.post("/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302


@pytest.mark.parametrize("username", ROLES)
def test_hostile_requests_never_fail_the_server_nor_write_half(app, client, username):
    _login(client, username)
    own_attempt = None
    if username == "trainee1":
        started = client.post("/trainee/levels/L2/mock")  # an exam page with its autosave to crawl and hit
        own_attempt = started.location.rsplit("/", 1)[1]
    forms = _crawl(client)
    rules = [(rule, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
             for method in sorted(rule.methods - {"HEAD", "OPTIONS"}) if rule.endpoint not in SKIP]
    mine = [(rule, method) for rule, method in rules if _may_use(username, rule.endpoint)]
    mine_posts = [(rule, method) for rule, method in mine if method == "POST"]
    #: ids seen in the role's own pages (its attempts, sittings, questions …)
    ids = sorted({int(n) for fs in forms.values() for _m, url, _f, _files in fs for n in re.findall(r"/(\d{1,9})(?=/|$)", url)}
                 | set(_ids)) or [1]
    seen_statuses: dict[int, int] = {}

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(st.data())
    def one_request(data: st.DataObject) -> None:
        # mostly what the role may post (where input is processed), then what it may read, now and then any route
        pick = data.draw(st.integers(0, 9))
        pool = (mine_posts if pick < 6 and mine_posts else mine if pick < 9 else rules)
        rule, method = data.draw(st.sampled_from(pool), label="route")
        known = [f for f in forms.get(rule.endpoint, []) if (f[0] == "POST") == (method == "POST")]
        if known and data.draw(st.booleans(), label="use a real form"):
            _m, url, fields, files = data.draw(st.sampled_from(known), label="form")
        else:
            args = {}
            for name in rule.arguments:
                if rule._converters[name].__class__.__name__ in ("IdConverter", "IntegerConverter"):
                    args[name] = str(data.draw(st.one_of(st.sampled_from(ids), st.integers(0, 60),
                                                         st.sampled_from([2**31, 2**63, 10**30]))))
                else:
                    args[name] = quote(data.draw(VALUES, label=name), safe="") or "x"
            if own_attempt and rule.endpoint == "trainee.save" and data.draw(st.integers(0, 4)):
                args["attempt_id"] = own_attempt  # mostly the trainee's running attempt: its input gets read
            url = rule.rule
            for name, value in args.items():
                url = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, url)
            fields = sorted({f for fs in forms.values() for _m, _u, names, _f in fs for f in names})
            files = []
        query = {k: data.draw(VALUES) for k in data.draw(st.lists(st.sampled_from(QUERY_KEYS), max_size=3))}
        if "?" in url:  # a form whose action carries its own query (?flag=any): fuzz on top of it
            url, _, own = url.partition("?")
            query = dict(parse_qsl(own)) | query
        kwargs: dict = {"query_string": query}
        if method == "POST":
            if rule.endpoint == "trainee.save" and data.draw(st.integers(0, 4)):
                number = st.one_of(st.integers(-3, 90), st.sampled_from([2**31, 2**63, 10**30]), TEXT, st.none())
                usual = st.integers(1, 20)  # mostly well-formed, so the odd value reaches the database
                odd = st.sampled_from([0, -1, 2**31, 2**63, 10**30])
                change = st.fixed_dictionaries(
                    {"item": st.one_of(usual, usual, usual, usual, usual, number), "seq": st.one_of(usual, usual, odd)},
                    optional={"response": st.one_of(st.none(), st.none(), st.booleans(), VALUES, st.lists(VALUES, max_size=3)),
                              "flagged": st.one_of(st.booleans(), VALUES)})
                kwargs["data"] = data.draw(st.one_of(
                    st.lists(change, max_size=4).map(lambda v: json.dumps({"answers": v})),
                    st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | TEXT,
                                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                                 max_leaves=20).map(lambda v: json.dumps({"answers": v})),
                    st.just("[" * 5000 + "]" * 5000)))
                kwargs["content_type"] = "application/json"
            else:
                chosen = data.draw(st.lists(st.sampled_from(fields), max_size=8, unique=True)) if fields else []
                body = {name: data.draw(VALUES) for name in chosen}
                for name in files:
                    if data.draw(st.booleans()):
                        body[name] = (io.BytesIO(data.draw(st.sampled_from(FILES))),
                                      data.draw(st.sampled_from(["a.xlsx", "a.json", "a.docx", "a.pdf", "a.txt", "..\\x"])))
                kwargs["data"] = body
        before = _counts()
        response = client.open(url, method=method, **kwargs)
        status = response.status_code
        seen_statuses[status] = seen_statuses.get(status, 0) + 1
        where = f"{username}: {method} {url} {kwargs.get('query_string')} {str(kwargs.get('data'))[:300]}"
        assert status < 500, where
        if status >= 400 and status not in (409, 429):
            assert _counts() == before, f"a refused request wrote: {where}"
            body = response.get_data(as_text=True)
            assert _cjk(body), f"no Chinese message: {where}: {body[:200]}"
        db.session.rollback()  # the next request reads what is committed, like a new request would

    one_request()
    assert sum(seen_statuses.values()) >= EXAMPLES
