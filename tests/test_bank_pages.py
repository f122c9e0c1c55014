"""Trainers keep the bank: list, create and edit by type, versions and history, retire, audit."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from exam.extensions import db
from exam.models import Attempt, AuditEvent, PaperItem, Question, QuestionStatus, QuestionVersion

SINGLE = {"type": "single", "area": "W05", "difficulty": "easy", "levels": ["L4", "L3"], "status": "active",
          "stem": "受理 VIP 客户投诉时, 首先应当( )。", "option_a": "解释公司政策", "option_b": "倾听并安抚情绪",
          "option_c": "承诺赔偿", "option_d": "转交上级", "keys": ["B"], "explanation": "先处理情绪, 再处理事情。"}


def new_question(client, **changes):  # noqa: ANN001, ANN201
    return client.post("/trainer/questions/new", data={**SINGLE, **changes})


def by_key(key: str) -> Question:
    return db.session.scalars(select(Question).where(Question.key == key)).one()


def test_a_trainer_creates_a_single_choice_question_with_the_next_key_of_its_area(client, auth, clock):
    auth.login("trainer1")
    response = new_question(client, follow_redirects=True)
    assert response.status_code == 302
    page = client.get(response.location)
    assert "倾听并安抚情绪" in page.text and "第 1 版" in page.text
    q = db.session.scalars(select(Question).order_by(Question.id.desc())).first()
    assert q.key.startswith("W05-") and q.status is QuestionStatus.ACTIVE
    assert q.current_version.answer == ["B"] and q.current_version.levels == ("L4", "L3")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "question.create")).one()
    assert event.entity_id == q.id and event.actor_id is not None


def test_the_form_validates_by_type_and_says_which_field_is_wrong(client, auth, clock):
    auth.login("trainer1")
    before = db.session.scalar(select(func.count()).select_from(Question))
    cases = [
        ({"keys": ["A", "B"]}, "单选题只能有一个答案"),
        ({"type": "multiple", "keys": ["A"]}, "多选题至少两个答案"),
        ({"option_c": "", "keys": ["B"]}, "选项 C 为空, 但后面还有选项"),
        ({"type": "fill_blank", "stem": "客户生命周期分为识别期、____、____和预警期。", "blanks": "成长期"},
         "题干有 2 个空, 答案有 1 组"),
        ({"type": "fill_blank", "stem": "没有空的题干", "blanks": "x"}, "填空题题干中没有空"),
        ({"type": "true_false", "stem": "首问负责制要求第一位受理人跟踪到底。"}, "请选择对或错"),
        ({"type": "short_answer", "stem": "简述投诉处理的步骤。", "reference": ""}, "主观题需要参考答案"),
        ({"levels": []}, "请至少选择一个等级"),
    ]
    for changes, message in cases:
        response = new_question(client, **changes)
        assert response.status_code == 200, changes
        assert message in response.text, (changes, message)
    assert db.session.scalar(select(func.count()).select_from(Question)) == before


def test_every_type_can_be_created(client, auth, clock):
    auth.login("trainer1")
    forms = [
        {"type": "multiple", "keys": ["A", "B", "D"], "option_e": "积分兑换", "option_f": "终端补贴",
         "option_g": "话费返还", "option_h": "流量赠送", "stem": "下列属于存费维系手段的是( )。"},
        {"type": "true_false", "verdict": "false", "stem": "向客户道歉就等于承认公司有过错。"},
        {"type": "fill_blank", "stem": "客户生命周期分为识别期、____、____和预警期。", "blanks": "成长期|成长阶段\n稳定期"},
        {"type": "short_answer", "stem": "简述外呼挽留的基本步骤。", "reference": "(1)核实身份(2)了解原因"},
        {"type": "case_study", "stem": "某客户连续三月话费下降……请分析并给出维系方案。", "reference": "识别预警信号……"},
    ]
    for form in forms:
        assert new_question(client, **form).status_code == 302, form
    fill = db.session.scalars(select(QuestionVersion).where(QuestionVersion.stem.like("客户生命周期分为识别期、____%"))).one()
    assert fill.answer == [["成长期", "成长阶段"], ["稳定期"]]
    multi = db.session.scalars(select(QuestionVersion).where(QuestionVersion.stem == "下列属于存费维系手段的是( )。")).one()
    assert len(multi.options) == 8 and multi.answer == ["A", "B", "D"]


def test_editing_creates_a_new_version_and_drawn_papers_keep_the_old_one(client, auth, clock, user):
    auth.login("trainee1")
    attempt_id = int(client.post("/trainee/levels/L4/start").location.rstrip("/").split("/")[-1])
    item = db.session.scalars(select(PaperItem).where(PaperItem.attempt_id == attempt_id,
                                                      PaperItem.type == "single")).first()
    old_version = item.question_version
    question = old_version.question
    auth.logout()
    auth.login("trainer1")
    page = client.get(f"/trainer/questions/{question.id}/edit")
    assert old_version.stem in page.text
    form = {"type": "single", "area": old_version.area_code, "difficulty": old_version.difficulty.value,
            "levels": list(old_version.levels), "use": old_version.use.value, "stem": old_version.stem + "(修订)",
            "keys": old_version.answer,
            **{f"option_{c}": o for c, o in zip("abcdefgh", old_version.options, strict=False)},
            "explanation": old_version.explanation}
    assert client.post(f"/trainer/questions/{question.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert question.current_version.version == old_version.version + 1
    assert question.current_version.stem.endswith("(修订)")
    assert db.session.get(PaperItem, item.id).question_version_id == old_version.id
    history = client.get(f"/trainer/questions/{question.id}")
    assert f"第 {old_version.version + 1} 版" in history.text and "题干" in history.text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "question.revise",
                                                        AuditEvent.entity_id == question.id)).one()
    assert event.detail["changed"] == ["stem"]
    assert db.session.get(Attempt, attempt_id) is not None


def test_saving_an_unchanged_form_makes_no_new_version(client, auth, clock):
    auth.login("trainer1")
    new_question(client)
    q = db.session.scalars(select(Question).order_by(Question.id.desc())).first()
    response = client.post(f"/trainer/questions/{q.id}/edit", data=SINGLE, follow_redirects=True)
    assert "内容没有变化" in response.text
    assert len(q.versions) == 1


def test_retire_and_reactivate_are_audited_and_illegal_moves_refused(client, auth, clock):
    auth.login("trainer1")
    q = by_key("W05-001")
    client.post(f"/trainer/questions/{q.id}/status", data={"status": "retired"})
    assert q.status is QuestionStatus.RETIRED
    page = client.get("/trainer/questions?status=retired")
    assert "W05-001" in page.text
    response = client.post(f"/trainer/questions/{q.id}/status", data={"status": "retired"}, follow_redirects=True)
    assert "不能改为停用" in response.text
    client.post(f"/trainer/questions/{q.id}/status", data={"status": "active"})
    assert q.status is QuestionStatus.ACTIVE
    actions = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "question.status",
                                                                 AuditEvent.entity_id == q.id)).all()
    assert [(a["before"], a["after"]) for a in actions] == [("active", "retired"), ("retired", "active")]


def test_a_new_question_with_the_same_stem_is_reported_not_silently_added(client, auth, clock):
    auth.login("trainer1")
    existing = by_key("W05-001").current_version
    count = db.session.scalar(select(func.count()).select_from(Question))
    # full-width punctuation, extra spaces and Traditional script still count as the same stem
    from question_bank.normalize import to_simplified
    assert to_simplified(existing.stem) == existing.stem
    variant = existing.stem.replace("(", "（").replace(")", "）").replace("。", ". ") + "  "
    response = new_question(client, stem=variant)
    assert response.status_code == 200 and "题干与已有题目相同" in response.text and "W05-001" in response.text
    assert db.session.scalar(select(func.count()).select_from(Question)) == count
    assert new_question(client, stem=variant, confirm_duplicate="y").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Question)) == count + 1


def test_list_searches_filters_sorts_and_pages(client, auth, clock):
    auth.login("trainer1")
    page = client.get("/trainer/questions?area=W05&type=single")
    rows = page.text.count('<tr><td><a href="/trainer/questions/')
    expected = db.session.scalar(select(func.count()).select_from(Question).join(
        QuestionVersion, Question.current_version_id == QuestionVersion.id).where(
        QuestionVersion.area_code == "W05", QuestionVersion.type == "single"))
    assert rows == min(expected, 50) and f"({expected} 题)" in page.text
    assert "B12-001" not in page.text
    search = client.get("/trainer/questions", query_string={"q": "投訴"})  # Traditional input finds Simplified stems
    assert "(0 题)" not in search.text and "投诉" in search.text
    by_key_page = client.get("/trainer/questions?q=W05-001")
    assert "(1 题)" in by_key_page.text
    second = client.get("/trainer/questions?page=2")
    total = db.session.scalar(select(func.count()).select_from(Question))
    assert f"第 2 / {-(-total // 50)} 页" in second.text
    for_l4 = db.session.scalar(select(func.count()).select_from(QuestionVersion).join(
        Question, Question.current_version_id == QuestionVersion.id).where(QuestionVersion.levels_mask.op("&")(1) != 0))
    assert 0 < for_l4 < total  # some questions are too advanced for L4
    assert f"({for_l4} 题)" in client.get("/trainer/questions?level=L4").text
    newest = client.get("/trainer/questions?sort=-updated")
    assert newest.status_code == 200


def test_only_trainers_and_admins_can_see_or_change_the_bank(client, auth, clock):
    q = by_key("W05-001")
    for username in ("trainee1", "hr1"):
        auth.login(username)
        assert client.get("/trainer/questions").status_code == 403
        assert client.get(f"/trainer/questions/{q.id}").status_code == 403
        assert client.get("/trainer/questions/export.json").status_code == 403
        assert new_question(client).status_code == 403
        assert client.post(f"/trainer/questions/{q.id}/status", data={"status": "retired"}).status_code == 403
        auth.logout()
    assert client.get("/trainer/questions").status_code == 302  # guests are sent to the login page
    assert q.status is QuestionStatus.ACTIVE
    auth.login("admin1")
    assert client.get("/trainer/questions").status_code == 200
    export = client.get("/trainer/questions/export.json?area=W05")
    assert export.status_code == 200 and '"format": "vip-exam-bank"' in export.text and "W05-001" in export.text


def test_questions_marked_in_one_enemy_group_never_share_a_paper(client, auth, clock, app):
    auth.login("trainer1")
    singles = db.session.scalars(select(Question).join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
                                 .where(QuestionVersion.area_code == "W01", QuestionVersion.type == "single",
                                        Question.status == QuestionStatus.ACTIVE)).all()
    for q in singles[:6]:
        v = q.current_version
        form = {"type": "single", "area": v.area_code, "difficulty": v.difficulty.value, "levels": list(v.levels),
                "use": v.use.value, "stem": v.stem, "keys": v.answer, "explanation": v.explanation, "enemy_group": "生日关怀",
                **{f"option_{c}": o for c, o in zip("abcdefgh", v.options, strict=False)}}
        assert client.post(f"/trainer/questions/{q.id}/edit", data=form).status_code == 302
    assert {q.enemy_group for q in singles[:6]} == {"生日关怀"}
    assert len(q.versions) == 1  # the group is not content: no new version
    runner = app.test_cli_runner()
    grouped = {q.id for q in singles[:6]}
    for seed in range(8):

        paper = json.loads(runner.invoke(args=["paper", "draw", "--level", "L4", "--seed", str(seed), "--json"]).output)
        assert len(grouped & {i["question_id"] for i in paper["items"]}) <= 1
