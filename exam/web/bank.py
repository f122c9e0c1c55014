"""The trainer's question bank: list, create, edit with versions, retire, import with a dry run, export."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from exam import clock
from exam.extensions import db
from exam.models import (
    AuditEvent,
    IllegalTransition,
    ImportStatus,
    ImportUpload,
    PaperItem,
    Question,
    QuestionStatus,
    Role,
    User,
    record_audit,
)
from exam.services.bank_edit import (
    STATUS_LABELS,
    change_status,
    create_question,
    edit_question,
    find_duplicates,
    set_enemy_group,
)
from exam.services.bank_import import (
    ImportOptions,
    ImportRefused,
    apply_import,
    categories_of,
    finish_upload,
    plan_import,
    store_upload,
    upload_source,
)
from exam.services.bank_lint import DEFAULT_STATUSES, lint_bank, lint_question
from exam.services.bank_query import SORTS, BankFilter, count_questions, iter_records, page_of_questions, sources
from exam.services.bank_sync import changed_fields, record_from_version
from exam.services.item_analysis import FLAG_FILTERS, FLAG_LABELS
from exam.services.qtypes import qtype
from exam.services.sitting_analysis import open_flags
from exam.web.access import guard
from exam.web.analysis import question_stats
from exam.web.bank_forms import (
    ImportChoicesForm,
    QuestionForm,
    StatusForm,
    UploadForm,
    fill_form,
    option_fields,
    record_from_form,
)
from exam.web.inputs import page_arg, small_int
from question_bank import AREA_CODES, LEVEL_CODES, BankError, Difficulty, QuestionType, QuestionUse, dumps_bank
from question_bank.lint import RULES
from question_bank.lint import thresholds as lint_thresholds
from question_bank.moodle import write_moodle
from question_bank.normalize import stem_fingerprint
from question_bank.qti import write_qti
from question_bank.sources import ACCEPT, LABELS
from question_bank.uploads import upload_limits
from question_bank.xlsx import write_template, write_xlsx

bp = Blueprint("bank", __name__, url_prefix="/trainer")
guard(bp, Role.TRAINER, Role.ADMIN)

PAGE_SIZE = 50
FIELD_LABELS = {"type": "题型", "area": "领域", "difficulty": "难度", "levels": "等级", "use": "用途", "stem": "题干",
                "options": "选项", "answer": "答案", "explanation": "解析", "tags": "标签"}
IMPORT_PAGE_SIZE = 200


@bp.app_template_filter("field_label")
def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


@bp.route("/questions")
def questions():  # noqa: ANN201
    """The bank, searchable, filtered and sorted, a page at a time."""
    f = BankFilter.from_args(request.args)
    page = page_arg()
    rows = page_of_questions(db.session, f, page, PAGE_SIZE)
    return render_template("bank/questions.html", f=f, rows=rows, flags=open_flags(db.session, [q.id for q, _v in rows]),
                           total=count_questions(db.session, f), page=page, page_size=PAGE_SIZE, sorts=SORTS,
                           sources=sources(db.session), types=list(QuestionType), difficulties=list(Difficulty),
                           statuses=list(QuestionStatus), status_labels=STATUS_LABELS, levels=LEVEL_CODES,
                           uses=list(QuestionUse), area_codes=AREA_CODES, qtype=qtype,
                           flag_filters=FLAG_FILTERS, flag_labels=FLAG_LABELS)


@bp.route("/questions/export.<any(xlsx, json, xml, zip):fmt>")
def export(fmt: str):  # noqa: ANN201
    """The filtered selection as the import template (.xlsx), the bank format (.json), Moodle XML (.xml)
    or an IMS QTI 2.1 content package (.zip)."""
    records = list(iter_records(db.session, BankFilter.from_args(request.args)))
    stamp = clock.now().strftime("%Y%m%d-%H%M")
    if fmt == "json":
        data = BytesIO(dumps_bank(records).encode("utf-8"))
        return send_file(data, mimetype="application/json", as_attachment=True, download_name=f"题库-{stamp}.json")
    if fmt == "xml":
        return send_file(BytesIO(write_moodle(records)), mimetype="application/xml", as_attachment=True,
                         download_name=f"题库-{stamp}-moodle.xml")
    if fmt == "zip":
        return send_file(BytesIO(write_qti(records)), mimetype="application/zip", as_attachment=True,
                         download_name=f"题库-{stamp}-qti21.zip")
    out = BytesIO()
    write_xlsx(records, out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=f"题库-{stamp}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/questions/new", methods=["GET", "POST"])
def new_question():  # noqa: ANN201
    form = QuestionForm()
    duplicates: list[Question] = []
    if form.validate_on_submit() and (record := record_from_form(form, key="~new")):
        duplicates = _duplicates_of(record.stem)
        if not duplicates or form.confirm_duplicate.data:
            question = create_question(db.session, record, status=QuestionStatus(form.status.data),
                                       actor_id=current_user.id, now=clock.now())
            set_enemy_group(db.session, question, form.enemy_group.data or "", actor_id=current_user.id,
                            now=clock.now())
            db.session.commit()
            flash(f"已新增题目 {question.key}。", "info")
            return redirect(url_for(".question", question_id=question.id))
    return render_template("bank/edit.html", form=form, question=None, duplicates=duplicates,
                           options=option_fields(form))


@bp.route("/questions/<int:question_id>")
def question(question_id: int):  # noqa: ANN201
    """One question: its current version, every earlier version with what changed, and its audit trail."""
    q = db.session.get(Question, question_id) or abort(404)
    versions = list(reversed(q.versions))
    records = {v.id: record_from_version(q.key, v) for v in versions}
    changes = {v.id: changed_fields(records[prev.id], records[v.id]) for v, prev in zip(versions, versions[1:], strict=False)}
    used = dict(db.session.execute(
        select(PaperItem.question_version_id, func.count()).where(
            PaperItem.question_version_id.in_([v.id for v in versions])).group_by(PaperItem.question_version_id)).all())
    events = db.session.execute(
        select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "questions", AuditEvent.entity_id == q.id).order_by(AuditEvent.at.desc())
    ).all()
    authors = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_({v.created_by_id for v in versions if v.created_by_id}))).all())
    findings, linked = lint_question(db.session, q)
    return render_template("bank/question.html", q=q, versions=versions, changes=changes, used=used, events=events,
                           authors=authors, qtype=qtype, status_labels=STATUS_LABELS, form=StatusForm(),
                           findings=findings, linked=linked, rules=RULES, stats=question_stats(q))


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
def edit(question_id: int):  # noqa: ANN201
    """Saving creates a new version; papers already drawn keep the version they used."""
    q = db.session.get(Question, question_id) or abort(404)
    form = QuestionForm()
    duplicates: list[Question] = []
    if request.method == "GET":
        fill_form(form, record_from_version(q.key, q.current_version))
        form.enemy_group.data = q.enemy_group or ""
    elif form.validate_on_submit() and (record := record_from_form(form, key=q.key)):
        duplicates = [d for d in _duplicates_of(record.stem) if d.id != q.id]
        if not duplicates or form.confirm_duplicate.data:
            version = edit_question(db.session, q, record, actor_id=current_user.id, now=clock.now())
            regrouped = set_enemy_group(db.session, q, form.enemy_group.data or "", actor_id=current_user.id,
                                        now=clock.now())
            db.session.commit()
            flash(f"已保存为第 {version.version} 版。" if version else
                  "互斥组已更新。" if regrouped else "内容没有变化, 未生成新版本。", "info")
            return redirect(url_for(".question", question_id=q.id))
    return render_template("bank/edit.html", form=form, question=q, duplicates=duplicates,
                           options=option_fields(form))


@bp.route("/questions/<int:question_id>/status", methods=["POST"])
def set_status(question_id: int):  # noqa: ANN201
    q = db.session.get(Question, question_id) or abort(404)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            change_status(db.session, q, QuestionStatus(form.status.data), actor_id=current_user.id, now=clock.now())
            db.session.commit()
            flash(f"题目 {q.key} 已{STATUS_LABELS[q.status]}。", "info")
        except IllegalTransition as exc:
            db.session.rollback()
            flash(str(exc), "error")
    return redirect(url_for(".question", question_id=q.id))


#: the report page's choice of questions: value → (label, statuses)
LINT_SCOPES = {
    "": ("启用和草稿", DEFAULT_STATUSES),
    "active": ("仅启用", (QuestionStatus.ACTIVE,)),
    "all": ("全部 (含停用)", tuple(QuestionStatus)),
}
#: findings listed per rule on the report page (the CLI prints all)
LINT_SHOWN_PER_RULE = 300


@bp.route("/lint")
def lint_report():  # noqa: ANN201
    """题库体检: the whole bank's rates beside chance and every finding grouped by rule, linked to the items."""
    scope = request.args.get("status", "")
    if scope not in LINT_SCOPES:
        scope = ""
    result = lint_bank(db.session, LINT_SCOPES[scope][1])
    return render_template("bank/lint.html", result=result, report=result.report, rules=RULES, scope=scope,
                           scopes=LINT_SCOPES, shown=LINT_SHOWN_PER_RULE, t=lint_thresholds)


