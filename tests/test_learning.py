"""专项练习, 错题本, mock review and 我的进度: what a trainee sees, and the keys they must never see."""
from __future__ import annotations

import random

import pytest
from helpers import answer_all, correct_display_response
from sqlalchemy import select

from exam.extensions import db
from exam.models import (
    Attempt,
    AttemptKind,
    Level,
    PracticeResponse,
    PracticeSet,
    Question,
    QuestionVersion,
    User,
)
from exam.services.attempts import start_attempt
from exam.services.papers import level_bit, seen_questions
from exam.services.practice import PracticeError, draw_practice_set, wrong_book
from exam.services.progress import area_progress
from exam.web.common import certificate_settings
from question_bank import Difficulty, QuestionType, QuestionUse


def _user(name: str) -> User:
    return db.session.scalars(select(User).where(User.username == name)).one()


def _level(code: str) -> Level:
    return db.session.scalars(select(Level).where(Level.code == code)).one()


def _start(client, level: str = "L2", size: int = 5, **filters) -> PracticeSet:
    response = client.post("/trainee/learn/practice", data={"level": level, "size": str(size), **filters})
    assert response.status_code == 302 and "/sets/" in response.location, response.location
    return db.session.get(PracticeSet, int(response.location.rsplit("/", 1)[1]))


def right_answer(version: QuestionVersion) -> list[str]:
    """The form values of a right answer."""
    if version.type is QuestionType.TRUE_FALSE:
        return ["true" if version.answer else "false"]
    if version.type is QuestionType.FILL_BLANK:
        return [alts[0] for alts in version.answer]
    return list(version.answer)


def wrong_answer(version: QuestionVersion) -> list[str]:
    if version.type is QuestionType.TRUE_FALSE:
        return ["false" if version.answer else "true"]
    if version.type is QuestionType.FILL_BLANK:
        return ["不知道"] * len(version.answer)
    return [next(letter for letter in "ABCDEFGH"[:len(version.options)] if letter not in version.answer)]


def _answer(client, pset: PracticeSet, position: int, values: list[str]):
    return client.post(f"/trainee/learn/sets/{pset.id}/answer", data={"position": str(position), "answer": values},
                       follow_redirects=True)


def _version(pset: PracticeSet, position: int) -> QuestionVersion:
    return db.session.get(QuestionVersion, pset.items[position - 1][1])


