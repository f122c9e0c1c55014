"""Grading rules of each question type."""
from __future__ import annotations

import pytest

from exam.services.qtypes import REGISTRY, ResponseError, normalize_blank
from question_bank import QuestionType

T = QuestionType


def grade(t, response, answer, points=1, **kw):
    return REGISTRY[t].grade(response, answer, points, **kw)


def test_single_and_true_false_score_only_the_key():
    assert grade(T.SINGLE, "B", ["B"]) == 1
    assert grade(T.SINGLE, "C", ["B"]) == 0
    assert grade(T.SINGLE, None, ["B"]) == 0
    assert grade(T.TRUE_FALSE, False, False) == 1
    assert grade(T.TRUE_FALSE, None, False) == 0


@pytest.mark.parametrize("raw", ["BCD", "AB", "BB", " B", "b", "Ｂ", ""[:0] + "B\u0000"])
def test_a_single_choice_response_is_exactly_one_letter(raw):
    with pytest.raises(ResponseError):
        REGISTRY[T.SINGLE].parse(raw, [0, 1, 2, 3])
    assert REGISTRY[T.SINGLE].parse("B", [0, 1, 2, 3]) == "B"


def test_a_multiple_choice_response_is_a_list_of_single_letters():
    with pytest.raises(ResponseError):
        REGISTRY[T.MULTIPLE].parse(["AB"], [0, 1, 2, 3])
    with pytest.raises(ResponseError):
        REGISTRY[T.MULTIPLE].parse(["A"] * 1000, [0, 1, 2, 3])
    assert REGISTRY[T.MULTIPLE].parse(["B", "A"], [0, 1, 2, 3]) == ["A", "B"]


def test_multiple_scores_only_an_exact_match_by_default():
    assert grade(T.MULTIPLE, ["A", "B", "D"], ["A", "B", "D"], 2) == 2
    assert grade(T.MULTIPLE, ["A", "B"], ["A", "B", "D"], 2) == 0
    assert grade(T.MULTIPLE, ["A", "B", "C", "D"], ["A", "B", "D"], 2) == 0


def test_multiple_partial_credit_gives_half_for_a_correct_subset_only():
    assert grade(T.MULTIPLE, ["A", "B"], ["A", "B", "D"], 2, partial_credit=True) == 1
    assert grade(T.MULTIPLE, ["A", "C"], ["A", "B", "D"], 2, partial_credit=True) == 0


def test_fill_blank_normalises_width_spaces_and_punctuation_per_blank():
    key = [["成长期"], ["稳定期", "稳定阶段"]]
    assert grade(T.FILL_BLANK, ["成长期", "稳定阶段"], key, 1) == 1
    assert grade(T.FILL_BLANK, [" 成 长 期。", "稳定期"], key, 1) == 1
    assert grade(T.FILL_BLANK, ["成长期", "衰退期"], key, 1) == 0.5
    assert grade(T.FILL_BLANK, ["ＡＲＰＵ"], [["arpu"]], 1) == 1


def test_normalize_blank_folds_full_width_and_punctuation():
    assert normalize_blank("（５Ｇ）， ") == "5g"


def test_free_text_waits_for_a_trainer_unless_blank():
    assert grade(T.SHORT_ANSWER, "核实身份, 了解原因", "参考答案") is None
    assert grade(T.CASE_STUDY, None, "参考答案", 10) == 0


def test_shuffled_options_map_back_to_the_questions_own_letters():
    single = REGISTRY[T.SINGLE]
    order = [2, 0, 3, 1]  # displayed A is the question's C, displayed B is its A, …
    assert single.parse("A", order) == "C"
    assert single.display("C", order) == "A"
    multiple = REGISTRY[T.MULTIPLE]
    assert multiple.parse(["B", "D"], order) == ["A", "B"]
    assert multiple.display(["A", "B"], order) == ["B", "D"]


def test_a_response_that_does_not_fit_is_refused():
    with pytest.raises(ResponseError):
        REGISTRY[T.SINGLE].parse("Z", [0, 1, 2, 3])
    with pytest.raises(ResponseError):
        REGISTRY[T.TRUE_FALSE].parse("maybe", [])
