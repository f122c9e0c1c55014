"""The audit log in Chinese: labels for actions, the kinds of record they touch and the keys of their details.

The stored events keep their dotted English names (scripts and tests read them); only the pages translate.
Values that are codes of the platform (statuses, uses, question types, difficulties, sitting modes, true/false)
are translated too; other values are what somebody typed or a file said, and are shown as they are
(marked ``data-content``: content, not interface).
"""
from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from exam.models import ApplicationStatus, AttemptKind, AttemptState, CertificateStatus, SittingMode
from question_bank import Difficulty, QuestionType, QuestionUse

ACTIONS: dict[str, str] = {
    "analysis.compute": "试题分析统计",
    "question.flags_clear": "清除统计标记",
    "answer.mark": "阅卷评分",
    "answer.score": "确定得分",
    "api_token.issue": "签发 API 令牌",
    "api_token.revoke": "吊销 API 令牌",
    "application.approve": "批准报名申请",
    "application.refuse": "不批准报名申请",
    "application.submit": "提交报名申请",
    "application.withdraw": "撤回报名申请",
    "attempt.mock_handed_in": "模拟考试自动交卷",
    "attempt.repeats": "重考试卷含已见题目",
    "auth.lockout": "登录锁定",
    "bank.import": "题库导入",
    "certificate.issue": "颁发证书",
    "certificate.render": "生成证书文件",
    "certificate.revoke": "撤销证书",
    "eligibility.facts_edit": "修改申报资料",
    "eligibility.facts_import": "导入申报资料",
    "eligibility.override": "申报资格特批",
    "eligibility.rules": "修改申报条件",
    "import.confirm": "确认导入题目",
    "level.rules": "修改组卷规则",
    "pool.build": "生成平行试卷",
    "question.create": "新增题目",
    "question.enemy_group": "设置互斥组",
    "question.revise": "题目新版本",
    "question.status": "题目状态变更",
    "sitting.enrol": "考场报名",
    "sitting.extra_time": "延长考试时间",
    "sitting.password_failure": "考场密码错误",
    "sitting.password_unlock": "解除入场锁定",
    "sitting.schedule": "安排考场",
    "user.password_change": "修改密码",
}

ENTITIES: dict[str, str] = {
    "answers": "作答", "api_tokens": "API 令牌", "attempts": "考试", "certificates": "证书",
    "enrolments": "报名", "import_uploads": "导入文件", "levels": "等级", "paper_pools": "试卷池",
    "questions": "题目", "question_versions": "题目版本", "sitting_applications": "报名申请", "sittings": "考场",
    "users": "用户",
}

KEYS: dict[str, str] = {
    # the details' keys
    "decided_by": "定分方式", "marks": "各评分", "point_scores": "各要点得分", "revised": "修改评分", "round": "评分轮次",
    "score": "得分",
    "regrouped": "调整互斥组", "attempts": "作答人次", "flagged": "被标记题数", "flags": "标记", "items": "题数",
    "negative": "负区分度题数",
    "added": "新增", "address": "地址", "after": "修改后", "already": "已在名单", "attempt_id": "考试",
    "before": "修改前", "breaks_replaced": "替换中断记录", "changed": "改动项", "columns": "列", "defaults": "恢复标准默认",
    "ends_at": "结束时间", "enrolled": "报名人数", "failures": "错误次数", "filename": "文件名", "key": "题目编号",
    "level": "等级", "limits": "触发的限制", "locked": "已锁定", "max_exposure": "单题最高出现比例", "mode": "形式",
    "name": "名称", "networks": "允许的 IP 段", "new_versions": "新版本", "note": "说明", "number": "证书编号",
    "organization": "单位", "password": "考场密码", "points": "得分", "position": "题号", "reason": "理由",
    "refused": "未报名人员", "refused_count": "未报名人数", "repeated": "重复题目", "rows": "行数", "seed": "抽卷编号",
    "sha256": "SHA-256", "signed_by": "签名者", "size": "份数", "sitting": "考场", "sitting_id": "考场",
    "source": "来源", "spread": "预期得分率相差", "starts_at": "开始时间", "status": "状态",
    "template_version": "模板版本", "training_records": "培训记录", "unchanged": "未变", "use": "用途",
    "user": "用户", "user_ids": "用户", "username": "用户名", "users_unchanged": "未变人数",
    "users_updated": "更新人数", "version": "版本",
    # inside before / after: a level's rules
    "certificate_validity_years": "证书有效期 (年)", "difficulty_mix": "难度比例", "duration_minutes": "考试时长 (分钟)",
    "multiple_partial_credit": "多选题少选得一半分", "pass_mark": "合格线", "sections": "题型结构",
    "tolerance": "难度允许偏差", "weights": "比重表",
    # a question's fields
    "answer": "答案", "area": "知识领域", "difficulty": "难度", "explanation": "解析", "levels": "适用等级",
    "options": "选项", "stem": "题干", "tags": "标签", "type": "题型",
    # eligibility routes, overrides and recorded facts
    "continuous_years": "连续从事本职业年限", "cumulative_years": "累计从事本职业年限", "eligible": "准予报考",
    "probation": "需上岗实习考核合格", "requires_certificate": "需持证书", "requires_training": "需完成本级培训",
    "training_hours": "培训学时", "breaks": "中断", "completed_on": "完成日期", "hours": "学时", "job_start": "上岗日期",
    "probation_passed_on": "实习考核合格日期", "training": "培训",
}

#: codes of the platform, shown by their Chinese names wherever they appear as a value (or as a key)
VALUES: dict[str, str] = {
    "active": "启用", "draft": "草稿", "retired": "停用",
    **{e.value: e.label for enum in (QuestionUse, QuestionType, Difficulty, SittingMode, AttemptKind, AttemptState,
                                     CertificateStatus, ApplicationStatus) for e in enum},
}


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def entity_label(entity_type: str) -> str:
    return ENTITIES.get(entity_type, entity_type)


def _key(key: Any) -> str:
    text = str(key)
    return KEYS.get(text) or VALUES.get(text) or text


def _value(value: Any) -> Markup:
    if value is None:
        return Markup("无")
    if isinstance(value, bool):
        return Markup("是" if value else "否")
    if isinstance(value, int | float):
        return escape(f"{value:g}" if isinstance(value, float) else str(value))
    if isinstance(value, str):
        if value in VALUES or value in KEYS:  # a code, or a field's name (e.g. in "changed")
            return escape(VALUES.get(value) or KEYS[value])
        return Markup('<span data-content>{}</span>').format(value) if value else Markup("(空)")
    if isinstance(value, list):
        return Markup("、").join(_value(v) for v in value) if value else Markup("(无)")
    if isinstance(value, dict):
        return Markup("{") + Markup("; ").join(
            Markup("{}: {}").format(_key(k), _value(v)) for k, v in value.items()) + Markup("}")
    return Markup('<span data-content>{}</span>').format(str(value))


def audit_detail(detail: dict[str, Any] | None) -> Markup:
    """An event's details as "键: 值" pairs, keys and platform codes in Chinese."""
    if not detail:
        return Markup("")
    return Markup("; ").join(Markup("{}: {}").format(_key(k), _value(v)) for k, v in detail.items())


def init_app(app: Any) -> None:
    app.add_template_filter(action_label, "audit_action")
    app.add_template_filter(entity_label, "audit_entity")
    app.add_template_filter(audit_detail, "audit_detail")
