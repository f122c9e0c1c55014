"""Marking (阅卷) a certification body signs off: blind, per scoring point, double-marked case studies
with a third mark when two disagree, own-organisation exclusion, a sitting's progress, every mark kept
and audited."""
from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from conftest import DEMO_PASSWORD
from helpers import answer_all, mark, mark_fields, open_sitting
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from test_question_use import empty_database  # noqa: F401  (fixture)

from exam.extensions import db
from exam.models import (
    Answer,
    Attempt,
    AttemptKind,
    AttemptState,
    AuditEvent,
    Enrolment,
    Level,
    Mark,
    Organization,
    Role,
    Sitting,
    User,
    UserRole,
)
from exam.services.marking import Given, attempt_code, final_score, item_scheme, next_round
from question_bank.scheme import parse_scheme, scheme_of

# --- fixtures and helpers --------------------------------------------------------------------------------


def person(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def make_marker(username: str, org_code: str, *roles: Role) -> User:
    """Another marker (password DEMO_PASSWORD) in the organisation ``org_code``."""
    org = db.session.scalars(select(Organization).where(Organization.code == org_code)).one()
    user = User(username=username, full_name=f"阅卷人{username[-1]}", organization=org,
                created_at=datetime(2026, 1, 1), password_hash="")
    user.set_password(DEMO_PASSWORD)
    user.roles = [UserRole(role=r) for r in roles or (Role.TRAINER,)]
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def l3(app, client, auth, clock):  # noqa: ANN001, ANN201
    """trainee2's handed-in L3 certification attempt (every item answered) in a sitting of its own; the
    paper holds 2 short answers and 1 case study, which L3 double-marks."""
    db.session.execute(delete(Enrolment))
    db.session.execute(delete(Sitting))
    db.session.commit()
    _sitting, report = open_sitting("L3", ["trainee2"], now=clock.now)
    assert [u.username for u in report.enrolled] == ["trainee2"]
    auth.login("trainee2")
    started = client.post("/trainee/levels/L3/start")
    attempt = db.session.get(Attempt, int(started.location.rstrip("/").split("/")[-1]))
    answer_all(client, attempt)
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    auth.logout()
    db.session.refresh(attempt)
    assert attempt.state is AttemptState.SUBMITTED
    return attempt


def open_answers(attempt: Attempt) -> dict[str, list[Answer]]:
    out: dict[str, list[Answer]] = {}
    for item in attempt.items:
        if item.type.is_manual:
            out.setdefault(item.type.value, []).append(item.answer)
    return out


def award(client, answer_id: int, values, comment: str = "", follow: bool = True):  # noqa: ANN001, ANN201
    """Post a mark: ``values(i, top)`` gives field i's points (i from 0)."""
    fields = mark_fields(client.get(f"/trainer/marking/{answer_id}").text)
    data = {name: f"{values(i, top):g}" for i, (name, top) in enumerate(fields)} | {"comment": comment}
    return client.post(f"/trainer/marking/{answer_id}", data=data, follow_redirects=follow)


def full(_i: int, top: float) -> float:
    return top


def nothing(_i: int, _top: float) -> float:
    return 0


def marks_of(answer: Answer) -> list[Mark]:
    return list(db.session.scalars(select(Mark).where(Mark.answer_id == answer.id).order_by(Mark.round)))


def mark_short_answers(client, attempt: Attempt) -> None:  # noqa: ANN001
    for answer in open_answers(attempt)["short_answer"]:
        assert mark(client, answer.id).status_code == 302


# --- blind --------------------------------------------------------------------------------------------------


def test_markers_never_see_who_wrote_an_answer(app, client, auth, l3):
    """Every page and JSON a marker meets, through first, second and third marks and the progress
    page, holds the attempt's code and none of the candidate's name, username, 工号 or organisation."""
    candidate = l3.user
    candidate.employee_no = "GDSZ0002"
    sitting = db.session.get(Sitting, l3.sitting_id)
    sitting.name = f"{candidate.organization.name}三级认证考场"  # HR's name for the sitting says where
    db.session.commit()
    secrets = [candidate.full_name, candidate.username, candidate.employee_no, candidate.organization.name]
    code = attempt_code(l3.id, app.config["SECRET_KEY"])
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", code)
    answers = open_answers(l3)
    case = answers["case_study"][0]
    seen: list[str] = []

    def look(response) -> str:  # noqa: ANN001
        assert response.status_code == 200, response.status_code
        body = response.get_data(as_text=True)
        for secret in secrets:
            assert secret not in body, (secret, response.request.path)
        seen.append(response.request.path)
        return body

    auth.login("trainer1")
    assert "待阅卷" in look(client.get("/trainer/"))
    listing = look(client.get("/trainer/marking"))
    assert listing.count(code) == 3
    for answer in answers["short_answer"] + [case]:
        assert code in look(client.get(f"/trainer/marking/{answer.id}"))
        look(award(client, answer.id, full, comment="要点齐全"))
    assert code in look(client.get("/trainer/marking"))  # 我的评分 (尚可修改)
    look(client.get(f"/trainer/marking/sittings/{sitting.id}"))
    look(client.get(f"/trainer/marking/sittings/{sitting.id}.json"))

    auth.login("admin1")
    assert "二评" in look(client.get("/trainer/marking"))
    look(client.get(f"/trainer/marking/{case.id}"))
    look(award(client, case.id, nothing, comment="离题"))
    make_marker("trainer3", "CT-JS", Role.TRAINER)
    auth.login("trainer3")
    assert "仲裁" in look(client.get("/trainer/marking"))
    assert "前两评" in look(client.get(f"/trainer/marking/{case.id}"))
    look(award(client, case.id, full))
    look(client.get(f"/trainer/marking/sittings/{sitting.id}"))
    progress = json.loads(look(client.get(f"/trainer/marking/sittings/{sitting.id}.json")))
    assert progress["decided"] == 3
    db.session.refresh(l3)
    assert l3.state is AttemptState.GRADED
    assert len(seen) >= 16


def test_attempt_codes_are_stable_distinct_and_keyed():
    codes = {attempt_code(i, "key-a") for i in range(1, 2001)}
    assert len(codes) == 2000
    assert attempt_code(7, "key-a") == attempt_code(7, "key-a") != attempt_code(7, "key-b")
    in_order = [attempt_code(i, "key-a") for i in range(1, 21)]
    assert in_order != sorted(in_order)  # the order of attempts cannot be read off the codes


# --- the marking scheme and per-point marks -----------------------------------------------------------------


def test_a_scheme_is_read_from_the_reference_answer_with_groups_decimals_and_notes():
    s = parse_scheme("（1）存在问题（4分）：①频次低（1分）；②形式单一（1分）；③未补救（1分）；④忽视到期（1分）。"
                     "（2）计划（6分）：①致歉（2分）；②生日关怀（1分）；③续约提醒（2分）；④回访（1分）。")
    assert s.total == 10 and len(s.points) == 8
    assert (s.points[0].group, s.points[0].text, s.points[0].points) == ("（1）存在问题", "①频次低", 1)
    assert s.points[4].group == "（2）计划" and s.points[4].points == 2
    s = parse_scheme("（1）ARPU：每用户平均收入（2分）（2）MOU：户均月通话分钟数（1.5分）（3）DOU：户均流量（１．５分）")
    assert [p.points for p in s.points] == [2, 1.5, 1.5] and s.points[1].text == "（2）MOU：户均月通话分钟数"
    s = parse_scheme("（1）离网率 3%（2分）；保有率 97%（2分）。（2）损失 30000 元（2分）。"
                     "（3）建议（每条2分，答出两条即可，共4分）：①预警；②分析转网原因。（注：酌情给分，总分不超过10分。）")
    assert [p.points for p in s.points] == [2, 2, 2, 4]
    assert s.points[3].text.startswith("（3）建议：①预警") and s.note == ""
    s = parse_scheme("（1）致歉（5分）（2）解决（5分）（注：答出其他合理措施可酌情给分。）")
    assert s.note == "（注：答出其他合理措施可酌情给分。）"
    assert parse_scheme("答出下列任意5项，每项1分，共5分：（1）使用量下降；（2）ARPU下降。") is None
    assert parse_scheme("（1）倾听 （2）道歉 （3）解决") is None and parse_scheme("") is None
    found = scheme_of("倾听、道歉、解决", "本题考查投诉处理。\n评分要点：\n1. 倾听（2分）\n2. 道歉（1分）\n3. 解决（2分）")
    assert [p.points for p in found.points] == [2, 1, 2] and found.points[0].text == "1. 倾听"


def test_every_open_question_of_the_starter_bank_but_one_has_a_scheme_of_its_points(app):
    from question_bank import load_starter_bank

    records = [r for r in load_starter_bank() if r.type.is_manual]
    without = [r.key for r in records if scheme_of(r.answer, r.explanation) is None]
    assert without == ["W02-025"]  # "答出下列任意5项": marked with one total
    for r in records:
        s = scheme_of(r.answer, r.explanation)
        assert s is None or s.total == (10 if r.type.value == "case_study" else 5), r.key


def test_a_marker_awards_each_point_and_the_total_is_their_sum(client, auth, l3):
    case = open_answers(l3)["case_study"][0]
    scheme = item_scheme(case.item.question_version, case.item.points)
    assert scheme is not None and scheme.total == case.item.points
    auth.login("trainer1")
    page = client.get(f"/trainer/marking/{case.id}").text
    assert "评分要点" in page and scheme.points[0].text in page and "一评" in page
    fields = mark_fields(page)
    assert [top for _n, top in fields] == [p.points for p in scheme.points]
    over = client.post(f"/trainer/marking/{case.id}", data={name: str(top + 1) for name, top in fields})
    assert over.status_code == 200 and f"要点 1: 得分应在 0 到 {fields[0][1]:g} 分之间" in over.text
    half = client.post(f"/trainer/marking/{case.id}", data={name: "0.3" for name, _top in fields})
    assert "得分应为 0.5 分的整数倍" in half.text
    assert marks_of(case) == []
    awards = [top if i % 2 == 0 else 0 for i, (_n, top) in enumerate(fields)]
    award(client, case.id, lambda i, _top: awards[i], comment="第 2、4 点未答到")
    [given] = marks_of(case)
    assert given.point_scores == awards and given.points == sum(awards)
    assert given.comment == "第 2、4 点未答到" and given.round == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "answer.mark")).one()
    assert event.detail["point_scores"] == awards and event.detail["round"] == 1 and event.actor_id == given.marker_id


