"""申报条件 (shared/standard.md §3) as data, and a pure decision that explains every route.

Framework-free: no Flask, no SQLAlchemy, no clock. The caller gathers the recorded facts
(:class:`TraineeFacts`), loads the administrator's rules (:func:`rules_from_json`, or
:func:`default_rules`) and passes ``today`` in.

Service years are decided on calendar dates, never on rounded floats: "at least N years"
holds from the N-th anniversary on (so 2025-11-22 → 2026-11-22 is exactly one year). A start
on 29 Feb has its anniversary on 28 Feb in common years (the month-end rule of 民法典 §203).
Requirements that are not whole months (e.g. 1.3 years) fall back to days / 365.25. The float
years (days / 365.25) are only for display, with one decimal.
"""
from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from question_bank.areas import LEVEL_NAMES
from question_bank.records import LEVEL_CODES

FORMAT_NAME = "vip-exam-eligibility"
FORMAT_VERSION = 1
DAYS_PER_YEAR = 365.25
MAX_YEARS = 60
MAX_TRAINING_HOURS = 1000
#: 培训期限 (standard.md §2, default 标准学时): the minimum a route asks for unless told otherwise
STANDARD_TRAINING_HOURS: dict[str, int] = {"L4": 40, "L3": 48, "L2": 56, "L1": 64}


class EligibilityRulesError(ValueError):
    """Rules that cannot be saved; the message names the level, the route and the field."""


# --- facts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """A break in service: ``start`` is the first day away, ``end`` the first day back (``[start, end)``)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"中断结束日期 {self.end} 应晚于开始日期 {self.start}")


@dataclass(frozen=True)
class TraineeFacts:
    """What the platform has recorded about one trainee, as plain values."""

    #: 本职业上岗日期; None when never recorded
    job_start: date | None
    breaks: tuple[Break, ...] = ()
    #: level code → 标准学时 completed in that level's training
    training_hours: Mapping[str, int] = field(default_factory=dict)
    #: 上岗实习考核合格
    probation_passed: bool = False
    #: level code → issue date of a currently valid certificate at that level
    certificates: Mapping[str, date] = field(default_factory=dict)


# --- service years -------------------------------------------------------------------------


def _breaks_in_service(facts: TraineeFacts, job_start: date, today: date) -> list[tuple[date, date]]:
    """Breaks clipped to ``[job_start, today)``, sorted, overlapping or touching ones merged."""
    clipped = sorted((max(b.start, job_start), min(b.end, today)) for b in facts.breaks)
    merged: list[tuple[date, date]] = []
    for start, end in clipped:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _job_start(facts: TraineeFacts) -> date:
    if facts.job_start is None:
        raise ValueError("未登记上岗日期")
    return facts.job_start


def _continuous_since(facts: TraineeFacts, today: date) -> date:
    """The day continuous service began: the end of the last break, else the job start."""
    job_start = _job_start(facts)
    merged = _breaks_in_service(facts, job_start, today)
    return merged[-1][1] if merged else job_start


def _cumulative_until(facts: TraineeFacts, today: date) -> date:
    """``job_start`` plus the days actually served: the day the trainee would be at had there been no break."""
    job_start = _job_start(facts)
    if today <= job_start:
        return today
    away = sum((end - start).days for start, end in _breaks_in_service(facts, job_start, today))
    return today - timedelta(days=away)


def continuous_years(facts: TraineeFacts, today: date) -> float:
    """Years since the last break in service ended (or since the job start); for display. Raises without a job start."""
    return max(0, (today - _continuous_since(facts, today)).days) / DAYS_PER_YEAR


def cumulative_years(facts: TraineeFacts, today: date) -> float:
    """Years served since the job start minus the breaks; for display. Raises without a job start."""
    job_start = _job_start(facts)
    return max(0, (_cumulative_until(facts, today) - job_start).days) / DAYS_PER_YEAR


