"""Stored item analysis: each sitting's figures, kept so pages are fast; each question's flags, which the bank
filters by and pools read; the trainer's clearing of a flag (audited).

A question's flags come from its latest analysis with enough responses to judge it (``min_responses``);
an analysis of older data never overwrites newer flags. What a trainer cleared stays cleared when the
same data is analysed again, and is judged afresh once attempts finished after the clearing are analysed.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, insert, or_, select
from sqlalchemy.orm import Session

from exam.models import (
    Attempt,
    AttemptState,
    ItemStatistic,
    Question,
    QuestionFlag,
    QuestionVersion,
    Sitting,
    SittingAnalysis,
    User,
    record_audit,
)
from exam.services.item_analysis import (
    Analysis,
    AnalysisSettings,
    Flag,
    Scope,
    analyse_scope,
    flag_names,
    item_json,
)


class FlagError(Exception):
    """A refused flag action; the message is for the user."""


def analyse_sitting(session: Session, sitting: Sitting, settings: AnalysisSettings, now: datetime,
                    actor_id: int | None) -> SittingAnalysis:
    """Compute the sitting's analysis from its graded certification attempts and store it (replacing an earlier
    one); the questions' flags follow. Flushes, never commits."""
    analysis = analyse_scope(session, Scope(sitting_id=sitting.id), settings)
    return store_analysis(session, sitting, analysis, now, actor_id)


def store_analysis(session: Session, sitting: Sitting, analysis: Analysis, now: datetime,
                   actor_id: int | None) -> SittingAnalysis:
    old = session.scalar(select(SittingAnalysis.id).where(SittingAnalysis.sitting_id == sitting.id))
    if old is not None:
        session.execute(delete(ItemStatistic).where(ItemStatistic.analysis_id == old))
        session.execute(delete(SittingAnalysis).where(SittingAnalysis.id == old))
        for obj in [o for o in session.identity_map.values() if isinstance(o, SittingAnalysis | ItemStatistic)]:
            session.expunge(obj)  # deleted in SQL: no stale copy stays in the session
    summary = analysis.to_json()
    summary.pop("items")
    row = SittingAnalysis(sitting_id=sitting.id, computed_at=now, computed_by_id=actor_id,
                          attempts=analysis.attempts, data_until=analysis.data_until, summary=summary)
    session.add(row)
    session.flush()
    if analysis.items:
        session.execute(insert(ItemStatistic), [
            {"analysis_id": row.id, "question_id": i.question_id, "question_version_id": i.version_id,
             "type": i.type, "points": i.points, "responses": i.responses, "p": i.p, "mean_score": i.mean_score,
             "sd": i.sd, "r_corrected": i.r_corrected, "d_index": i.d_index, "p_upper": i.p_upper,
             "p_lower": i.p_lower, "options": item_json(i)["options"] + [{"option": "", "label": "未作答",
                                                                          "key": False, "rate": round(i.unanswered, 4),
                                                                          "upper": None, "lower": None}]
             if i.options else [], "flags": i.flags} for i in analysis.items])
    _update_flags(session, sitting, analysis, now)
    record_audit(session, at=now, actor_id=actor_id, action="analysis.compute", entity=sitting,
                 attempts=analysis.attempts, items=len(analysis.items),
                 flagged=sum(1 for i in analysis.items if i.flags),
                 negative=sum(1 for i in analysis.items if i.flags & Flag.NEGATIVE))
    return row


def _update_flags(session: Session, sitting: Sitting, analysis: Analysis, now: datetime) -> None:
    judged: dict[int, Any] = {}
    for i in analysis.items:  # a question edited during the sitting: its most answered version speaks for it
        if i.responses >= analysis.settings.min_responses and (
                i.question_id not in judged or i.responses > judged[i.question_id].responses):
            judged[i.question_id] = i
    if not judged:
        return
    ids = sorted(judged)
    existing = {}
    for k in range(0, len(ids), 500):
        existing.update({f.question_id: f for f in session.scalars(
            select(QuestionFlag).where(QuestionFlag.question_id.in_(ids[k:k + 500])))})
    until = analysis.data_until
    for qid, item in judged.items():
        f = existing.get(qid)
        if f is None:
            f = QuestionFlag(question_id=qid, cleared_flags=0, cleared_reason="")
            session.add(f)
        elif (f.sitting_id != sitting.id and f.data_until is not None and until is not None
              and f.data_until > until):
            continue  # newer evidence already stands
        if f.cleared_at is not None and until is not None and until > f.cleared_at:
            f.cleared_flags = 0  # attempts finished after the clearing: judge afresh
        f.flags, f.question_version_id, f.sitting_id = item.flags, item.version_id, sitting.id
        f.data_until, f.updated_at = until, now
        f.open_flags = item.flags & ~f.cleared_flags
    session.flush()


def stored_report(session: Session, row: SittingAnalysis) -> dict[str, Any]:
    """A stored analysis in the shape of ``Analysis.to_json`` (the page, the .xlsx and the CLI)."""
    items = session.execute(
        select(ItemStatistic, Question.key, QuestionVersion.version, QuestionVersion.area_code)
        .join(Question, Question.id == ItemStatistic.question_id)
        .join(QuestionVersion, QuestionVersion.id == ItemStatistic.question_version_id)
        .where(ItemStatistic.analysis_id == row.id).order_by(Question.key, QuestionVersion.version)).all()
    out = dict(row.summary)
    out["items"] = [_item_dict(s, key, version, area) for s, key, version, area in items]
    out["computed_at"] = row.computed_at.isoformat()
    return out