def test_without_a_scheme_the_marker_gives_one_total_within_the_items_points(client, auth, l3):
    short = open_answers(l3)["short_answer"][0]
    short.item.question_version.answer = "答出下列任意5项，每项1分，共5分：（1）使用量下降；（2）ARPU下降；（3）投诉增多。"
    db.session.commit()
    auth.login("trainer1")
    page = client.get(f"/trainer/marking/{short.id}").text
    assert mark_fields(page) == [("points", 5.0)] and "请给出总分" in page
    assert "得分应在 0 到 5 分之间" in client.post(f"/trainer/marking/{short.id}", data={"points": "6"}).text
    client.post(f"/trainer/marking/{short.id}", data={"points": "3.5", "comment": "答出 3 项半"})
    db.session.refresh(short)
    assert [(m.points, m.point_scores) for m in marks_of(short)] == [(3.5, [])]
    assert short.score == 3.5  # a short answer is marked once


def test_a_scheme_whose_points_do_not_add_up_to_the_items_points_is_not_used(l3):
    short = open_answers(l3)["short_answer"][0]
    short.item.question_version.answer = "（1）倾听（1分）（2）道歉（1分）"
    assert item_scheme(short.item.question_version, short.item.points) is None


# --- double marking ------------------------------------------------------------------------------------------


