"""The framework-free bank format and the starter bank."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from question_bank import (
    AREA_CODES,
    BankError,
    Difficulty,
    QuestionRecord,
    QuestionType,
    dumps_bank,
    load_starter_bank,
    loads_bank,
)
from question_bank.records import count_blanks


def _single(**kw) -> QuestionRecord:
    base = dict(key="T-1", type=QuestionType.SINGLE, area="W05", difficulty=Difficulty.EASY,
                stem="客户投诉处理的第一步是( )。", options=("解释原因", "倾听并安抚", "给予赔偿", "转交上级"), answer=("B",))
    return QuestionRecord(**(base | kw))


def test_json_round_trip_is_identity_for_every_starter_question():
    bank = load_starter_bank()
    assert loads_bank(dumps_bank(bank)) == bank


def test_unknown_format_version_is_refused():
    doc = json.loads(dumps_bank([_single()]))
    doc["version"] = 99
    with pytest.raises(BankError, match="不支持的题库格式版本 99"):
        loads_bank(json.dumps(doc))


def test_a_bad_record_names_its_place_in_the_file():
    doc = json.loads(dumps_bank([_single(), _single(key="T-2")]))
    doc["questions"][1]["answer"] = ["A", "B"]
    with pytest.raises(BankError, match="第 2 题.*单选题只能有一个答案, 读到 'AB'"):
        loads_bank(json.dumps(doc), source="x.json")


@pytest.mark.parametrize("kw, message", [
    (dict(type=QuestionType.MULTIPLE, answer=("A",)), "多选题至少两个答案"),
    (dict(answer=("E",)), "不是 ABCD 中"),
    (dict(area="X99"), "知识领域 'X99' 不存在"),
    (dict(type=QuestionType.FILL_BLANK, options=(), stem="分为____和____", answer=(("a",),)), "题干有 2 个空, 答案有 1 组"),
    (dict(type=QuestionType.TRUE_FALSE, options=(), answer="对"), "判断题答案应为 true 或 false"),
])
def test_invalid_records_are_refused_with_the_reason(kw, message):
    with pytest.raises(BankError, match=message):
        _single(**kw)


def test_starter_bank_has_enough_original_questions_of_every_type_and_area():
    bank = load_starter_bank()
    assert len(bank) >= 300
    assert set(Counter(q.type for q in bank)) == set(QuestionType)
    assert set(q.area for q in bank) == set(AREA_CODES)
    assert len({q.key for q in bank}) == len(bank)
    assert all(q.explanation.strip() for q in bank)
    stems = [q.stem for q in bank]
    assert len(set(stems)) == len(stems), "no stem twice"


def test_fill_blank_questions_have_one_answer_group_per_blank():
    for q in load_starter_bank():
        if q.type is QuestionType.FILL_BLANK:
            assert count_blanks(q.stem) == len(q.answer), q.key


def test_an_enemy_group_travels_in_the_json_format_and_old_files_without_it_stay_valid():
    grouped = [_single(key="T-1", enemy_group="携号转网-120天"), _single(key="T-2", enemy_group="")]
    doc = json.loads(dumps_bank([*grouped, _single(key="T-3")]))
    assert [q.get("enemy_group") for q in doc["questions"]] == ["携号转网-120天", "", None]
    back = loads_bank(json.dumps(doc))
    assert [q.enemy_group for q in back] == ["携号转网-120天", "", None]
    # a file written before the field existed: nothing said about groups
    for q in doc["questions"]:
        q.pop("enemy_group", None)
    assert [q.enemy_group for q in loads_bank(json.dumps(doc))] == [None, None, None]


def test_an_enemy_group_name_too_long_or_not_text_is_refused_naming_the_question():
    doc = json.loads(dumps_bank([_single(key="T-1")]))
    doc["questions"][0]["enemy_group"] = "组" * 41
    with pytest.raises(BankError, match="第 1 题.*互斥组名称最长 40 个字"):
        loads_bank(json.dumps(doc), source="x.json")
    doc["questions"][0]["enemy_group"] = ["a"]
    with pytest.raises(BankError, match="字段 enemy_group 应为文字"):
        loads_bank(json.dumps(doc), source="x.json")
