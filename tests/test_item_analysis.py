"""Item analysis figures: checked against a worked example and against an independent computation (pandas and
scipy) on the same responses; the flags follow their thresholds."""
from __future__ import annotations

import json
import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from analysis_data import graded_sitting, reversed_item
from scipy import stats as sps
from sqlalchemy import select

from exam.extensions import db
from exam.models import Answer, Attempt, PaperItem
from exam.services.item_analysis import (
    AnalysisSettings,
    AttemptInfo,
    Responses,
    VersionInfo,
    analyse,
)
from exam.services.paper_pools import build_pool
from exam.services.papers import level_by_code
from exam.services.sitting_analysis import analyse_sitting, stored_report
from question_bank import QuestionType

NOW = datetime(2026, 11, 22, 9, 0)


def _matrix(choices: list[list[str | None]], key: str = "A", pool_paper: int | None = 1):  # noqa: ANN202
    """Attempt rows × single-choice items: the letter each attempt chose (key ``key`` scores 1 point)."""
    attempt, version, points, score, response = [], [], [], [], []
    for a, row in enumerate(choices, start=1):
        for i, chosen in enumerate(row, start=1):
            attempt.append(a)
            version.append(i)
            points.append(1)
            score.append(1.0 if chosen == key else 0.0)
            response.append(None if chosen is None else json.dumps(chosen))
    totals = {a: sum(1 for c in row if c == key) for a, row in enumerate(choices, start=1)}
    attempts = {a: AttemptInfo(a, pool_paper, totals[a] >= 0.6 * len(choices[0]), 0.6 * len(choices[0]),
                               len(choices[0]), NOW) for a in totals}
    versions = {i: VersionInfo(i, f"Q{i}", 1, QuestionType.SINGLE, "B11", [key], ("一", "二", "三", "四"))
                            for i in range(1, len(choices[0]) + 1)}
    return Responses(np.array(attempt), np.array(version), np.array(points, dtype=float), np.array(score),
                     response), attempts, versions


def test_a_worked_example_gives_the_textbook_kr20_point_biserial_and_27_percent_index():
    # Five candidates, four items in a perfect Guttman pattern (1 = right):
    #   A 1111 (4) · B 1110 (3) · C 1100 (2) · D 1000 (1) · E 0000 (0)
    # p = .8 .6 .4 .2; Σpq = .16+.24+.24+.16 = .80; total variance (÷N) = (4+1+0+1+4)/5 = 2
    # KR-20 = 4/3 · (1 − .80/2) = 0.80.  Item 1 against the rest (3,2,1,0,0): r = 1.2/√(0.8·6.8) = 0.5145.
    # 27 % of 5 rounds to 1: upper = A, lower = E, so D = 1 − 0 = 1 for every item.
    R, W = "A", "B"
    responses, attempts, versions = _matrix([[R, R, R, R], [R, R, R, W], [R, R, W, W], [R, W, W, W], [W, W, W, W]])
    a = analyse(responses, attempts, versions, AnalysisSettings(min_responses=1))
    form = a.forms[0]
    assert form.alpha_kind == "KR-20" and form.alpha == pytest.approx(0.80)
    assert form.sem == pytest.approx(math.sqrt(2.5) * math.sqrt(0.2))  # SD (n − 1) · √(1 − KR-20)
    assert [i.p for i in a.items] == pytest.approx([0.8, 0.6, 0.4, 0.2])
    assert a.items[0].r_corrected == pytest.approx(1.2 / math.sqrt(0.8 * 6.8))
    assert [i.d_index for i in a.items] == pytest.approx([1, 1, 1, 1])
    assert a.mean == pytest.approx(2) and a.pass_rate == pytest.approx(0.4)


def test_cronbach_alpha_of_partial_credit_items_matches_its_formula():
    # three candidates, two items worth 2 points scored 0/1/2: α = k/(k−1)·(1 − Σσ²ᵢ/σ²ₓ) with n − 1 variances
    attempt = np.array([1, 1, 2, 2, 3, 3])
    version = np.array([1, 2, 1, 2, 1, 2])
    score = np.array([2.0, 2.0, 1.0, 0.0, 0.0, 1.0])
    responses = Responses(attempt, version, np.full(6, 2.0), score, [None] * 6)
    versions = {v: VersionInfo(v, f"F{v}", 1, QuestionType.FILL_BLANK, "B11", [["x"], ["y"]]) for v in (1, 2)}
    attempts = {a: AttemptInfo(a, 7, False, 3, 4, NOW) for a in (1, 2, 3)}
    form = analyse(responses, attempts, versions, AnalysisSettings(min_responses=1)).forms[0]
    item_var = np.var([2, 1, 0], ddof=1) + np.var([2, 0, 1], ddof=1)
    assert form.alpha_kind == "α"
    assert form.alpha == pytest.approx(2 * (1 - item_var / np.var([4, 1, 1], ddof=1)))


