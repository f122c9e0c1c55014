"""Forms of the bank pages; ``record_from_form`` turns a question form into a validated bank record."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from exam.models import QuestionStatus
from question_bank import LEVEL_CODES, BankError, Difficulty, QuestionRecord, QuestionType, QuestionUse
from question_bank.areas import AREA_NAMES, LEVEL_NAMES
from question_bank.records import OPTION_LETTERS


def choices(pairs) -> list[SelectChoice]:  # noqa: ANN001
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


AREA_CHOICES = [(code, f"{code} {name}") for code, name in AREA_NAMES.items()]

LEVEL_CHOICES = [(code, LEVEL_NAMES[code]) for code in LEVEL_CODES]

USE_CHOICES = [(QuestionUse.BOTH.value, "两者 (模拟考试和正式考试)"), (QuestionUse.PRACTICE.value, "练习 (只用于模拟考试和练习)"),
               (QuestionUse.EXAM.value, "考试 (只用于正式考试)")]


class QuestionForm(FlaskForm):
    type = SelectField("题型", choices=choices([(t.value, t.label) for t in QuestionType]))
    area = SelectField("知识领域", choices=choices(AREA_CHOICES))
    difficulty = SelectField("难度", choices=choices([(d.value, d.label) for d in Difficulty]), default="medium")
    levels = MultiCheckboxField("适用等级", choices=choices(LEVEL_CHOICES), default=list(LEVEL_CODES))
    use = SelectField("用途", choices=choices(USE_CHOICES), default=QuestionUse.BOTH.value,
                      description="练习的题目不会出现在正式考试中, 考试的题目不会出现在模拟考试中")
    status = SelectField("状态", choices=choices([("active", "启用"), ("draft", "草稿")]), default="active")
    stem = TextAreaField("题干", validators=[InputRequired("请填写题干"), Length(max=5000)])
    keys = MultiCheckboxField("正确选项", choices=choices((c, c) for c in OPTION_LETTERS))
    verdict = RadioField("判断", choices=choices([("true", "对"), ("false", "错")]), validators=[Optional()])
    blanks = TextAreaField("各空答案", validators=[Length(max=2000)],
                           description="每行一个空, 同一空的多个可接受答案用 | 分隔")
    reference = TextAreaField("参考答案", validators=[Length(max=10000)])
    explanation = TextAreaField("解析", validators=[Length(max=5000)])
    tags = StringField("标签", validators=[Length(max=300)], description="用逗号分隔")
    enemy_group = StringField("互斥组", validators=[Length(max=40)],
                              description="会互相泄露答案的题目填同一个组名, 同一份试卷最多出现其中一题")
    confirm_duplicate = BooleanField("已知与现有题目题干相同, 仍然保存")


for _letter in OPTION_LETTERS:
    setattr(QuestionForm, f"option_{_letter.lower()}", StringField(f"选项 {_letter}", validators=[Length(max=1000)]))


def option_fields(form: QuestionForm) -> list:
    return [getattr(form, f"option_{c.lower()}") for c in OPTION_LETTERS]


def fill_form(form: QuestionForm, record: QuestionRecord) -> None:
    """Put a record's values into an empty form (for editing)."""
    form.type.data, form.area.data, form.difficulty.data = record.type.value, record.area, record.difficulty.value
    form.levels.data, form.stem.data, form.explanation.data = list(record.levels), record.stem, record.explanation
    form.tags.data = ", ".join(record.tags)
    form.use.data = (record.use or QuestionUse.BOTH).value
    for field, text in zip(option_fields(form), record.options, strict=False):
        field.data = text
    if record.type.is_choice:
        form.keys.data = list(record.answer)
    elif record.type is QuestionType.TRUE_FALSE:
        form.verdict.data = "true" if record.answer else "false"
    elif record.type is QuestionType.FILL_BLANK:
        form.blanks.data = "\n".join("|".join(alts) for alts in record.answer)
    else:
        form.reference.data = record.answer


def record_from_form(form: QuestionForm, key: str) -> QuestionRecord | None:
    """The record the form describes, or None with the problems attached to the fields they concern."""
    qtype = QuestionType(form.type.data)
    texts = [(f.data or "").strip() for f in option_fields(form)]
    last = max((i for i, t in enumerate(texts) if t), default=-1)
    options = tuple(texts[: last + 1]) if qtype.is_choice else ()
    for i, text in enumerate(options):
        if not text:
            option_fields(form)[i].errors.append(f"选项 {OPTION_LETTERS[i]} 为空, 但后面还有选项")
            return None
    answer: object
    if qtype.is_choice:
        answer = tuple(sorted(form.keys.data or []))
    elif qtype is QuestionType.TRUE_FALSE:
        if form.verdict.data not in ("true", "false"):
            form.verdict.errors.append("请选择对或错")
            return None
        answer = form.verdict.data == "true"
    elif qtype is QuestionType.FILL_BLANK:
        answer = tuple(tuple(a.strip() for a in line.split("|") if a.strip())
                       for line in (form.blanks.data or "").splitlines() if line.strip())
    else:
        answer = (form.reference.data or "").strip()
    tags = tuple(t.strip() for t in (form.tags.data or "").replace("，", ",").split(",") if t.strip())
    try:
        return QuestionRecord(key=key, type=qtype, area=form.area.data, difficulty=Difficulty(form.difficulty.data),
                              stem=(form.stem.data or "").strip(), answer=answer, options=options,
                              levels=tuple(c for c in LEVEL_CODES if c in (form.levels.data or [])),
                              explanation=(form.explanation.data or "").strip(), tags=tags,
                              use=QuestionUse(form.use.data))
    except BankError as exc:
        _attach_problems(form, qtype, str(exc).split(": ", 1)[-1].split("; "))
        return None


def _attach_problems(form: QuestionForm, qtype: QuestionType, problems: list[str]) -> None:
    answer_field = (form.keys if qtype.is_choice else form.verdict if qtype is QuestionType.TRUE_FALSE
                    else form.blanks if qtype is QuestionType.FILL_BLANK else form.reference)
    for message in problems:
        if "适用等级" in message:
            form.levels.errors.append("请至少选择一个等级")
        elif "选项" in message:
            form.option_a.errors.append(message)
        elif "题干" in message and "答案" not in message:
            form.stem.errors.append(message)
        elif "知识领域" in message:
            form.area.errors.append(message)
        else:
            answer_field.errors.append(message)


class StatusForm(FlaskForm):
    status = SelectField("状态", choices=choices((s.value, s.value) for s in QuestionStatus))


class UploadForm(FlaskForm):
    file = FileField("题库文件", validators=[FileRequired("请选择文件")],
                     description="Excel (.xlsx, 按模板)、Word (.docx)、PDF、文本 (.txt)、JSON 题库文件, "
                                 "或 Moodle XML (.xml)、GIFT (.gift)、Aiken (.txt)")


class ImportChoicesForm(FlaskForm):
    """Whole-file choices; per-item choices arrive as area_<i>, skip_<i>, keep_<i> fields."""

    area = SelectField("没有领域的题目归入", choices=choices([("", "按关键词建议"), *AREA_CHOICES]), default="")
    difficulty = SelectField("未给出难度时", choices=choices([(d.value, d.label) for d in Difficulty]), default="medium")
    levels = MultiCheckboxField("未给出等级时适用", choices=choices(LEVEL_CHOICES), default=list(LEVEL_CODES))
    status = SelectField("新题状态", choices=choices([("active", "启用"), ("draft", "草稿 (审核后启用)")]), default="active")