def _add_months(d: date, months: int) -> date:
    year, month0 = divmod(d.month - 1 + months, 12)
    year += d.year
    return date(year, month0 + 1, min(d.day, calendar.monthrange(year, month0 + 1)[1]))


def _at_least(start: date, end: date, years: float) -> bool:
    """Whether ``[start, end)`` lasts at least ``years``: by anniversary when whole months, else by days."""
    months = years * 12
    if abs(months - round(months)) < 1e-9:
        return end >= _add_months(start, round(months))
    return (end - start).days >= years * DAYS_PER_YEAR


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One way to qualify for a level; every requirement that is set must hold."""

    name: str
    #: level code of a certificate that must be held (lower than the level applied for)
    requires_certificate: str | None = None
    continuous_years: float | None = None
    cumulative_years: float | None = None
    #: completed this level's training with at least ``training_hours`` 标准学时
    requires_training: bool = False
    training_hours: int = 0
    #: 上岗实习考核合格
    probation: bool = False


@dataclass(frozen=True)
class LevelEligibility:
    """The routes to one level: a trainee is eligible if any route passes."""

    level: str
    routes: tuple[Route, ...]


def default_rules() -> dict[str, LevelEligibility]:
    """The defaults of standard.md §3 (year counts and L2/L1 rows are defaults an administrator may edit)."""
    h = STANDARD_TRAINING_HOURS
    return {
        "L4": LevelEligibility("L4", (
            Route("途径A", requires_training=True, training_hours=h["L4"]),
            Route("途径B", probation=True),
        )),
        "L3": LevelEligibility("L3", (
            Route("途径A", requires_certificate="L4", continuous_years=1, requires_training=True, training_hours=h["L3"]),
            Route("途径B", cumulative_years=3),
        )),
        "L2": LevelEligibility("L2", (
            Route("途径A", requires_certificate="L3", continuous_years=2, requires_training=True, training_hours=h["L2"]),
            Route("途径B", requires_certificate="L3", cumulative_years=5),
        )),
        "L1": LevelEligibility("L1", (
            Route("途径A", requires_certificate="L2", continuous_years=2, requires_training=True, training_hours=h["L1"]),
            Route("途径B", requires_certificate="L2", cumulative_years=8),
        )),
    }


_ROUTE_FIELDS: dict[str, str] = {
    "name": "名称",
    "requires_certificate": "需持证书",
    "continuous_years": "连续从事本职业年限",
    "cumulative_years": "累计从事本职业年限",
    "requires_training": "需完成本级培训",
    "training_hours": "培训学时",
    "probation": "需上岗实习考核合格",
}


def rules_to_json(rules: Mapping[str, LevelEligibility]) -> dict[str, Any]:
    """Plain, versioned JSON-ready data; ``rules_from_json(rules_to_json(r)) == r``."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "levels": {
            code: [
                {
                    "name": r.name, "requires_certificate": r.requires_certificate,
                    "continuous_years": r.continuous_years, "cumulative_years": r.cumulative_years,
                    "requires_training": r.requires_training, "training_hours": r.training_hours,
                    "probation": r.probation,
                }
                for r in rules[code].routes
            ]
            for code in LEVEL_CODES if code in rules
        },
    }


def _level_label(code: str) -> str:
    return f"{LEVEL_NAMES[code]}({code})"


def _years_field(value: Any, where: str, key: str) -> float | None:
    if value is None:
        return None
    label = f"{where} {_ROUTE_FIELDS[key]} ({key})"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EligibilityRulesError(f"{label} 应为年数, 现在是 {value!r}")
    if value < 0:
        raise EligibilityRulesError(f"{label} 不能为负数, 现在是 {value:g}")
    if value > MAX_YEARS:
        raise EligibilityRulesError(f"{label} 应在 0–{MAX_YEARS} 年之间, 现在是 {value:g}")
    return value


