"""Who may sit which level now: the recorded facts, the level's routes (data), overrides.

The decision itself is the pure ``eligibility_rules.decide_eligibility``; this module reads the
facts HR recorded, the routes an administrator set per level (the standard's defaults where none
are set), the certificates held, and an administrator's override for one trainee and level.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import (
    Certificate,
    CertificateStatus,
    EligibilityOverride,
    Level,
    ServiceBreak,
    TrainingRecord,
    User,
    record_audit,
)
from exam.services.eligibility_rules import (
    Break,
    Decision,
    LevelEligibility,
    TraineeFacts,
    decide_eligibility,
    default_rules,
    rules_from_json,
    rules_to_json,
)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    #: one line: which route passes, the override, or why not
    reason: str
    #: per route, every check with ✓ / ✗
    reasons: list[str] = field(default_factory=list)
    override: str = ""
    #: the verdict alone, without the per-route details
    summary: str = ""


def routes_by_level(levels: list[Level]) -> dict[str, LevelEligibility]:
    """Each level's routes: what the administrator saved, the standard's defaults otherwise."""
    return _parsed_routes(_saved_routes((lv.code, lv.eligibility_routes) for lv in levels))


def current_routes(session: Session) -> dict[str, LevelEligibility]:
    """``routes_by_level`` of every level, reading only the saved routes (every trainee's start reads them)."""
    return _parsed_routes(_saved_routes(session.execute(select(Level.code, Level.eligibility_routes))))


def _saved_routes(rows: Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((code, json.dumps(saved.get("routes") or None, sort_keys=True, ensure_ascii=False))
                        for code, saved in rows))


@functools.lru_cache(maxsize=16)
def _parsed_routes(saved: tuple[tuple[str, str], ...]) -> dict[str, LevelEligibility]:
    """Parsed once per distinct set of saved routes (the result is immutable)."""
    doc = rules_to_json(default_rules())
    for code, text in saved:
        routes = json.loads(text)
        if routes:
            doc["levels"][code] = routes
    return rules_from_json(doc)


def save_level_routes(session: Session, level: Level, routes: list[dict[str, Any]] | None, *, actor_id: int,
                      now: datetime) -> LevelEligibility:
    """An administrator's routes for ``level`` (``None``: back to the standard's defaults).

    The routes are checked together with every other level's current routes (``rules_from_json``),
    so an error names the level, the route and the field, and nothing is changed; on success the
    normalised routes are stored and the change is audited with before and after. Flushes, never commits.
    """
    levels = list(session.scalars(select(Level)))
    doc = rules_to_json(routes_by_level(levels))
    before = doc["levels"][level.code]
    doc["levels"][level.code] = rules_to_json(default_rules())["levels"][level.code] if routes is None else routes
    rules = rules_from_json(doc)  # raises EligibilityRulesError naming the level, the route and the field
    after = rules_to_json(rules)["levels"][level.code]
    level.eligibility_routes = {} if routes is None else {"routes": after}
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="eligibility.rules", entity=level, level=level.code,
                 defaults=routes is None, before=before, after=after)
    return rules[level.code]


def trainee_facts(session: Session, user: User, today: date) -> TraineeFacts:
    return facts_of_many(session, [user], today)[user.id]