def test_the_rules_of_double_marking():
    one, two = Given(1, 10, 8.0), Given(2, 11, 6.5)
    assert next_round(False, [], 2) == 1 and final_score(False, [one], 2) == (8.0, "single")
    assert next_round(True, [one], 2) == 2 and final_score(True, [one], 2) == (None, "")
    assert final_score(True, [one, two], 2) == (7.25, "mean")  # 1.5 apart: within 2
    assert next_round(True, [one, Given(2, 11, 5.5)], 2) == 3  # 2.5 apart
    assert final_score(True, [one, Given(2, 11, 5.5), Given(3, 12, 7.0)], 2) == (7.0, "arbitration")
    assert final_score(True, [one, Given(2, 11, 6.0)], 2) == (7.0, "mean")  # exactly the tolerance


def test_two_markers_within_the_tolerance_give_the_mean_and_the_attempt_is_graded(client, auth, l3):
    case = open_answers(l3)["case_study"][0]
    auth.login("trainer1")
    mark_short_answers(client, l3)
    award(client, case.id, full, comment="一评意见")
    db.session.refresh(case)
    assert case.score is None and case.double_marking is True
    assert str(case.id) not in re.findall(r"/trainer/marking/(\d+)\"", client.get("/trainer/marking").text.split(
        "我的评分")[0])  # not the first marker's task again
    auth.login("trainer2")
    second_page = client.get(f"/trainer/marking/{case.id}").text
    assert "二评" in second_page and "一评意见" not in second_page and "前两评" not in second_page
    first_point = mark_fields(second_page)[0][1]
    award(client, case.id, lambda i, top: 0 if i == 0 else top)  # one point short of the first mark
    db.session.refresh(case)
    db.session.refresh(l3)
    assert [m.points for m in marks_of(case)] == [10, 10 - first_point]
    assert case.score == 10 - first_point / 2 and l3.state is AttemptState.GRADED
    assert l3.score == 100 - first_point / 2
    decided = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "answer.score",
                                                          AuditEvent.entity_id == case.id)).one()
    assert decided.detail["decided_by"] == "mean" and decided.detail["marks"] == {"一评": 10, "二评": 10 - first_point}
    assert "该试卷已定分" in client.get(f"/trainer/marking/{case.id}", follow_redirects=True).text