def _item_dict(s: ItemStatistic, key: str, version: int, area: str) -> dict[str, Any]:
    options = [o for o in s.options if o["option"]]
    unanswered = next((o["rate"] for o in s.options if not o["option"]), 0.0)
    return {"question_id": s.question_id, "version_id": s.question_version_id, "key": key, "version": version,
            "type": s.type, "area": area, "points": s.points, "responses": s.responses, "p": _r(s.p),
            "mean_score": _r(s.mean_score), "sd": _r(s.sd), "r_corrected": _r(s.r_corrected),
            "d_index": _r(s.d_index), "p_upper": _r(s.p_upper), "p_lower": _r(s.p_lower), "options": options,
            "unanswered": unanswered, "flags": flag_names(s.flags)}


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def question_history(session: Session, question_id: int) -> list[dict[str, Any]]:
    """The question's figures in every analysed sitting, oldest sitting first."""
    rows = session.execute(
        select(ItemStatistic, QuestionVersion.version, QuestionVersion.area_code, Question.key, Sitting.id,
               Sitting.name, Sitting.starts_at)
        .join(SittingAnalysis, SittingAnalysis.id == ItemStatistic.analysis_id)
        .join(Sitting, Sitting.id == SittingAnalysis.sitting_id)
        .join(QuestionVersion, QuestionVersion.id == ItemStatistic.question_version_id)
        .join(Question, Question.id == ItemStatistic.question_id)
        .where(ItemStatistic.question_id == question_id).order_by(Sitting.starts_at, Sitting.id)).all()
    return [_item_dict(s, key, version, area) | {"sitting_id": sid, "sitting": name, "starts_at": starts}
            for s, version, area, key, sid, name, starts in rows]


def question_flag(session: Session, question_id: int) -> QuestionFlag | None:
    return session.get(QuestionFlag, question_id)


def flagged_question_ids(session: Session, mask: int = Flag.NEGATIVE) -> set[int]:
    """Questions whose open (not cleared) flags include any of ``mask``."""
    return set(session.scalars(select(QuestionFlag.question_id).where(QuestionFlag.open_flags.op("&")(int(mask)) != 0)))


def open_flags(session: Session, question_ids: Iterable[int]) -> dict[int, list[str]]:
    """The open flags' names of the given questions (those without any left out)."""
    ids = sorted(set(question_ids))
    return {qid: flag_names(bits) for qid, bits in session.execute(
        select(QuestionFlag.question_id, QuestionFlag.open_flags)
        .where(QuestionFlag.question_id.in_(ids), QuestionFlag.open_flags != 0))} if ids else {}


def clear_flags(session: Session, question: Question, reason: str, actor: User, now: datetime) -> list[str]:
    """A trainer has reviewed the question: its open flags are cleared (pools may use it again); audited."""
    reason = reason.strip()
    if not reason:
        raise FlagError("请填写处理说明 (例如: 已核对答案, 题目无误; 或: 已修改题干)。")
    if len(reason) > 500:
        raise FlagError("处理说明不能超过 500 字。")
    f = session.get(QuestionFlag, question.id)
    if f is None or not f.open_flags:
        raise FlagError(f"题目 {question.key} 没有待处理的统计标记。")
    cleared = flag_names(f.open_flags)
    f.cleared_flags |= f.open_flags
    f.open_flags = 0
    f.cleared_at, f.cleared_by_id, f.cleared_reason = now, actor.id, reason
    session.flush()
    record_audit(session, at=now, actor_id=actor.id, action="question.flags_clear", entity=question,
                 flags=cleared, reason=reason, sitting_id=f.sitting_id)
    return cleared


#: the sweep looks at sittings whose window closed this recently (older ones were analysed back then)
SWEEP_DAYS = 30


def sittings_ready(session: Session, now: datetime, limit: int = 5) -> list[int]:
    """Sittings whose window closed (within ``SWEEP_DAYS``), whose every attempt is graded (marking done) and
    that have no analysis, or one computed before the window closed or before an attempt was graded."""
    unfinished = exists().where(Attempt.sitting_id == Sitting.id, Attempt.state != AttemptState.GRADED)
    stored = select(SittingAnalysis.computed_at).where(SittingAnalysis.sitting_id == Sitting.id) \
        .correlate(Sitting).scalar_subquery()
    graded_since = exists().where(Attempt.sitting_id == Sitting.id, Attempt.graded_at > stored)
    return list(session.scalars(
        select(Sitting.id).where(Sitting.ends_at <= now, Sitting.ends_at > now - timedelta(days=SWEEP_DAYS),
                                 ~unfinished, or_(stored.is_(None), stored < Sitting.ends_at, graded_since))
        .order_by(Sitting.ends_at).limit(limit)))


def analyse_closed_sittings(session: Session, settings: AnalysisSettings, now: datetime,
                            ids: Iterable[int] | None = None) -> int:
    """The background sweep's part: analyse the sittings that are ready; the caller commits."""
    done = 0
    for sitting_id in (sittings_ready(session, now) if ids is None else ids):
        sitting = session.get(Sitting, sitting_id)
        if sitting is not None:
            analyse_sitting(session, sitting, settings, now, actor_id=None)
            done += 1
    return done