def _duplicates_of(stem: str) -> list[Question]:
    keys = find_duplicates(db.session, [stem]).get(stem_fingerprint(stem), [])
    return list(db.session.scalars(select(Question).where(Question.key.in_(keys)))) if keys else []


# ---- imports -------------------------------------------------------------------------------------------------


@bp.route("/imports", methods=["GET", "POST"])
def imports():  # noqa: ANN201
    """Upload a file; it is stored and shown as a dry run before anything is written to the bank."""
    form = UploadForm()
    if form.validate_on_submit():
        try:
            upload = store_upload(db.session, form.file.data, form.file.data.filename or "upload",
                                  actor_id=current_user.id, now=clock.now())
        except BankError as exc:  # nothing was stored
            db.session.rollback()
            flash(f"未上传: {exc}", "error")
            return redirect(url_for(".imports"))
        db.session.commit()
        return redirect(url_for(".import_preview", upload_id=upload.id))
    recent = db.session.execute(
        select(ImportUpload, User.full_name).join(User, User.id == ImportUpload.created_by_id)
        .order_by(ImportUpload.created_at.desc()).limit(20)).all()
    return render_template("bank/imports.html", form=form, recent=recent, accept=ACCEPT, limits=upload_limits())


@bp.route("/imports/template.xlsx")
def import_template():  # noqa: ANN201
    out = BytesIO()
    write_template(out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name="题库导入模板.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _upload(upload_id: int) -> ImportUpload:
    upload = db.session.get(ImportUpload, upload_id) or abort(404)
    if upload.created_by_id != current_user.id and not current_user.has_role(Role.ADMIN):
        abort(404)
    return upload


def _options(choices: dict) -> ImportOptions:
    return ImportOptions(
        area=choices.get("area") or None, difficulty=Difficulty(choices.get("difficulty", "medium")),
        levels=tuple(choices.get("levels") or LEVEL_CODES), status=QuestionStatus(choices.get("status", "active")),
        area_overrides={int(k): v for k, v in choices.get("areas", {}).items()},
        skip=frozenset(choices.get("skip", [])), keep_duplicates=frozenset(choices.get("keep", [])),
        category_areas=dict(choices.get("categories", {})),
    )


def _merge_categories(choices: dict, categories: list[str]) -> None:
    """The posted category → area choices (``category_<n>``, n the category's place in the file)."""
    mapping = dict(choices.get("categories", {}))
    for n, name in enumerate(categories):
        if f"category_{n}" not in request.form:
            continue
        area = request.form.get(f"category_{n}", "").strip().upper()
        if area in AREA_CODES or area == "":
            mapping[name] = area  # "" : the trainer wants no area for the category (each item on its own)
    choices["categories"] = mapping


def _merge_choices(upload: ImportUpload, form: ImportChoicesForm, count: int) -> dict:
    """The whole-file choices and the per-item choices of the page that was posted, merged into the stored ones."""
    choices = dict(upload.summary.get("choices", {}))
    choices.update(area=form.area.data or "", difficulty=form.difficulty.data, status=form.status.data,
                   levels=[c for c in LEVEL_CODES if c in (form.levels.data or [])] or list(LEVEL_CODES))
    areas = dict(choices.get("areas", {}))
    skip, keep = set(choices.get("skip", [])), set(choices.get("keep", []))
    for i in (n for x in request.form.getlist("shown") if (n := small_int(x)) is not None and n < count):
        area = request.form.get(f"area_{i}", "").strip().upper()
        if area in AREA_CODES:
            areas[str(i)] = area
        elif area == "":
            areas.pop(str(i), None)
        (skip.add if request.form.get(f"skip_{i}") else skip.discard)(i)
        (keep.add if request.form.get(f"keep_{i}") else keep.discard)(i)
    choices.update(areas=areas, skip=sorted(skip), keep=sorted(keep))
    return choices


@bp.route("/imports/<int:upload_id>", methods=["GET", "POST"])
def import_preview(upload_id: int):  # noqa: ANN201
    """The dry run; posting saves the trainer's choices (action=save) or imports everything accepted (action=import)."""
    upload = _upload(upload_id)
    if upload.status is not ImportStatus.PENDING:
        return render_template("bank/import_done.html", upload=upload)
    source = upload_source(upload)
    form = ImportChoicesForm()
    if form.validate_on_submit():
        choices = _merge_choices(upload, form, len(source.entries))
        _merge_categories(choices, categories_of(source))
        upload.summary = {**upload.summary, "choices": choices}
        if request.form.get("action") == "import":
            plan = plan_import(db.session, source, upload.filename, _options(choices))
            try:
                report = apply_import(db.session, plan, actor_id=current_user.id, now=clock.now())
            except ImportRefused as exc:
                db.session.rollback()
                flash(f"未导入任何题目: {exc}", "error")
                return redirect(url_for(".import_preview", upload_id=upload.id, view="problems"))
            finish_upload(upload, ImportStatus.IMPORTED, clock.now())
            upload.summary = {**upload.summary, "result": {
                "added": report.added, "new_versions": report.new_versions, "unchanged": report.unchanged,
                "skipped": len(source.skipped) + len(plan.items) - len(plan.accepted), "by_type": plan.by_type()}}
            record_audit(db.session, at=clock.now(), actor_id=current_user.id, action="import.confirm",
                         entity=upload, filename=upload.filename, sha256=upload.sha256, added=report.added,
                         new_versions=report.new_versions)
            db.session.commit()
            flash(f"已导入: 新增 {report.added} 题, 新版本 {report.new_versions} 题。", "info")
            return redirect(url_for(".import_preview", upload_id=upload.id))
        db.session.commit()
        flash("已保存选择, 预检结果已更新。", "info")
        return redirect(url_for(".import_preview", upload_id=upload.id, view=request.args.get("view", "all"),
                                page=page_arg()))
    choices = upload.summary.get("choices", {})
    if request.method == "GET":
        form.area.data = choices.get("area", "")
        form.difficulty.data = choices.get("difficulty", "medium")
        form.levels.data = choices.get("levels", list(LEVEL_CODES))
        form.status.data = choices.get("status", "active")
    plan = plan_import(db.session, source, upload.filename, _options(choices), lint=True)
    view = request.args.get("view", "all")
    shown = [it for it in plan.items if _in_view(it, view)]
    page = page_arg()
    return render_template("bank/import_preview.html", upload=upload, plan=plan, form=form, view=view,
                           shown=shown[(page - 1) * IMPORT_PAGE_SIZE: page * IMPORT_PAGE_SIZE], shown_total=len(shown),
                           page=page, page_size=IMPORT_PAGE_SIZE, area_codes=AREA_CODES, qtype=qtype, rules=RULES,
                           format_label=LABELS.get(plan.source.format, plan.source.format))


def _in_view(item, view: str) -> bool:  # noqa: ANN001
    if view == "problems":
        return bool(item.problem) or not item.area
    if view == "duplicates":
        return bool(item.duplicate_of)
    if view == "doubtful":
        return bool(item.entry.notes) or item.area_source == "关键词建议"
    if view == "lint":
        return bool(item.findings)
    return True


@bp.route("/imports/<int:upload_id>/discard", methods=["POST"])
def import_discard(upload_id: int):  # noqa: ANN201
    upload = _upload(upload_id)
    if upload.status is ImportStatus.PENDING and FlaskForm().validate_on_submit():
        finish_upload(upload, ImportStatus.DISCARDED, clock.now())
        db.session.commit()
        flash(f"已放弃导入 {upload.filename}。", "info")
    return redirect(url_for(".imports"))