def test_two_markers_too_far_apart_wait_for_a_third_who_sees_both_and_decides(client, auth, l3):
    case = open_answers(l3)["case_study"][0]
    auth.login("trainer1")
    mark_short_answers(client, l3)
    award(client, case.id, full, comment="全部答到")
    auth.login("trainer2")
    award(client, case.id, nothing, comment="答非所问")
    db.session.refresh(case)
    db.session.refresh(l3)
    assert case.score is None and l3.state is AttemptState.SUBMITTED  # 10 against 0: beyond 2 points
    auth.login("trainer1")
    assert "已有后续评分" in client.get(f"/trainer/marking/{case.id}", follow_redirects=True).text
    auth.login("trainer2")  # may still revise the second mark, never seeing the first
    own = client.get(f"/trainer/marking/{case.id}").text
    assert "修改评分" in own and "全部答到" not in own and "前两评" not in own
    assert f"/trainer/marking/{case.id}\"" not in client.get("/trainer/marking").text.split("我的评分")[0]
    auth.login("admin1")
    assert "仲裁" in client.get("/trainer/marking").text
    page = client.get(f"/trainer/marking/{case.id}").text
    assert "前两评" in page and "全部答到" in page and "答非所问" in page
    award(client, case.id, lambda i, top: top if i < 3 else 0, comment="仲裁: 前三点")
    db.session.refresh(case)
    db.session.refresh(l3)
    marks = marks_of(case)
    assert [m.round for m in marks] == [1, 2, 3]  # the record keeps all three
    assert case.score == marks[2].points and l3.state is AttemptState.GRADED
    assert case.marker_comment == "仲裁: 前三点" and case.marked_by_id == person("admin1").id


def test_only_an_administrator_arbitrates_when_the_setting_says_so(app, client, auth, l3, monkeypatch):
    monkeypatch.setitem(app.config, "MARKING_ARBITERS", "admin")
    case = open_answers(l3)["case_study"][0]
    make_marker("trainer3", "CT-JS")
    auth.login("trainer1")
    award(client, case.id, full)
    auth.login("trainer2")
    award(client, case.id, nothing)
    auth.login("trainer3")
    assert f"/trainer/marking/{case.id}\"" not in client.get("/trainer/marking").text
    refused = client.post(f"/trainer/marking/{case.id}", data={"comment": ""}, follow_redirects=True).text
    assert "仲裁须由管理员" in refused and len(marks_of(case)) == 2
    auth.login("admin1")
    award(client, case.id, full)
    assert len(marks_of(case)) == 3


def test_a_marker_revises_their_mark_only_until_a_later_round_exists(client, auth, l3):
    case = open_answers(l3)["case_study"][0]
    auth.login("trainer1")
    award(client, case.id, nothing)
    page = client.get(f"/trainer/marking/{case.id}").text
    assert "修改评分" in page
    award(client, case.id, full, comment="看漏了第二问")
    [first] = marks_of(case)
    assert first.points == 10 and first.comment == "看漏了第二问"
    assert [e.detail["revised"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "answer.mark").order_by(AuditEvent.id))] == [False, True]
    auth.login("trainer2")
    award(client, case.id, full)
    auth.login("trainer1")
    assert "已有后续评分" in client.get(f"/trainer/marking/{case.id}", follow_redirects=True).text
    assert client.post(f"/trainer/marking/{case.id}", data={}).status_code == 302
    assert marks_of(case)[0].points == 10