def test_practice_draws_practice_usable_questions_of_the_chosen_area_type_and_difficulty(client, auth, clock):
    exam_only = db.session.scalars(select(Question).where(
        Question.area_code == "W03", Question.type == QuestionType.SINGLE, Question.levels_mask.op("&")(4) != 0)).all()
    for q in exam_only[: len(exam_only) // 2]:
        q.use = q.current_version.use = QuestionUse.EXAM
    db.session.commit()
    auth.login("trainee1")
    pset = _start(client, "L2", 20, area="W03", type="single")
    drawn = [db.session.get(Question, qid) for qid, _vid in pset.items]
    assert drawn and all(q.area_code == "W03" and q.type is QuestionType.SINGLE for q in drawn)
    assert all(q.use in (QuestionUse.PRACTICE, QuestionUse.BOTH) for q in drawn)
    assert not {q.id for q in drawn} & {q.id for q in exam_only[: len(exam_only) // 2]}


def test_the_key_is_not_on_the_page_before_the_answer_and_is_right_after_it(client, auth, clock):
    auth.login("trainee1")
    pset = _start(client, "L2", 1, type="single")
    version = _version(pset, 1)
    before = client.get(f"/trainee/learn/sets/{pset.id}").text
    assert 'id="practice-answer"' in before and "正确答案" not in before
    assert not version.explanation or version.explanation not in before
    page = _answer(client, pset, 1, right_answer(version)).text
    assert "回答正确" in page and 'id="practice-key"' in page and "".join(version.answer) in page
    assert version.explanation in page
    assert db.session.scalars(select(PracticeResponse).where(PracticeResponse.set_id == pset.id)).one().correct


def test_a_wrong_practice_answer_goes_to_the_wrong_book_with_the_answer_given_and_the_key(client, auth, clock):
    auth.login("trainee1")
    pset = _start(client, "L2", 1, type="true_false")
    version = _version(pset, 1)
    page = _answer(client, pset, 1, wrong_answer(version)).text
    assert "回答错误" in page and "已记入错题本" in page
    book = client.get("/trainee/learn/wrong").text
    assert f'data-wrong-question="{version.question_id}"' in book
    assert ("对" if version.answer else "错") in book and "专项练习" in book


def test_an_item_leaves_the_wrong_book_after_two_right_answers_in_a_row(client, auth, clock):
    auth.login("trainee1")
    first = _start(client, "L2", 1, type="single")
    version = _version(first, 1)
    _answer(client, first, 1, wrong_answer(version))

    def again(right: bool) -> None:
        clock.advance(minutes=5)
        response = client.post("/trainee/learn/wrong/practice", data={"level": "L2", "size": "1"})
        pset = db.session.get(PracticeSet, int(response.location.rsplit("/", 1)[1]))
        assert pset.items[0][0] == version.question_id
        _answer(client, pset, 1, right_answer(version) if right else wrong_answer(version))

    def in_book() -> bool:
        return f'data-wrong-question="{version.question_id}"' in client.get("/trainee/learn/wrong").text

    again(True)
    assert in_book()  # one right answer is not enough
    again(False)
    again(True)
    assert in_book()  # the run starts again after a mistake
    again(True)
    assert not in_book()
    assert "错题本是空的" in client.get("/trainee/learn/wrong").text


def test_answering_twice_keeps_the_first_answer(client, auth, clock):
    auth.login("trainee1")
    pset = _start(client, "L2", 1, type="true_false")
    version = _version(pset, 1)
    _answer(client, pset, 1, wrong_answer(version))
    _answer(client, pset, 1, right_answer(version))
    responses = db.session.scalars(select(PracticeResponse).where(PracticeResponse.set_id == pset.id)).all()
    assert len(responses) == 1 and not responses[0].correct


def test_a_set_ends_with_its_summary(client, auth, clock):
    auth.login("trainee1")
    pset = _start(client, "L2", 5, type="true_false")
    for position in range(1, 6):
        version = _version(pset, position)
        _answer(client, pset, position, right_answer(version) if position % 2 else wrong_answer(version))
    page = client.get(f"/trainee/learn/sets/{pset.id}").text
    assert "共 5 题, 答对 <b>3</b> 题" in page
    assert db.session.get(PracticeSet, pset.id).finished_at is not None


def test_no_practice_at_a_level_whose_sitting_window_is_open(client, auth, clock):
    auth.login("trainee1")  # enrolled in the demo's open 四级 sitting
    response = client.post("/trainee/learn/practice", data={"level": "L4", "size": "5"}, follow_redirects=True)
    assert "正在开考" in response.text and "不能参加岗位技能四级专项练习" in response.text
    assert db.session.scalar(select(PracticeSet.id).where(PracticeSet.user_id == _user("trainee1").id)) is None
    page = client.get("/trainee/learn/practice").text
    assert 'data-practice-closed="L4"' in page


def test_an_open_practice_set_stops_when_its_level_closes(client, auth, clock):
    from helpers import open_sitting

    auth.login("trainee1")
    pset = _start(client, "L3", 5, type="true_false")
    trainee = _user("trainee1")
    l3 = _level("L3")
    from exam.models import EligibilityOverride

    db.session.add(EligibilityOverride(user_id=trainee.id, level_id=l3.id, eligible=True, reason="特批",
                                       decided_by_id=_user("admin1").id, decided_at=clock.now))
    db.session.commit()
    open_sitting("L3", ["trainee1"], now=clock.now)
    page = client.get(f"/trainee/learn/sets/{pset.id}", follow_redirects=True).text
    assert "不能参加岗位技能三级(中级)专项练习" in page and 'id="practice-answer"' not in page


def test_practice_never_shows_a_question_of_the_running_certification_paper(app, clock):
    trainee, l4, l3 = _user("trainee1"), _level("L4"), _level("L3")
    attempt = start_attempt(db.session, trainee, l4, clock.now, certificate_settings())
    db.session.flush()
    on_paper = {}
    for item in attempt.items:  # 四级 items are 三级 items too: practice at 三级 could draw them
        q = item.question_version.question
        if q.type in (QuestionType.SINGLE, QuestionType.TRUE_FALSE) and q.levels_mask & level_bit("L3"):
            on_paper.setdefault((q.area_code, q.type, q.difficulty), set()).add(q.id)
    assert on_paper
    for (area, qt, difficulty), ids in on_paper.items():
        try:
            pset = draw_practice_set(db.session, trainee, l3, clock.now, random.Random(1), area=area, qtype_=qt,
                                     difficulty=difficulty, size=20)
        except PracticeError:
            continue  # the whole cell is on the paper
        assert not {qid for qid, _v in pset.items} & ids


def test_practised_questions_count_as_seen_for_later_papers(client, auth, clock):
    auth.login("trainee1")
    pset = _start(client, "L2", 5, type="single")
    for p in range(1, 6):
        _answer(client, pset, p, right_answer(_version(pset, p)))
    assert {qid for qid, _v in pset.items} <= seen_questions(db.session, _user("trainee1").id, _level("L1"))


def test_wrong_items_of_a_mock_enter_the_wrong_book_and_blank_ones_do_not(client, auth, clock):
    auth.login("trainee1")
    attempt_id = int(client.post("/trainee/levels/L2/mock").location.rsplit("/", 1)[1])
    attempt = db.session.get(Attempt, attempt_id)
    singles = [i for i in attempt.items if i.type is QuestionType.SINGLE]
    wrong, right, blank = singles[0], singles[1], singles[2]
    letters = "ABCDEFGH"[:len(wrong.option_order)]
    wrong_letter = next(x for x in letters if x != correct_display_response(wrong))
    client.post(f"/trainee/attempts/{attempt_id}/answers", json={"answers": [
        {"item": wrong.position, "response": wrong_letter, "seq": 1},
        {"item": right.position, "response": correct_display_response(right), "seq": 1}]})
    client.post(f"/trainee/attempts/{attempt_id}/submit")
    book = client.get("/trainee/learn/wrong").text
    qid = lambda item: item.question_version.question_id  # noqa: E731
    assert f'data-wrong-question="{qid(wrong)}"' in book and "模拟考试" in book
    assert f'data-wrong-question="{qid(right)}"' not in book
    assert f'data-wrong-question="{qid(blank)}"' not in book


def test_mock_review_shows_answer_key_and_explanation_of_every_item(client, auth, clock):
    auth.login("trainee1")
    attempt_id = int(client.post("/trainee/levels/L2/mock").location.rsplit("/", 1)[1])
    attempt = db.session.get(Attempt, attempt_id)
    answer_all(client, attempt, only={1, 2})
    client.post(f"/trainee/attempts/{attempt_id}/submit")
    assert 'id="mock-review-link"' in client.get(f"/trainee/attempts/{attempt_id}/result").text
    page = client.get(f"/trainee/learn/mocks/{attempt_id}").text
    assert page.count('class="q review-item"') == len(attempt.items)
    first = attempt.items[0].question_version
    assert first.stem.split("____")[0][:10] in page and "正确答案" in page
    assert "参考答案" in page  # the open items show the reference answer


def test_there_is_no_review_of_a_certification_attempt(client, auth, clock):
    trainee = _user("trainee1")
    attempt = start_attempt(db.session, trainee, _level("L4"), clock.now, certificate_settings())
    db.session.commit()
    auth.login("trainee1")
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    assert client.get(f"/trainee/learn/mocks/{attempt.id}").status_code == 404
    assert "mock-review-link" not in client.get(f"/trainee/attempts/{attempt.id}/result").text


def test_no_mock_review_while_the_levels_certification_runs(client, auth, clock):
    auth.login("trainee2")
    attempt_id = int(client.post("/trainee/levels/L2/mock").location.rsplit("/", 1)[1])
    client.post(f"/trainee/attempts/{attempt_id}/submit")
    trainee = _user("trainee2")
    start_attempt(db.session, trainee, _level("L2"), clock.now, certificate_settings(), kind=AttemptKind.CERTIFICATION)
    db.session.commit()
    page = client.get(f"/trainee/learn/mocks/{attempt_id}", follow_redirects=True).text
    assert "正式考试正在进行" in page and "review-item" not in page


def test_someone_elses_set_or_mock_is_not_found(client, auth, clock):
    auth.login("trainee1")
    pset = _start(client, "L2", 1)
    attempt_id = int(client.post("/trainee/levels/L2/mock").location.rsplit("/", 1)[1])
    client.post(f"/trainee/attempts/{attempt_id}/submit")
    auth.login("trainee2")
    assert client.get(f"/trainee/learn/sets/{pset.id}").status_code == 404
    assert client.post(f"/trainee/learn/sets/{pset.id}/answer", data={"position": "1", "answer": "A"}).status_code == 404
    assert client.get(f"/trainee/learn/mocks/{attempt_id}").status_code == 404


def test_bad_practice_choices_are_refused_with_a_message(client, auth, clock):
    auth.login("trainee1")
    page = client.post("/trainee/learn/practice", data={"level": "L9", "size": "7", "type": "case_study"},
                       follow_redirects=True).text
    assert "请选择等级" in page and "请选择每组题数" in page and "请选择题型" in page
    page = client.post("/trainee/learn/practice", data={"level": "L2", "size": "5", "area": "W07", "type": "fill_blank",
                                                       "difficulty": "hard"}, follow_redirects=True).text
    assert "没有符合条件的练习题" in page or "/sets/" in page


def test_progress_lists_the_weakest_area_first_with_a_chart_and_a_link_to_practise_it(client, auth, clock):
    auth.login("trainee1")
    weak = _start(client, "L3", 5, area="W03", type="true_false")
    for p in range(1, 6):
        _answer(client, weak, p, wrong_answer(_version(weak, p)))
    strong = _start(client, "L3", 5, area="B12", type="true_false")
    for p in range(1, 6):
        _answer(client, strong, p, right_answer(_version(strong, p)))
    areas = area_progress(db.session, _user("trainee1"), clock.now)
    assert areas[0].code == "W03" and areas[0].rate == 0
    assert next(a for a in areas if a.code == "B12").rate == 1
    assert areas[-1].rate is None  # areas without answers come last
    page = client.get("/trainee/learn/progress").text
    assert page.index('data-area="W03"') < page.index('data-area="B12"')
    assert 'data-chart="area-W03"' in page and "<svg" in page
    assert 'href="/trainee/learn/practice?area=W03&amp;level=L3"' in page  # L4's sitting is open: the next level


def test_progress_counts_only_the_last_weeks(client, auth, clock):
    auth.login("trainee1")
    old = _start(client, "L2", 1, area="W01", type="true_false")
    _answer(client, old, 1, wrong_answer(_version(old, 1)))
    clock.advance(days=7 * 13)
    assert next(a for a in area_progress(db.session, _user("trainee1"), clock.now) if a.code == "W01").rate is None


def test_wrong_book_service_is_empty_for_a_new_trainee(app):
    assert wrong_book(db.session, _user("trainee2")) == []


@pytest.mark.parametrize("size", [0, 3, 1000])
def test_a_set_size_outside_the_choices_is_refused(app, clock, size):
    with pytest.raises(PracticeError, match="每组题数"):
        draw_practice_set(db.session, _user("trainee1"), _level("L2"), clock.now, random.Random(1), size=size)


def test_difficulty_filter(client, auth, clock):
    auth.login("trainee1")
    pset = _start(client, "L2", 10, difficulty="hard")
    assert all(db.session.get(Question, q).difficulty is Difficulty.HARD for q, _v in pset.items)


def test_one_item_at_a_time_goes_on_with_the_same_choices(client, auth, clock):
    auth.login("trainee1")
    first = _start(client, "L2", 1, area="W04", type="true_false")
    page = _answer(client, first, 1, right_answer(_version(first, 1))).text
    assert 'id="practice-again"' in page and "再来一题" in page
    response = client.post("/trainee/learn/practice", data={"level": "L2", "area": "W04", "type": "true_false",
                                                           "difficulty": "", "size": "1"})
    second = db.session.get(PracticeSet, int(response.location.rsplit("/", 1)[1]))
    assert second.id != first.id and second.items[0][0] != first.items[0][0]  # a question not practised yet first
    assert second.area_code == "W04" and second.type is QuestionType.TRUE_FALSE