def _bool_field(d: Mapping[str, Any], where: str, key: str) -> bool:
    value = d.get(key, False)
    if not isinstance(value, bool):
        raise EligibilityRulesError(f"{where} {_ROUTE_FIELDS[key]} ({key}) 应为 true 或 false, 现在是 {value!r}")
    return value


def _route_from_json(level: str, index: int, d: Any) -> Route:
    where = f"{_level_label(level)} 第 {index + 1} 个途径"
    if not isinstance(d, dict):
        raise EligibilityRulesError(f"{where}: 应为一个对象")
    name = d.get("name")
    if not isinstance(name, str) or not name.strip():
        raise EligibilityRulesError(f"{where} 名称 (name) 不能为空")
    where = f"{_level_label(level)} {name}"
    if unknown := sorted(set(d) - set(_ROUTE_FIELDS)):
        raise EligibilityRulesError(f"{where}: 未知字段 {', '.join(unknown)}")

    cert = d.get("requires_certificate")
    if cert is not None:
        if cert not in LEVEL_CODES:
            raise EligibilityRulesError(f"{where} 需持证书 (requires_certificate) 应为 L4/L3/L2/L1, 现在是 {cert!r}")
        if int(cert[1]) <= int(level[1]):
            raise EligibilityRulesError(
                f"{where} 需持证书 (requires_certificate): 申报{LEVEL_NAMES[level]}不能要求持{LEVEL_NAMES[cert]}证书, "
                "只能要求更低等级的证书")

    requires_training = _bool_field(d, where, "requires_training")
    hours = d.get("training_hours", STANDARD_TRAINING_HOURS[level] if requires_training else 0)
    if isinstance(hours, bool) or not isinstance(hours, int):
        raise EligibilityRulesError(f"{where} 培训学时 (training_hours) 应为整数, 现在是 {hours!r}")
    if requires_training and not 1 <= hours <= MAX_TRAINING_HOURS:
        raise EligibilityRulesError(
            f"{where} 培训学时 (training_hours) 应在 1–{MAX_TRAINING_HOURS} 之间, 现在是 {hours}")
    if not requires_training and hours:
        raise EligibilityRulesError(
            f"{where} 培训学时 (training_hours): 未要求完成培训 (requires_training) 时应为 0, 现在是 {hours}")

    route = Route(
        name=name.strip(), requires_certificate=cert,
        continuous_years=_years_field(d.get("continuous_years"), where, "continuous_years"),
        cumulative_years=_years_field(d.get("cumulative_years"), where, "cumulative_years"),
        requires_training=requires_training, training_hours=hours,
        probation=_bool_field(d, where, "probation"),
    )
    if (route.requires_certificate is None and route.continuous_years is None and route.cumulative_years is None
            and not route.requires_training and not route.probation):
        raise EligibilityRulesError(f"{where}: 没有任何条件, 至少要求一项 (证书、年限、培训或实习考核)")
    return route


def rules_from_json(data: Any) -> dict[str, LevelEligibility]:
    """Read rules written by :func:`rules_to_json`; every level must be present with at least one route."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise EligibilityRulesError(f"不是申报条件数据 (format 应为 {FORMAT_NAME!r})")
    if data.get("version") != FORMAT_VERSION:
        raise EligibilityRulesError(f"不支持的申报条件格式版本 {data.get('version')!r} (支持 {FORMAT_VERSION})")
    levels = data.get("levels")
    if not isinstance(levels, dict):
        raise EligibilityRulesError("缺少 levels (每个等级的申报途径)")
    if unknown := [code for code in levels if code not in LEVEL_CODES]:
        raise EligibilityRulesError(f"未知等级 {', '.join(map(str, unknown))} (可用 {'、'.join(LEVEL_CODES)})")
    rules: dict[str, LevelEligibility] = {}
    for code in LEVEL_CODES:
        if code not in levels:
            raise EligibilityRulesError(f"缺少{_level_label(code)}的申报条件")
        raw = levels[code]
        if not isinstance(raw, list) or not raw:
            raise EligibilityRulesError(f"{_level_label(code)}: 至少要有一个申报途径")
        routes = tuple(_route_from_json(code, i, d) for i, d in enumerate(raw))
        names = [r.name for r in routes]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise EligibilityRulesError(f"{_level_label(code)}: 途径名称重复 {', '.join(dupes)}")
        rules[code] = LevelEligibility(code, routes)
    return rules


# --- decision ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One requirement of a route as the trainee reads it, e.g. ``持四级证书 ✓``."""

    label: str
    ok: bool

    @property
    def text(self) -> str:
        return f"{self.label} {'✓' if self.ok else '✗'}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class RouteResult:
    """A route with every one of its checks; a route with no check never passes (fail closed)."""

    route: Route
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def __str__(self) -> str:
        return f"{self.route.name}: {', '.join(map(str, self.checks))}"