def test_mock_exams_and_levels_without_the_setting_are_marked_once(client, auth, l3):
    level = db.session.get(Level, l3.level_id)
    level.double_marking = False
    db.session.commit()
    case = open_answers(l3)["case_study"][0]
    auth.login("trainer1")
    award(client, case.id, full)
    db.session.refresh(case)
    assert case.score == 10 and case.double_marking is False
    level.double_marking = True
    db.session.commit()
    auth.login("trainee1")
    mock = db.session.get(Attempt, int(client.post("/trainee/levels/L2/mock").location.rstrip("/").split("/")[-1]))
    answer_all(client, mock)
    client.post(f"/trainee/attempts/{mock.id}/submit")
    assert mock.kind is AttemptKind.MOCK
    auth.login("trainer2")
    mock_case = open_answers(mock)["case_study"][0]
    assert "评分" in client.get(f"/trainer/marking/{mock_case.id}").text
    award(client, mock_case.id, full)
    db.session.refresh(mock_case)
    assert mock_case.score == 10 and mock_case.double_marking is False


def test_two_marks_of_one_round_or_one_marker_are_refused_by_the_database(l3):
    case = open_answers(l3)["case_study"][0]
    one, two = person("trainer1"), person("trainer2")
    db.session.add(Mark(answer_id=case.id, round=1, marker_id=one.id, points=5, marked_at=datetime(2026, 11, 22)))
    db.session.flush()
    for round_, marker in ((1, two), (2, one)):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(Mark(answer_id=case.id, round=round_, marker_id=marker.id, points=5,
                                marked_at=datetime(2026, 11, 22)))
            db.session.flush()


# --- own organisation -------------------------------------------------------------------------------------


def test_a_marker_is_not_given_candidates_of_their_own_organisation_when_the_setting_says_so(
        app, client, auth, l3, monkeypatch):
    short = open_answers(l3)["short_answer"][0]
    auth.login("trainer1")  # 广东分公司; the candidate is in 深圳分公司, below it
    assert client.get("/trainer/marking").text.count("评分</a>") == 3
    monkeypatch.setitem(app.config, "MARKING_EXCLUDE_OWN_ORGANIZATION", True)
    listing = client.get("/trainer/marking").text
    assert "评分</a>" not in listing and "没有待您评阅的题目" in listing
    refused = client.get(f"/trainer/marking/{short.id}", follow_redirects=True).text
    assert "该答卷不在您的阅卷范围内" in refused
    fields = {"points": "1", "point-1": "1", "comment": ""}
    assert client.post(f"/trainer/marking/{short.id}", data=fields).status_code == 302
    assert marks_of(short) == []
    auth.login("trainer2")  # 江苏分公司
    assert client.get("/trainer/marking").text.count("评分</a>") == 3
    assert mark(client, short.id).status_code == 302 and len(marks_of(short)) == 1
    auth.login("admin1")  # 集团: the whole company, not an organisation of one's own
    assert client.get("/trainer/marking").text.count("评分</a>") == 2


def test_nobody_marks_their_own_answers(client, auth, l3):
    candidate = l3.user
    candidate.roles.append(UserRole(role=Role.TRAINER))
    db.session.commit()
    auth.login(candidate.username)
    assert "评分</a>" not in client.get("/trainer/marking").text
    short = open_answers(l3)["short_answer"][0]
    assert "该答卷不在您的阅卷范围内" in client.get(f"/trainer/marking/{short.id}", follow_redirects=True).text


# --- progress ------------------------------------------------------------------------------------------------


