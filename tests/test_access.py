"""Every route × every role. A new route without an access rule fails here."""
from __future__ import annotations

import pytest

from exam.models import Role
from exam.web.access import ACCESS, TOKEN

ROLES = ["guest", "trainee1", "trainer1", "hr1", "admin1"]
ROLE_OF = {"trainee1": Role.TRAINEE, "trainer1": Role.TRAINER, "hr1": Role.HR, "admin1": Role.ADMIN}
#: placeholder values for URL arguments; objects need not exist: a 404 still proves the guard let it through
ARGS = {"attempt_id": 999999, "cert_id": 999999, "answer_id": 999999, "code": "L4", "question_id": 999999,
        "upload_id": 999999, "fmt": "json",
        "number": "VIP-L4-2026-000001-X", "sitting_id": 999999, "enrolment_id": 999999,
        "application_id": 999999, "set_id": 999999, "pool_paper_id": 999999, "user_id": 999999}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_blueprint_declares_its_access(app):
    for rule, _method in _routes(app):
        blueprint = rule.endpoint.split(".")[0]
        assert blueprint in ACCESS, f"{rule} has no access rule (call guard() or public() on its blueprint)"


@pytest.mark.parametrize("username", ROLES)
def test_route_access_matrix(app, client, auth, username):
    if username != "guest":
        auth.login(username)
    for rule, method in _routes(app):
        url = rule.build({k: v for k, v in ARGS.items() if k in rule.arguments}, append_unknown=False)[1]
        if rule.endpoint == "public.verify_code":
            url = "/verify/NO-SUCH-CODE"
        if rule.endpoint == "auth.logout":
            continue  # would end the session mid-walk; covered by the login tests
        response = client.open(url, method=method)
        allowed = ACCESS[rule.endpoint.split(".")[0]]
        where = f"{method} {url} as {username}"
        if allowed is None:
            assert response.status_code in (200, 302, 404), where
        elif allowed == TOKEN:
            assert response.status_code == 401, where  # a login is no API token
        elif username == "guest":
            assert response.status_code in (302, 401), where
            if response.status_code == 302:
                assert "/login" in response.location, where
        elif ROLE_OF[username] in allowed:
            assert response.status_code not in (401, 403), where
        else:
            assert response.status_code == 403, where
