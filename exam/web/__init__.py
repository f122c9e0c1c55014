"""One blueprint per audience; each declares who may use it once, in ``guard``."""
from __future__ import annotations

from datetime import datetime

from flask import Flask

from exam.services.certificates import CHINA_OFFSET


def register_blueprints(app: Flask) -> None:
    from exam.web import (
        admin,
        analysis,
        api,
        auth,
        bank,
        hr,
        hr_facts,
        hr_overview,
        learning,
        public,
        rules,
        sittings,
        trainee,
        trainer,
    )

    for module in (auth, public, trainee, learning, trainer, bank, rules, hr, hr_overview, hr_facts, sittings, admin,
                   api, analysis):
        app.register_blueprint(module.bp)
    app.register_blueprint(auth.account)

    from sqlalchemy.exc import OperationalError

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError):  # noqa: ANN202
        """The database could not do the work now (restarting, failing over, refusing connections, a deadlock
        or lock timeout): the transaction was rolled back and nothing was written, so say "try again" (503
        with Retry-After; the exam page retries its saves by itself). Errors of the request itself stay 500s."""
        from flask import jsonify, request

        from exam.extensions import db

        app.logger.warning("database unavailable: %s", exc.orig)
        db.session.rollback()
        message = "数据库暂时不可用, 请稍后重试。已作答的内容保存在本机, 恢复后自动上传。"
        if request.is_json or request.accept_mimetypes.best == "application/json":
            response = jsonify(error=message)
        else:
            response = app.response_class(message, mimetype="text/plain")
        response.status_code, response.headers["Retry-After"] = 503, "2"
        return response

    from exam.web import audit_labels

    audit_labels.init_app(app)

    @app.template_filter("source_label")
    def source_label(source: str) -> str:
        """Where a question came from, as trainers read it (the starter bank is stored as "starter")."""
        return SOURCE_LABELS.get(source, source)

    @app.template_filter("cn_time")
    def cn_time(value: datetime | None) -> str:
        """Stored UTC → China Standard Time for display."""
        return (value + CHINA_OFFSET).strftime("%Y-%m-%d %H:%M") if value else ""

    from exam.models import QuestionStatus, Role

    app.jinja_env.globals.update(area_name=_area_name, Role=Role, QuestionStatus=QuestionStatus)

    @app.template_filter("combine_page")
    def combine_page(args: dict, page: int) -> dict:
        return {**args, "page": page}

    @app.template_filter("points")
    def points(value: float | None) -> str:
        return "—" if value is None else f"{value:g}"


#: stored question sources shown by another name
SOURCE_LABELS = {"starter": "初始题库"}


def _area_name(code: str) -> str:
    """Area code → name, loaded once per request."""
    from flask import g
    from sqlalchemy import select

    from exam.extensions import db
    from exam.models import KnowledgeArea

    if "area_names" not in g:
        g.area_names = dict(db.session.execute(select(KnowledgeArea.code, KnowledgeArea.name)).all())
    return g.area_names.get(code, code)