def test_figures_match_an_independent_computation_on_the_same_responses(app):
    sitting = graded_sitting(90, now=NOW, pool_size=2, seed=11)
    row = analyse_sitting(db.session, sitting, AnalysisSettings(min_responses=10), NOW, None)
    report = stored_report(db.session, row)

    rows = db.session.execute(
        select(Attempt.id, Attempt.pool_paper_id, PaperItem.question_version_id, PaperItem.type, PaperItem.points,
               Answer.score, Answer.response)
        .join(PaperItem, PaperItem.attempt_id == Attempt.id).join(Answer, Answer.paper_item_id == PaperItem.id)
        .where(Attempt.sitting_id == sitting.id)).all()
    df = pd.DataFrame(rows, columns=["attempt", "form", "version", "type", "points", "score", "response"])
    df["frac"] = df.score / df.points
    total = df.groupby("attempt").score.sum()
    df["rest"] = df.attempt.map(total) - df.score

    # reliability per form: Cronbach's α from the attempt × item score table
    for f in report["forms"]:
        table = df[df.form == int(f["form"])].pivot(index="attempt", columns="version", values="score")
        k = table.shape[1]
        alpha = k / (k - 1) * (1 - table.var(ddof=1).sum() / table.sum(axis=1).var(ddof=1))
        assert f["alpha"] == pytest.approx(alpha, abs=1e-4)
        assert f["attempts"] == len(table) and f["items"] == k
        assert f["sem"] == pytest.approx(table.sum(axis=1).std(ddof=1) * math.sqrt(1 - alpha), abs=1e-3)

    # upper and lower 27 %: attempts by total score, ties by attempt id
    ranked = total.reset_index().sort_values(["score", "attempt"]).attempt.tolist()
    g = int(math.floor(len(ranked) * 0.27 + 0.5))
    lower, upper = set(ranked[:g]), set(ranked[-g:])
    by_version = {i["version_id"]: i for i in report["items"]}
    assert len(by_version) == df.version.nunique()
    checked_pb = 0
    for vid, item_rows in df.groupby("version"):
        got = by_version[vid]
        assert got["responses"] == len(item_rows)
        assert got["p"] == pytest.approx(item_rows.frac.mean(), abs=1e-4)
        if item_rows.score.std() > 0:
            if set(item_rows.score.unique()) <= {0.0, float(item_rows.points.iloc[0])}:
                expected = sps.pointbiserialr(item_rows.score > 0, item_rows.rest).statistic
                checked_pb += 1
            else:
                expected = sps.pearsonr(item_rows.score, item_rows.rest).statistic
            assert got["r_corrected"] == pytest.approx(expected, abs=1e-4)
        up, low = item_rows[item_rows.attempt.isin(upper)], item_rows[item_rows.attempt.isin(lower)]
        assert got["d_index"] == pytest.approx(up.frac.mean() - low.frac.mean(), abs=1e-4)
        if item_rows.type.iloc[0] in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            chosen = item_rows.response.map(lambda r: r if isinstance(r, list) else [] if r is None else [r])
            for o in got["options"]:
                assert o["rate"] == pytest.approx(chosen.map(lambda c, o=o: o["option"] in c).mean(), abs=1e-4)
                upper_chosen = chosen[item_rows.attempt.isin(upper)]
                assert o["upper"] == pytest.approx(upper_chosen.map(lambda c, o=o: o["option"] in c).mean(), abs=1e-4)
    assert checked_pb > 20
    assert report["mean"] == pytest.approx(total.mean(), abs=1e-4)
    assert report["sd"] == pytest.approx(total.std(ddof=1), abs=1e-4)
    assert sum(report["histogram"]["counts"]) == 90


def test_a_miskeyed_item_gets_negative_discrimination_and_others_do_not(app):
    pool = build_pool(db.session, level_by_code(db.session, "L4"), size=1, seed=3, now=NOW, actor_id=None)
    target = next(qid for qid, _v, _a, t, _d, _p in pool.papers[0].items if t == "single")
    sitting = graded_sitting(120, now=NOW, pool=pool, seed=3, behaviours={target: reversed_item})
    report = stored_report(db.session, analyse_sitting(db.session, sitting, AnalysisSettings(), NOW, None))
    bad = next(i for i in report["items"] if i["question_id"] == target)
    assert bad["d_index"] < 0 and bad["r_corrected"] < 0
    assert {"negative", "weak"} <= set(bad["flags"])
    negatives = [i for i in report["items"] if "negative" in i["flags"]]
    assert len(negatives) <= 3  # the rest follow the ability model: at most chance negatives
    good = [i for i in report["items"] if i["d_index"] is not None and i["d_index"] >= 0.2]
    assert len(good) > 40 and not any("weak" in i["flags"] for i in good)