def facts_of_many(session: Session, users: list[User], today: date) -> dict[int, TraineeFacts]:
    """Each user's facts in three queries per 500 users (enrolling a whole province at quarter end)."""
    breaks: dict[int, list[Break]] = {u.id: [] for u in users}
    training: dict[int, dict[str, int]] = {u.id: {} for u in users}
    certs: dict[int, dict[str, date]] = {u.id: {} for u in users}
    ids = list(breaks)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for b in session.scalars(select(ServiceBreak).where(ServiceBreak.user_id.in_(chunk))
                                 .order_by(ServiceBreak.start_on)):
            breaks[b.user_id].append(Break(b.start_on, b.end_on))
        for uid, code, hours in session.execute(
                select(TrainingRecord.user_id, Level.code, TrainingRecord.hours)
                .join(Level, TrainingRecord.level_id == Level.id).where(TrainingRecord.user_id.in_(chunk))):
            training[uid][code] = hours
        for uid, code, issued_on in session.execute(
                select(Certificate.user_id, Level.code, Certificate.issued_on)
                .join(Level, Certificate.level_id == Level.id)
                .where(Certificate.user_id.in_(chunk), Certificate.having_status(CertificateStatus.VALID, today))):
            held = certs[uid]
            held[code] = min(held.get(code, issued_on), issued_on)
    return {u.id: TraineeFacts(job_start=u.job_start_date, breaks=tuple(breaks[u.id]), training_hours=training[u.id],
                               probation_passed=u.probation_passed_on is not None, certificates=certs[u.id])
            for u in users}


def decide(facts: TraineeFacts, level: Level, rules: LevelEligibility, today: date,
           override: EligibilityOverride | None = None) -> Eligibility:
    decision: Decision = decide_eligibility(facts, rules, today)
    reasons = decision.reasons
    if override is not None:
        verdict = "准予报考" if override.eligible else "不准报考"
        text = f"管理员决定{verdict}: {override.reason}"
        return Eligibility(override.eligible, text, reasons, override=override.reason, summary=text)
    if level.code in facts.certificates:
        return Eligibility(False, "已持有本等级有效证书", reasons, summary="已持有本等级有效证书")
    return Eligibility(decision.eligible, decision.summary + ("" if decision.eligible else ": " + "; ".join(reasons)),
                       reasons, summary=decision.summary)


def eligibility_by_level(session: Session, user: User, levels: list[Level], today: date) -> dict[int, Eligibility]:
    facts = trainee_facts(session, user, today)
    rules = current_routes(session)
    overrides = {o.level_id: o for o in session.scalars(
        select(EligibilityOverride).where(EligibilityOverride.user_id == user.id))}
    return {lv.id: decide(facts, lv, rules[lv.code], today, overrides.get(lv.id)) for lv in levels}


def eligibility_of_many(session: Session, users: list[User], level: Level, today: date) -> dict[int, Eligibility]:
    """``level``'s decision for each of ``users``, reading the facts in bulk."""
    facts = facts_of_many(session, users, today)
    rules = current_routes(session)[level.code]
    overrides: dict[int, EligibilityOverride] = {}
    ids = [u.id for u in users]
    for i in range(0, len(ids), 500):
        overrides.update((o.user_id, o) for o in session.scalars(select(EligibilityOverride).where(
            EligibilityOverride.level_id == level.id, EligibilityOverride.user_id.in_(ids[i:i + 500]))))
    return {u.id: decide(facts[u.id], level, rules, today, overrides.get(u.id)) for u in users}


def set_override(session: Session, user: User, level: Level, *, eligible: bool | None, reason: str, actor_id: int,
                 now: datetime) -> None:
    """An administrator's decision for one trainee and level (``eligible=None`` removes it); a written
    reason is required; audited with before and after."""
    reason = reason.strip()
    if not reason:
        raise ValueError("请写明理由")
    current = session.scalars(select(EligibilityOverride).where(
        EligibilityOverride.user_id == user.id, EligibilityOverride.level_id == level.id)).one_or_none()
    before = None if current is None else {"eligible": current.eligible, "reason": current.reason}
    if eligible is None:
        if current is not None:
            session.delete(current)
    elif current is None:
        session.add(EligibilityOverride(user_id=user.id, level_id=level.id, eligible=eligible, reason=reason,
                                        decided_by_id=actor_id, decided_at=now))
    else:
        current.eligible, current.reason, current.decided_by_id, current.decided_at = eligible, reason, actor_id, now
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="eligibility.override", entity=user, level=level.code,
                 before=before, after=None if eligible is None else {"eligible": eligible}, reason=reason)