@dataclass(frozen=True)
class Decision:
    """Whether a trainee may apply for ``level``, with the verdict of every route."""

    level: str
    eligible: bool
    routes: tuple[RouteResult, ...]

    @property
    def reasons(self) -> list[str]:
        return [str(r) for r in self.routes]

    @property
    def summary(self) -> str:
        passed = [r.route.name for r in self.routes if r.passed]
        return f"符合{'、'.join(passed)}" if passed else "不符合申报条件"


def _show_years(years: float, ok: bool, required: float) -> str:
    """One decimal; when short, truncated and kept below the requirement, so 364 days never reads "1.0 年 < 1 年"."""
    if ok:
        return f"{years:.1f}"
    below = math.ceil(required * 10 - 1e-9) - 1
    return f"{max(0, min(math.floor(years * 10 + 1e-9), below)) / 10:.1f}"


def _years_check(facts: TraineeFacts, today: date, kind: str, required: float) -> Check:
    what = "连续从事本职业" if kind == "continuous" else "累计从事本职业"
    if facts.job_start is None:
        return Check(f"{what} ≥ {required:g} 年: 未登记上岗日期", False)
    if kind == "continuous":
        ok = _at_least(_continuous_since(facts, today), today, required)
        years = continuous_years(facts, today)
    else:
        ok = _at_least(facts.job_start, _cumulative_until(facts, today), required)
        years = cumulative_years(facts, today)
    shown = _show_years(years, ok, required)
    return Check(f"{what} {shown} 年" if ok else f"{what} {shown} 年 < {required:g} 年", ok)


def _route_checks(facts: TraineeFacts, level: str, route: Route, today: date) -> tuple[Check, ...]:
    checks: list[Check] = []
    if (cert := route.requires_certificate) is not None:
        issued = facts.certificates.get(cert)
        checks.append(Check(f"持{LEVEL_NAMES[cert]}证书", issued is not None and issued <= today))
    if route.continuous_years is not None:
        checks.append(_years_check(facts, today, "continuous", route.continuous_years))
    if route.cumulative_years is not None:
        checks.append(_years_check(facts, today, "cumulative", route.cumulative_years))
    if route.requires_training:
        done, need = facts.training_hours.get(level, 0), route.training_hours
        label = f"完成{LEVEL_NAMES[level]}培训 {done} 学时"
        checks.append(Check(label, True) if done >= need else Check(f"{label} < {need} 学时", False))
    if route.probation:
        checks.append(Check("上岗实习考核合格", facts.probation_passed))
    return tuple(checks)


def decide_eligibility(facts: TraineeFacts, rules: LevelEligibility, today: date) -> Decision:
    """Evaluate every route of ``rules`` (no short-circuit) so the trainee sees why each passes or fails."""
    results = tuple(RouteResult(r, _route_checks(facts, rules.level, r, today)) for r in rules.routes)
    return Decision(rules.level, any(r.passed for r in results), results)
