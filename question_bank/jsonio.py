"""The versioned JSON bank format: ``load(dump(x)) == x``; unknown formats and versions are refused."""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from question_bank.records import BankError, Difficulty, QuestionRecord, QuestionType, QuestionUse

FORMAT_NAME = "vip-exam-bank"
FORMAT_VERSION = 1


def record_to_dict(q: QuestionRecord) -> dict[str, Any]:
    answer: Any = q.answer
    if isinstance(answer, tuple):
        answer = [list(b) if isinstance(b, tuple) else b for b in answer]
    d: dict[str, Any] = {
        "key": q.key,
        "type": q.type.value,
        "area": q.area,
        "difficulty": q.difficulty.value,
        "levels": list(q.levels),
    }
    if q.use is not None:
        d["use"] = q.use.value
    d["stem"] = q.stem
    if q.options:
        d["options"] = list(q.options)
    d["answer"] = answer
    d["explanation"] = q.explanation
    if q.tags:
        d["tags"] = list(q.tags)
    if q.enemy_group is not None:
        d["enemy_group"] = q.enemy_group
    return d


def record_from_dict(d: dict[str, Any], where: str) -> QuestionRecord:
    """Build one record; ``where`` names the place in the file for error messages."""
    if not isinstance(d, dict):
        raise BankError(f"{where}: 应为一个对象")
    unknown = set(d) - {"key", "type", "area", "difficulty", "levels", "use", "stem", "options", "answer", "explanation",
                        "tags", "enemy_group"}
    if unknown:
        raise BankError(f"{where}: 未知字段 {sorted(unknown)}")
    try:
        qtype = QuestionType(d.get("type"))
    except ValueError:
        raise BankError(f"{where}: 题型 {d.get('type')!r} 不存在") from None
    try:
        difficulty = Difficulty(d.get("difficulty"))
    except ValueError:
        raise BankError(f"{where}: 难度 {d.get('difficulty')!r} 应为 easy/medium/hard") from None
    use = _use_from(d.get("use"), where)
    raw = d.get("answer")
    answer: Any = raw
    if qtype.is_choice and isinstance(raw, list):
        answer = tuple(_strings(raw, "answer", where))
    elif qtype is QuestionType.FILL_BLANK and isinstance(raw, list):
        answer = tuple(tuple(_strings(b, f"answer 第 {i + 1} 空", where)) if isinstance(b, list)
                       else _text(b, f"answer 第 {i + 1} 空", where) for i, b in enumerate(raw))
    elif qtype is QuestionType.TRUE_FALSE and not isinstance(raw, bool):
        raise BankError(f"{where}: 判断题的 answer 应为 true 或 false, 实际为 {_show(raw)}")
    elif qtype in (QuestionType.SINGLE, QuestionType.SHORT_ANSWER, QuestionType.CASE_STUDY) and raw is not None:
        answer = _text(raw, "answer", where)
    fields = {name: _text(d.get(name), name, where) for name in ("key", "area", "stem", "explanation")}
    lists = {name: tuple(_strings(d.get(name), name, where)) for name in ("options", "levels", "tags")}
    # absent or null: the file does not say (a question keeps its group); "" clears it
    group = None if d.get("enemy_group") is None else _text(d.get("enemy_group"), "enemy_group", where).strip()
    try:
        return QuestionRecord(type=qtype, difficulty=difficulty, answer=answer, use=use, enemy_group=group,
                              **fields, **lists)
    except BankError as exc:
        raise BankError(f"{where}: {exc}") from None


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:40] + "…"


def _text(value: Any, field: str, where: str) -> str:
    """A text field: a string (numbers are taken as written), or absent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BankError(f"{where}: 字段 {field} 应为文字, 实际为 {_show(value)}")


def _strings(value: Any, field: str, where: str) -> list[str]:
    """A list of texts (options, levels, tags, accepted answers), or absent."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BankError(f"{where}: 字段 {field} 应为列表, 实际为 {_show(value)}")
    return [_text(v, f"{field} 第 {i + 1} 项", where) for i, v in enumerate(value)]


def _use_from(raw: Any, where: str) -> QuestionUse | None:
    """The ``use`` field: absent, null or empty → None (a new question is 两者)."""
    if raw is None or raw == "":
        return None
    use = QuestionUse.parse(raw) if isinstance(raw, str) else None
    if use is None:
        raise BankError(f"{where}: 字段 use (用途) 的值 {raw!r} 无效, 应为 练习/考试/两者 或 practice/exam/both")
    return use


def dumps_bank(records: Iterable[QuestionRecord]) -> str:
    doc = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "questions": [record_to_dict(q) for q in records]}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def loads_bank(text: str, source: str = "<string>") -> list[QuestionRecord]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BankError(f"{source}: 不是有效的 JSON (第 {exc.lineno} 行: {exc.msg})") from None
    except RecursionError:
        raise BankError(f"{source}: JSON 嵌套过深, 不是题库文件") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise BankError(f"{source}: 不是题库文件 (format 应为 {FORMAT_NAME!r})")
    if doc.get("version") != FORMAT_VERSION:
        raise BankError(f"{source}: 不支持的题库格式版本 {doc.get('version')!r} (支持 {FORMAT_VERSION})")
    questions = doc.get("questions")
    if not isinstance(questions, list):
        raise BankError(f"{source}: 缺少 questions 列表")
    records = [record_from_dict(d, f"{source} 第 {i + 1} 题") for i, d in enumerate(questions)]
    seen: dict[str, int] = {}
    for i, q in enumerate(records):
        if q.key in seen:
            raise BankError(f"{source} 第 {i + 1} 题: 编号 {q.key} 与第 {seen[q.key] + 1} 题重复")
        seen[q.key] = i
    return records


def dump_bank(records: Iterable[QuestionRecord], path: Path) -> None:
    Path(path).write_text(dumps_bank(records), encoding="utf-8")


def load_bank(path: Path) -> list[QuestionRecord]:
    path = Path(path)
    return loads_bank(path.read_text(encoding="utf-8"), source=path.name)
