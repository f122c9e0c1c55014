"""申报条件 (shared/standard.md §3): every route of every level, service years, breaks, and the rules' JSON."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from exam.services.eligibility_rules import (
    STANDARD_TRAINING_HOURS,
    Break,
    Check,
    Decision,
    EligibilityRulesError,
    LevelEligibility,
    Route,
    RouteResult,
    TraineeFacts,
    continuous_years,
    cumulative_years,
    decide_eligibility,
    default_rules,
    rules_from_json,
    rules_to_json,
)

TODAY = date(2026, 11, 22)
RULES = default_rules()


def facts(job_start: date | None = None, *, breaks: tuple[Break, ...] = (), hours: dict[str, int] | None = None,
          probation: bool = False, certs: tuple[str, ...] = ()) -> TraineeFacts:
    """Facts with certificates issued long ago (so they are held on TODAY)."""
    return TraineeFacts(job_start, breaks, hours or {}, probation, dict.fromkeys(certs, date(2015, 1, 1)))


def years_ago(n: int, days_later: int = 0) -> date:
    return date(TODAY.year - n, TODAY.month, TODAY.day + days_later)


def route_result(decision: Decision, name: str) -> RouteResult:
    (result,) = [r for r in decision.routes if r.route.name == name]
    return result


def single_route(level: str = "L3", **requirements: Any) -> LevelEligibility:
    return LevelEligibility(level, (Route("途径X", **requirements),))


# --- every route of every level ------------------------------------------------------------

ROUTE_CASES = [
    # level, route, facts, passes
    ("L4", "途径A", facts(hours={"L4": 40}), True),
    ("L4", "途径A", facts(hours={"L4": 39}), False),
    ("L4", "途径A", facts(hours={"L3": 64}), False),  # another level's training does not count
    ("L4", "途径B", facts(probation=True), True),
    ("L4", "途径B", facts(), False),
    ("L3", "途径A", facts(years_ago(1), certs=("L4",), hours={"L3": 48}), True),
    ("L3", "途径A", facts(years_ago(1), hours={"L3": 48}), False),  # no certificate
    ("L3", "途径A", facts(years_ago(1), certs=("L2",), hours={"L3": 48}), False),  # wrong certificate
    ("L3", "途径A", facts(years_ago(1, 1), certs=("L4",), hours={"L3": 48}), False),  # a day short
    ("L3", "途径A", facts(years_ago(1), certs=("L4",), hours={"L3": 47}), False),
    ("L3", "途径B", facts(years_ago(3)), True),
    ("L3", "途径B", facts(years_ago(3, 1)), False),
    ("L2", "途径A", facts(years_ago(2), certs=("L3",), hours={"L2": 56}), True),
    ("L2", "途径A", facts(years_ago(2), certs=("L4",), hours={"L2": 56}), False),
    ("L2", "途径A", facts(years_ago(2), certs=("L3",), hours={"L2": 55}), False),
    ("L2", "途径A", facts(years_ago(2, 1), certs=("L3",), hours={"L2": 56}), False),
    ("L2", "途径B", facts(years_ago(5), certs=("L3",)), True),
    ("L2", "途径B", facts(years_ago(5)), False),
    ("L2", "途径B", facts(years_ago(5, 1), certs=("L3",)), False),
    ("L1", "途径A", facts(years_ago(2), certs=("L2",), hours={"L1": 64}), True),
    ("L1", "途径A", facts(years_ago(2), certs=("L2",), hours={"L1": 63}), False),
    ("L1", "途径A", facts(years_ago(2), certs=("L3",), hours={"L1": 64}), False),
    ("L1", "途径B", facts(years_ago(8), certs=("L2",)), True),
    ("L1", "途径B", facts(years_ago(8, 1), certs=("L2",)), False),
    ("L1", "途径B", facts(years_ago(20), certs=("L3", "L4")), False),
]


@pytest.mark.parametrize(("level", "route", "trainee", "passes"), ROUTE_CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}-{'pass' if c[3] else 'fail'}" for i, c in enumerate(ROUTE_CASES)])
def test_route(level: str, route: str, trainee: TraineeFacts, passes: bool) -> None:
    result = route_result(decide_eligibility(trainee, RULES[level], TODAY), route)
    assert result.passed is passes, str(result)
    assert ("✗" not in str(result)) is passes


def test_the_table_passes_and_fails_every_default_route() -> None:
    routes = {(level, r.name) for level, rules in RULES.items() for r in rules.routes}
    assert {(c[0], c[1], c[3]) for c in ROUTE_CASES} == {(lv, name, ok) for lv, name in routes for ok in (True, False)}


def test_default_rules_follow_the_standard() -> None:
    assert list(RULES) == ["L4", "L3", "L2", "L1"]
    assert all(rules.level == code and len(rules.routes) == 2 for code, rules in RULES.items())
    for code, rules in RULES.items():
        assert [r.training_hours for r in rules.routes if r.requires_training] == [STANDARD_TRAINING_HOURS[code]]
    assert [r.requires_certificate for r in RULES["L2"].routes] == ["L3", "L3"]
    assert [(r.continuous_years, r.cumulative_years) for r in RULES["L1"].routes] == [(2, None), (None, 8)]


def test_eligible_when_any_route_passes_and_every_route_is_still_evaluated() -> None:
    decision = decide_eligibility(facts(years_ago(4), probation=True, hours={"L4": 40}), RULES["L4"], TODAY)
    assert decision.eligible and decision.summary == "符合途径A、途径B"
    decision = decide_eligibility(facts(years_ago(3)), RULES["L3"], TODAY)
    assert decision.eligible and decision.summary == "符合途径B"
    route_a = route_result(decision, "途径A")
    assert [c.ok for c in route_a.checks] == [False, True, False]  # A failed on its first check, yet all were run
    assert decision.reasons == [str(route_a), str(route_result(decision, "途径B"))]


def test_not_eligible_when_every_route_fails() -> None:
    decision = decide_eligibility(facts(years_ago(1)), RULES["L3"], TODAY)
    assert not decision.eligible and decision.summary == "不符合申报条件"
    assert len(decision.reasons) == 2


# --- service years -------------------------------------------------------------------------

@pytest.mark.parametrize(("job_start", "today", "years", "reached"), [
    (date(2025, 11, 22), date(2026, 11, 22), 1, True),
    (date(2025, 11, 22), date(2026, 11, 21), 1, False),
    (date(2024, 2, 29), date(2025, 2, 28), 1, True),  # no 29 Feb: the month's last day
    (date(2024, 2, 29), date(2025, 2, 27), 1, False),
    (date(2024, 2, 29), date(2028, 2, 29), 4, True),
    (date(2024, 2, 29), date(2028, 2, 28), 4, False),
    (date(2025, 3, 1), date(2025, 9, 1), 0.5, True),  # half a year = six calendar months
    (date(2025, 3, 1), date(2025, 8, 31), 0.5, False),
    (date(2025, 8, 31), date(2026, 2, 28), 0.5, True),
    (date(2025, 1, 1), date(2026, 5, 28), 1.4, True),  # not whole months: 512 days ≥ 1.4 × 365.25
    (date(2025, 1, 1), date(2026, 5, 27), 1.4, False),
])
def test_years_are_counted_on_calendar_dates(job_start: date, today: date, years: float, reached: bool) -> None:
    trainee = facts(job_start)
    for kind in ("continuous_years", "cumulative_years"):
        decision = decide_eligibility(trainee, single_route(**{kind: years}), today)
        assert decision.eligible is reached, (kind, decision.reasons)


def test_exactly_one_year_reads_as_one_year_and_the_day_before_does_not() -> None:
    on_the_day = decide_eligibility(facts(date(2025, 11, 22)), single_route(continuous_years=1), TODAY)
    assert on_the_day.reasons == ["途径X: 连续从事本职业 1.0 年 ✓"]
    day_before = decide_eligibility(facts(date(2025, 11, 23)), single_route(continuous_years=1), TODAY)
    assert day_before.reasons == ["途径X: 连续从事本职业 0.9 年 < 1 年 ✗"]
    short = decide_eligibility(facts(date(2025, 3, 1)), single_route(continuous_years=0.5), date(2025, 8, 31))
    assert short.reasons == ["途径X: 连续从事本职业 0.4 年 < 0.5 年 ✗"]


def test_years_without_breaks() -> None:
    trainee = facts(date(2025, 11, 22))
    assert continuous_years(trainee, TODAY) == cumulative_years(trainee, TODAY) == 365 / 365.25
    assert continuous_years(facts(date(2027, 1, 1)), TODAY) == cumulative_years(facts(date(2027, 1, 1)), TODAY) == 0


def test_a_break_resets_continuous_years_but_only_subtracts_from_cumulative() -> None:
    trainee = facts(date(2020, 1, 1), breaks=(Break(date(2025, 6, 1), date(2026, 6, 1)),),
                    certs=("L4",), hours={"L3": 48})
    assert continuous_years(trainee, TODAY) == (TODAY - date(2026, 6, 1)).days / 365.25
    assert cumulative_years(trainee, TODAY) == ((TODAY - date(2020, 1, 1)).days - 365) / 365.25
    decision = decide_eligibility(trainee, RULES["L3"], TODAY)
    assert not route_result(decision, "途径A").passed and route_result(decision, "途径B").passed
    assert "连续从事本职业 0.4 年 < 1 年 ✗" in decision.reasons[0]
    assert decision.reasons[1] == "途径B: 累计从事本职业 5.9 年 ✓"


def test_cumulative_years_reach_the_requirement_later_by_the_days_away() -> None:
    rules = single_route(cumulative_years=3)
    trainee = facts(date(2020, 1, 1), breaks=(Break(date(2021, 1, 1), date(2021, 1, 11)),))
    assert decide_eligibility(trainee, rules, date(2023, 1, 11)).eligible
    assert not decide_eligibility(trainee, rules, date(2023, 1, 10)).eligible


@pytest.mark.parametrize("breaks", [
    (Break(date(2021, 1, 1), date(2021, 7, 1)), Break(date(2021, 4, 1), date(2021, 10, 1))),
    (Break(date(2021, 4, 1), date(2021, 10, 1)), Break(date(2021, 1, 1), date(2021, 7, 1))),
    (Break(date(2021, 1, 1), date(2021, 10, 1)), Break(date(2021, 1, 1), date(2021, 10, 1))),
    (Break(date(2021, 1, 1), date(2021, 5, 1)), Break(date(2021, 5, 1), date(2021, 10, 1))),
    (Break(date(2021, 1, 1), date(2021, 10, 1)), Break(date(2021, 2, 1), date(2021, 3, 1))),
], ids=["overlapping", "unordered", "duplicate", "touching", "nested"])
def test_overlapping_breaks_are_counted_once(breaks: tuple[Break, ...]) -> None:
    trainee = facts(date(2020, 1, 1), breaks=breaks)
    away = (date(2021, 10, 1) - date(2021, 1, 1)).days
    assert cumulative_years(trainee, TODAY) == ((TODAY - date(2020, 1, 1)).days - away) / 365.25
    assert continuous_years(trainee, TODAY) == (TODAY - date(2021, 10, 1)).days / 365.25


def test_an_ongoing_break_counts_only_up_to_today() -> None:
    trainee = facts(date(2020, 1, 1), breaks=(Break(date(2026, 6, 1), date(2027, 6, 1)),))
    assert continuous_years(trainee, TODAY) == 0
    assert cumulative_years(trainee, TODAY) == (date(2026, 6, 1) - date(2020, 1, 1)).days / 365.25


def test_breaks_outside_the_service_are_clipped() -> None:
    before = Break(date(2018, 1, 1), date(2019, 1, 1))
    after = Break(date(2027, 1, 1), date(2027, 2, 1))
    assert cumulative_years(facts(date(2020, 1, 1), breaks=(before, after)), TODAY) == \
        cumulative_years(facts(date(2020, 1, 1)), TODAY)
    assert continuous_years(facts(date(2020, 1, 1), breaks=(before, after)), TODAY) == \
        (TODAY - date(2020, 1, 1)).days / 365.25
    straddling = facts(date(2020, 1, 1), breaks=(Break(date(2019, 6, 1), date(2020, 3, 1)),))
    assert continuous_years(straddling, TODAY) == (TODAY - date(2020, 3, 1)).days / 365.25
    assert cumulative_years(straddling, TODAY) == ((TODAY - date(2020, 1, 1)).days - 60) / 365.25


def test_a_break_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="应晚于开始日期"):
        Break(date(2021, 1, 1), date(2021, 1, 1))


def test_missing_job_start_fails_the_years_checks() -> None:
    trainee = facts(certs=("L4",), hours={"L3": 48})
    decision = decide_eligibility(trainee, RULES["L3"], TODAY)
    assert not decision.eligible
    assert decision.reasons == [
        "途径A: 持四级证书 ✓, 连续从事本职业 ≥ 1 年: 未登记上岗日期 ✗, 完成三级培训 48 学时 ✓",
        "途径B: 累计从事本职业 ≥ 3 年: 未登记上岗日期 ✗",
    ]
    with pytest.raises(ValueError, match="未登记上岗日期"):
        continuous_years(trainee, TODAY)
    with pytest.raises(ValueError, match="未登记上岗日期"):
        cumulative_years(trainee, TODAY)


# --- training and certificates -------------------------------------------------------------

@pytest.mark.parametrize(("hours", "ok", "label"), [
    (None, False, "完成三级培训 0 学时 < 48 学时 ✗"),
    (32, False, "完成三级培训 32 学时 < 48 学时 ✗"),
    (47, False, "完成三级培训 47 学时 < 48 学时 ✗"),
    (48, True, "完成三级培训 48 学时 ✓"),
    (49, True, "完成三级培训 49 学时 ✓"),
])
def test_training_hours_at_and_below_the_requirement(hours: int | None, ok: bool, label: str) -> None:
    trainee = facts(hours={"L3": hours} if hours is not None else {"L4": 99})
    (check,) = decide_eligibility(trainee, single_route(requires_training=True, training_hours=48), TODAY).routes[0].checks
    assert check.ok is ok and str(check) == label


@pytest.mark.parametrize(("held", "ok"), [(("L3",), True), (("L4",), False), (("L2",), False), ((), False),
                                          (("L4", "L2"), False)])
def test_only_a_certificate_of_the_required_level_counts(held: tuple[str, ...], ok: bool) -> None:
    decision = decide_eligibility(facts(certs=held), single_route("L2", requires_certificate="L3"), TODAY)
    assert decision.eligible is ok
    assert decision.reasons == [f"途径X: 持三级证书 {'✓' if ok else '✗'}"]


def test_a_certificate_issued_after_today_is_not_held() -> None:
    trainee = TraineeFacts(None, certificates={"L3": date(2026, 11, 23)})
    assert not decide_eligibility(trainee, single_route("L2", requires_certificate="L3"), TODAY).eligible
    trainee = TraineeFacts(None, certificates={"L3": TODAY})
    assert decide_eligibility(trainee, single_route("L2", requires_certificate="L3"), TODAY).eligible


# --- what the trainee reads ----------------------------------------------------------------

def test_reasons_of_a_failing_l3_route_a() -> None:
    trainee = facts(date(2026, 5, 22), certs=("L4",), hours={"L3": 48})
    decision = decide_eligibility(trainee, RULES["L3"], TODAY)
    reason_a, reason_b = decision.reasons
    assert reason_a.startswith("途径A: ")
    for part in ("持四级证书 ✓", "连续从事本职业 0.5 年 < 1 年 ✗", "完成三级培训 48 学时 ✓"):
        assert part in reason_a
    assert reason_a == "途径A: 持四级证书 ✓, 连续从事本职业 0.5 年 < 1 年 ✗, 完成三级培训 48 学时 ✓"
    assert reason_b == "途径B: 累计从事本职业 0.5 年 < 3 年 ✗"
    assert decision.summary == "不符合申报条件"


def test_reasons_of_l2_and_l4_routes() -> None:
    trainee = facts(date(2025, 6, 1), certs=("L3",), hours={"L2": 56}, probation=True)
    decision = decide_eligibility(trainee, RULES["L2"], TODAY)
    assert decision.reasons == ["途径A: 持三级证书 ✓, 连续从事本职业 1.4 年 < 2 年 ✗, 完成二级培训 56 学时 ✓",
                                "途径B: 持三级证书 ✓, 累计从事本职业 1.4 年 < 5 年 ✗"]
    decision = decide_eligibility(trainee, RULES["L4"], TODAY)
    assert decision.reasons == ["途径A: 完成四级培训 0 学时 < 40 学时 ✗", "途径B: 上岗实习考核合格 ✓"]
    assert decision.summary == "符合途径B"


def test_check_text() -> None:
    assert str(Check("持四级证书", True)) == Check("持四级证书", True).text == "持四级证书 ✓"
    assert str(Check("上岗实习考核合格", False)) == "上岗实习考核合格 ✗"


def test_a_route_without_requirements_never_passes() -> None:
    decision = decide_eligibility(facts(years_ago(30)), single_route(), TODAY)
    assert not decision.eligible and decision.summary == "不符合申报条件"


# --- rules as data -------------------------------------------------------------------------

def test_json_round_trip_of_the_defaults() -> None:
    data = rules_to_json(RULES)
    assert data["format"] == "vip-exam-eligibility" and data["version"] == 1
    assert rules_from_json(data) == RULES
    assert rules_from_json(json.loads(json.dumps(data, ensure_ascii=False))) == RULES


def test_json_round_trip_of_edited_rules() -> None:
    edited = dict(RULES)
    edited["L3"] = LevelEligibility("L3", (
        Route("途径A", requires_certificate="L4", continuous_years=0.5, requires_training=True, training_hours=30),
        Route("途径B", cumulative_years=2.5, probation=True),
        Route("途径C", requires_certificate="L4", cumulative_years=1.25),
    ))
    assert rules_from_json(json.loads(json.dumps(rules_to_json(edited)))) == edited
    assert rules_from_json(rules_to_json(edited)) != RULES


def test_training_hours_default_to_the_level_standard() -> None:
    data = rules_to_json(RULES)
    for routes in data["levels"].values():
        for route in routes:
            route.pop("training_hours")
    assert rules_from_json(data) == RULES


Mutation = Callable[[dict[str, Any]], None]


def _set(level: str, index: int, **fields: Any) -> Mutation:
    return lambda doc: doc["levels"][level][index].update(fields)


def _unknown_level(doc: dict[str, Any]) -> None:
    doc["levels"]["L5"] = copy.deepcopy(doc["levels"]["L4"])


def _duplicate_route(doc: dict[str, Any]) -> None:
    doc["levels"]["L2"][1]["name"] = "途径A"


BAD_RULES: list[tuple[str, Mutation, tuple[str, ...]]] = [
    ("wrong-format", lambda doc: doc.update(format="vip-exam-bank"), ("format",)),
    ("wrong-version", lambda doc: doc.update(version=2), ("版本 2",)),
    ("no-levels", lambda doc: doc.pop("levels"), ("levels",)),
    ("unknown-level", _unknown_level, ("未知等级 L5",)),
    ("missing-level", lambda doc: doc["levels"].pop("L1"), ("缺少一级(L1)",)),
    ("level-without-route", lambda doc: doc["levels"].update(L3=[]), ("三级(L3)", "至少要有一个申报途径")),
    ("route-not-object", lambda doc: doc["levels"]["L3"].append("途径C"), ("三级(L3) 第 3 个途径", "对象")),
    ("empty-name", _set("L3", 1, name=" "), ("三级(L3) 第 2 个途径", "name", "不能为空")),
    ("duplicate-name", _duplicate_route, ("二级(L2)", "途径名称重复 途径A")),
    ("unknown-field", _set("L3", 0, continous_years=1), ("三级(L3) 途径A", "未知字段 continous_years")),
    ("negative-continuous", _set("L3", 0, continuous_years=-1),
     ("三级(L3) 途径A", "continuous_years", "不能为负数")),
    ("negative-cumulative", _set("L1", 1, cumulative_years=-0.5),
     ("一级(L1) 途径B", "cumulative_years", "不能为负数")),
    ("years-as-text", _set("L2", 0, continuous_years="2"), ("二级(L2) 途径A", "continuous_years", "应为年数")),
    ("years-infinite", _set("L2", 1, cumulative_years=float("inf")), ("二级(L2) 途径B", "cumulative_years")),
    ("years-too-many", _set("L2", 1, cumulative_years=100), ("二级(L2) 途径B", "cumulative_years", "0–60")),
    ("hours-fraction", _set("L3", 0, training_hours=47.5), ("三级(L3) 途径A", "training_hours", "应为整数")),
    ("hours-text", _set("L4", 0, training_hours="40"), ("四级(L4) 途径A", "training_hours", "应为整数")),
    ("hours-bool", _set("L4", 0, training_hours=True), ("四级(L4) 途径A", "training_hours", "应为整数")),
    ("hours-zero", _set("L1", 0, training_hours=0), ("一级(L1) 途径A", "training_hours", "1–1000")),
    ("hours-without-training", _set("L3", 1, training_hours=10),
     ("三级(L3) 途径B", "training_hours", "requires_training")),
    ("flag-not-bool", _set("L4", 1, probation="yes"), ("四级(L4) 途径B", "probation", "true 或 false")),
    ("requires-nothing", _set("L3", 1, cumulative_years=None), ("三级(L3) 途径B", "没有任何条件")),
    ("certificate-same-level", _set("L3", 0, requires_certificate="L3"),
     ("三级(L3) 途径A", "requires_certificate", "不能要求持三级证书")),
    ("certificate-higher-level", _set("L3", 0, requires_certificate="L2"),
     ("三级(L3) 途径A", "requires_certificate", "不能要求持二级证书")),
    ("certificate-for-l4", _set("L4", 1, requires_certificate="L4"),
     ("四级(L4) 途径B", "requires_certificate", "不能要求持四级证书")),
    ("certificate-unknown", _set("L2", 1, requires_certificate="L9"),
     ("二级(L2) 途径B", "requires_certificate", "'L9'")),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in BAD_RULES], ids=[c[0] for c in BAD_RULES])
def test_bad_rules_are_refused_with_a_message_naming_the_place(mutate: Mutation, expected: tuple[str, ...]) -> None:
    data = copy.deepcopy(rules_to_json(RULES))
    mutate(data)
    with pytest.raises(EligibilityRulesError) as excinfo:
        rules_from_json(data)
    assert isinstance(excinfo.value, ValueError)
    for part in expected:
        assert part in str(excinfo.value)


@pytest.mark.parametrize("data", [None, [], "{}", {"format": "vip-exam-eligibility"}])
def test_not_rules_at_all(data: Any) -> None:
    with pytest.raises(EligibilityRulesError):
        rules_from_json(data)
