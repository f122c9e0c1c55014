"""Test helpers that know the keys (the trainee's browser never does)."""
from __future__ import annotations

from typing import Any

from exam.models import PaperItem
from exam.services.qtypes import REGISTRY
from question_bank import QuestionType as T


def correct_display_response(item: PaperItem) -> Any:
    v, qt = item.question_version, REGISTRY[item.type]
    if item.type is T.TRUE_FALSE:
        return v.answer
    if item.type is T.SINGLE:
        return qt.display(v.answer[0], item.option_order)
    if item.type is T.MULTIPLE:
        return qt.display(v.answer, item.option_order)
    if item.type is T.FILL_BLANK:
        return [alts[0] for alts in v.answer]
    return "（1）核实客户身份（2）了解原因（3）提出方案"


def answer_all(client, attempt, *, correct: bool = True, seq: int = 1, only=None) -> Any:
    changes = []
    for item in attempt.items:
        if only is not None and item.position not in only:
            continue
        response = correct_display_response(item) if correct else None
        changes.append({"item": item.position, "response": response, "flagged": False, "seq": seq})
    return client.post(f"/trainee/attempts/{attempt.id}/answers", json={"answers": changes})