def test_a_sittings_progress_per_item_and_per_marker(client, auth, l3):
    answers = open_answers(l3)
    case = answers["case_study"][0]
    auth.login("trainer1")
    listing = client.get("/trainer/marking").text
    assert f"/trainer/marking/sittings/{l3.sitting_id}" in listing  # linked from the marking list
    mark_short_answers(client, l3)
    award(client, case.id, full)
    auth.login("trainer2")
    award(client, case.id, nothing)
    page = client.get(f"/trainer/marking/sittings/{l3.sitting_id}").text
    assert 'data-count="finished">1<' in page and 'data-count="answers">3<' in page
    assert 'data-count="decided">2<' in page and 'data-count="arbitration">1<' in page
    data = client.get(f"/trainer/marking/sittings/{l3.sitting_id}.json").json
    case_key = case.item.question_version.question.key
    row = next(i for i in data["items"] if i["key"] == case_key)
    assert (row["answers"], row["first"], row["second"], row["awaiting_arbitration"], row["decided"]) == (1, 1, 1, 1, 0)
    markers = {m["name"]: m for m in data["markers"]}
    assert markers[person("trainer1").full_name] | {"name": ""} == {
        "name": "", "first": 3, "second": 0, "arbitration": 0, "beyond_tolerance": 1}
    assert markers[person("trainer2").full_name]["second"] == 1
    assert data["graded"] == 0 and data["awaiting_arbitration"] == 1
    auth.login("admin1")
    award(client, case.id, full)
    data = client.get(f"/trainer/marking/sittings/{l3.sitting_id}.json").json
    assert data["graded"] == 1 and data["decided"] == 3 and data["awaiting_arbitration"] == 0


def test_the_new_marking_routes_are_for_trainers_and_administrators(client, auth, l3):
    case = open_answers(l3)["case_study"][0]
    urls = [f"/trainer/marking/sittings/{l3.sitting_id}", f"/trainer/marking/sittings/{l3.sitting_id}.json",
            f"/trainer/marking/{case.id}", "/trainer/marking"]
    for url in urls:
        assert client.get(url).status_code in (302, 401), url
    for username, status in (("trainee1", 403), ("hr1", 403), ("trainer1", 200), ("admin1", 200)):
        auth.login(username)
        for url in urls:
            assert client.get(url).status_code == status, (username, url)
    assert client.get("/trainer/marking/sittings/999999").status_code == 404


# --- the level's settings ------------------------------------------------------------------------------------


def test_the_double_marking_setting_is_edited_with_the_levels_rules(client, auth):
    from exam.services.rules import rules_of

    auth.login("trainer1")
    level = db.session.scalars(select(Level).where(Level.code == "L2")).one()
    assert level.double_marking and level.marking_tolerance == 2
    form = _rules_form(rules_of(level)) | {"marking_tolerance": "1.5"}
    del form["double_marking"]
    client.post("/rules/L2", data=form)
    db.session.refresh(level)
    assert not level.double_marking and level.marking_tolerance == 1.5
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "level.rules")).one()
    assert set(event.detail["changed"]) == {"double_marking", "marking_tolerance"}
    for bad, message in (("abc", "双评允许分差: &#39;abc&#39; 不是数字"), ("-1", "双评允许分差应在 0 到 100 分之间"),
                         ("0.3", "0.5 分的整数倍")):
        page = client.post("/rules/L2", data=form | {"marking_tolerance": bad}).text
        assert message in page, bad
    db.session.refresh(level)
    assert level.marking_tolerance == 1.5


def _rules_form(edit) -> dict[str, str]:  # noqa: ANN001
    form = {f"weight_{a}": str(p) for a, p in edit.weights.items()}
    form |= {f"count_{t.value}": str(c) for t, (c, _p) in edit.sections.items()}
    form |= {f"points_{t.value}": str(p) for t, (_c, p) in edit.sections.items()}
    form |= {f"diff_{d.value}": str(p) for d, p in edit.difficulty_mix.items()}
    form |= {"tolerance": str(edit.tolerance), "duration_minutes": str(edit.duration_minutes),
             "pass_mark": str(edit.pass_mark), "certificate_validity_years": str(edit.certificate_validity_years),
             "double_marking": "1" if edit.double_marking else "", "marking_tolerance": f"{edit.marking_tolerance:g}"}
    return form


def test_levels_with_case_studies_double_mark_them_by_default(app):
    levels = {lv.code: lv for lv in db.session.scalars(select(Level))}
    assert {code: lv.double_marking for code, lv in levels.items()} == {"L4": False, "L3": True, "L2": True,
                                                                          "L1": True}


# --- the migration -------------------------------------------------------------------------------------------


def _migrate(engine, target: str, down: bool = False) -> None:  # noqa: ANN001
    from alembic import command

    from exam.cli import alembic_config

    with engine.begin() as conn:
        (command.downgrade if down else command.upgrade)(alembic_config(conn), target)


