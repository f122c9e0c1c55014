"""Who may sit which level now: the recorded facts, the level's routes (data), overrides.

The decision itself is the pure ``eligibility_rules.decide_eligibility``; this module reads the
facts HR recorded, the routes an administrator set per level (the standard's defaults where none
are set), the certificates held, and an administrator's override for one trainee and level.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

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
    doc = rules_to_json(default_rules())
    for lv in levels:
        if lv.eligibility_routes.get("routes"):
            doc["levels"][lv.code] = lv.eligibility_routes["routes"]
    return rules_from_json(doc)


def trainee_facts(session: Session, user: User, today: date) -> TraineeFacts:
    breaks = tuple(Break(b.start_on, b.end_on) for b in session.scalars(
        select(ServiceBreak).where(ServiceBreak.user_id == user.id).order_by(ServiceBreak.start_on)))
    training = dict(session.execute(select(Level.code, TrainingRecord.hours).join(
        Level, TrainingRecord.level_id == Level.id).where(TrainingRecord.user_id == user.id)).all())
    certs: dict[str, date] = {}
    for code, c in session.execute(select(Level.code, Certificate).join(Level, Certificate.level_id == Level.id)
                                   .where(Certificate.user_id == user.id)):
        if c.status_on(today) is CertificateStatus.VALID:
            certs[code] = min(certs.get(code, c.issued_on), c.issued_on)
    return TraineeFacts(job_start=user.job_start_date, breaks=breaks, training_hours=training,
                        probation_passed=user.probation_passed_on is not None, certificates=certs)


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
    rules = routes_by_level(list(session.scalars(select(Level))))
    overrides = {o.level_id: o for o in session.scalars(
        select(EligibilityOverride).where(EligibilityOverride.user_id == user.id))}
    return {lv.id: decide(facts, lv, rules[lv.code], today, overrides.get(lv.id)) for lv in levels}


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
