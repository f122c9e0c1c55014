"""Who may sit which level now (first version: L4 for every trainee, higher levels need the one below)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import Certificate, CertificateStatus, Level, User


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str


def decide_first_version(level_rank: int, held_valid_ranks: set[int]) -> Eligibility:
    """Pure rule: ranks are 4 (L4) … 1 (L1); a trainee may sit rank r if they hold rank r+1."""
    if level_rank in held_valid_ranks:
        return Eligibility(False, "已持有本等级有效证书")
    if level_rank == 4:
        return Eligibility(True, "四级面向所有学员开放")
    if level_rank + 1 in held_valid_ranks:
        return Eligibility(True, "已持有下一级有效证书")
    return Eligibility(False, "需先取得下一级的有效证书")


def eligibility_by_level(session: Session, user: User, levels: list[Level], today: date) -> dict[int, Eligibility]:
    certs = session.scalars(select(Certificate).where(Certificate.user_id == user.id)).all()
    held = {c.level.rank for c in certs if c.status_on(today) is CertificateStatus.VALID}
    return {lv.id: decide_first_version(lv.rank, held) for lv in levels}