def test_the_migration_keeps_earlier_marks_as_first_marks_and_turns_double_marking_on(empty_database):  # noqa: F811
    engine = empty_database
    _migrate(engine, "0010")
    at, end = datetime(2026, 11, 1), datetime(2026, 11, 2)
    rows = [
        ("INSERT INTO users (id, username, password_hash, full_name, active, created_at, session_version) "
         "VALUES (1, 't', '', 'T', :yes, :at, 0)", {}),
        ("INSERT INTO knowledge_areas (code, name, \"group\", category, sort_order) "
         "VALUES ('W05', '投诉处理', 'job', '投诉处理', 1)", {}),
        *[("INSERT INTO levels (id, code, name, rank, duration_minutes, pass_mark, difficulty_tolerance, "
           "multiple_partial_credit, certificate_validity_years, training_hours, eligibility_routes) "
           "VALUES (:id, :code, :code, :id, 90, 60, 5, :no, 3, 0, '{}')", {"id": lid, "code": code})
          for lid, code in ((1, "L4"), (2, "L3"))],
        *[("INSERT INTO paper_sections (level_id, type, count, points, position) VALUES (:id, 'case_study', :n, 10, 0)",
           {"id": lid, "n": n}) for lid, n in ((1, 0), (2, 1))],
        ("INSERT INTO questions (id, key, status, source, created_at) VALUES (1, 'W05-1', 'draft', '', :at)", {}),
        ("INSERT INTO question_versions (id, question_id, version, type, area_code, difficulty, levels_mask, stem, "
         "options, answer, explanation, created_at, tags, fingerprint) VALUES (1, 1, 1, 'case_study', 'W05', "
         "'easy', 2, '案例', '[]', '\"参考\"', '', :at, '[]', '')", {}),
        ("INSERT INTO attempts (id, user_id, level_id, state, kind, seed, started_at, deadline_at, pass_mark, "
         "total_points, lock_version) VALUES (1, 1, 2, 'submitted', 'certification', 1, :at, :end, 60, 100, 1)", {}),
        ("INSERT INTO paper_items (id, attempt_id, position, question_version_id, area_code, type, difficulty, points,"
         " option_order) VALUES (1, 1, 1, 1, 'W05', 'case_study', 'easy', 10, '[]')", {}),
        ("INSERT INTO answers (id, attempt_id, paper_item_id, seq, flagged, score, marked_by_id, marked_at, "
         "marker_comment) VALUES (1, 1, 1, 1, :no, 4.5, 1, :at, '较好')", {}),
    ]
    with engine.begin() as conn:
        for sql, params in rows:
            conn.execute(text(sql), {"at": at, "end": end, "yes": True, "no": False} | params)
    _migrate(engine, "0012")
    with engine.begin() as conn:
        assert {c: bool(d) for c, d in conn.execute(text("SELECT code, double_marking FROM levels"))} == {
            "L4": False, "L3": True}
        assert conn.execute(text("SELECT marking_tolerance FROM levels")).scalars().all() == [2, 2]
        assert [tuple(r) for r in conn.execute(text("SELECT answer_id, round, marker_id, points, comment FROM marks"))
                ] == [(1, 1, 1, 4.5, "较好")]
        assert conn.execute(text("SELECT double_marking FROM answers")).scalar() in (0, False)
    _migrate(engine, "0010", down=True)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM answers")).scalar() == 1
    _migrate(engine, "head")


def test_the_last_mark_says_the_result_is_final(client, auth, clock):
    from sqlalchemy import select as sel

    from exam.models import Answer as A
    from exam.models import PaperItem as P

    auth.login("trainee1")
    attempt_id = int(client.post("/trainee/levels/L1/mock").location.rsplit("/", 1)[1])
    items = db.session.scalars(sel(P).where(P.attempt_id == attempt_id, P.type.in_(["short_answer", "case_study"]))).all()
    client.post(f"/trainee/attempts/{attempt_id}/answers", json={"answers": [
        {"item": it.position, "response": "先安抚, 再核实, 最后回访。", "seq": 1} for it in items]})
    client.post(f"/trainee/attempts/{attempt_id}/submit")
    auth.login("trainer1")
    answers = db.session.scalars(sel(A).where(A.attempt_id == attempt_id, A.score.is_(None))).all()
    assert len(answers) >= 2
    pages = [mark(client, a.id, share=0, follow=True).get_data(as_text=True) for a in answers]
    assert "还有主观题待阅" in pages[0]
    assert "成绩已确定" in pages[-1] and "模拟考试, 不发证书" in pages[-1]