def test_thresholds_are_settings():
    R, W = "A", "B"
    responses, attempts, versions = _matrix([[R, R, R, R], [R, R, R, W], [R, R, W, W], [R, W, W, W], [W, W, W, W]])
    default = analyse(responses, attempts, versions, AnalysisSettings(min_responses=1))
    assert [i.flags & 3 for i in default.items] == [0, 0, 0, 0]  # p = .8 .6 .4 .2: neither < .2 nor > .9
    strict = analyse(responses, attempts, versions, AnalysisSettings(min_p=0.3, max_p=0.7, min_responses=1))
    names = [set(_names(i.flags)) for i in strict.items]
    assert "easy" in names[0] and "hard" in names[3] and not names[1] & {"easy", "hard"}
    # too few responses to judge: no flags at all, whatever the figures
    unjudged = analyse(responses, attempts, versions, AnalysisSettings(min_p=0.3, max_p=0.7, min_responses=6))
    assert all(i.flags == 0 for i in unjudged.items)


def _names(bits: int) -> list[str]:
    from exam.services.item_analysis import flag_names

    return flag_names(bits)


def test_distractors_nobody_picks_and_those_the_strong_pick_are_flagged():
    # 10 candidates; item 1: key A, D never chosen, C chosen by the strongest; items 2–4 set the ranking
    rows = []
    for a in range(10):
        first = "C" if a in (8, 9) else ("A" if a >= 3 else "B")
        rows.append([first] + ["A" if a >= k else "B" for k in (2, 5, 7)])
    responses, attempts, versions = _matrix(rows)
    a = analyse(responses, attempts, versions, AnalysisSettings(min_responses=5))
    first = a.items[0]
    by = {o.option: o for o in first.options}
    assert by["D"].rate == 0 and by["C"].upper > by["C"].lower
    assert set(_names(first.flags)) >= {"unused_distractor", "strong_distractor"}
    assert by["A"].key and not by["C"].key


def test_unanswered_items_count_as_responses_scored_zero_and_their_share_is_reported():
    responses, attempts, versions = _matrix([["A", None], ["A", "A"], [None, "B"], ["B", "A"]])
    a = analyse(responses, attempts, versions, AnalysisSettings(min_responses=1))
    assert a.items[0].responses == 4 and a.items[0].p == pytest.approx(0.5)
    assert a.items[0].unanswered == pytest.approx(0.25)
    assert sum(o.rate for o in a.items[0].options) + a.items[0].unanswered == pytest.approx(1)


def test_a_form_with_unrelated_items_has_low_reliability_flagged():
    rng = np.random.default_rng(5)
    rows = [["A" if rng.random() < 0.5 else "B" for _ in range(12)] for _ in range(60)]
    responses, attempts, versions = _matrix(rows)
    form = analyse(responses, attempts, versions, AnalysisSettings(min_responses=30)).forms[0]
    assert form.alpha < 0.7 and form.flags == ["low_alpha"]
    few = analyse(responses, attempts, versions, AnalysisSettings(min_responses=100)).forms[0]
    assert few.flags == []


def test_papers_drawn_one_per_trainee_have_no_reliability_but_their_items_are_analysed():
    responses, attempts, versions = _matrix([["A", "A"], ["A", "B"], ["B", "B"]], pool_paper=None)
    a = analyse(responses, attempts, versions, AnalysisSettings(min_responses=1))
    assert [(f.form, f.alpha, f.attempts) for f in a.forms] == [("drawn", None, 3)]
    assert a.items[0].p == pytest.approx(2 / 3)


def test_no_graded_attempts_gives_an_empty_analysis():
    empty = Responses(np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([]), np.array([]), [])
    a = analyse(empty, {}, {}, AnalysisSettings())
    assert a.attempts == 0 and a.items == [] and a.to_json()["histogram"]["counts"] == [0] * 20


def test_responses_of_an_attempt_not_among_the_attempts_read_are_left_out():
    responses, attempts, versions = _matrix([["A", "A"], ["A", "B"], ["B", "B"]])
    late = dict(attempts)
    del late[3]  # graded after the attempts were read
    a = analyse(responses, late, versions, AnalysisSettings(min_responses=1))
    assert a.attempts == 2 and [i.responses for i in a.items] == [2, 2] and a.items[0].p == 1.0
