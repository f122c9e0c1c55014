"""Error pages in Chinese, inside the site's layout, with a way back; JSON for JSON clients (the exam
page's autosave, the API)."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

#: status → (title, what to tell the user)
MESSAGES: dict[int, tuple[str, str]] = {
    400: ("请求有误", "提交的内容不完整或格式不正确, 请返回上一页检查后重试。"),
    401: ("请先登录", "登录已失效或尚未登录, 请重新登录后继续。"),
    403: ("没有权限", "您的账号没有访问这个页面的权限。如需开通, 请联系管理员。"),
    404: ("页面不存在", "找不到您要访问的页面或记录, 可能已被删除, 或链接有误。"),
    405: ("操作方式不正确", "这个地址不接受这种操作, 请从页面上的按钮或链接进入。"),
    413: ("文件过大", "上传的文件或提交的内容超过了大小上限, 请拆分或压缩后重试。"),
    429: ("操作过于频繁", "尝试次数过多, 请稍后再试。"),
    500: ("系统出错", "服务器处理时出现错误, 已记录在日志中。请稍后重试; 如果一直出现, 请联系管理员。"),
    503: ("暂时无法服务", "系统正忙或正在维护, 请稍后重试。"),
}


def wants_json() -> bool:
    return (request.is_json or request.path.startswith("/api/")
            or request.accept_mimetypes.best == "application/json")


def error_response(status: int, detail: str | None = None):  # noqa: ANN201
    title, message = MESSAGES.get(status, (f"错误 {status}", "请求未能完成。"))
    if wants_json():
        response = jsonify(error=detail or message)
    else:
        response = render_template("error.html", status=status, title=title, message=message, detail=detail)
        response = Flask.response_class(response, mimetype="text/html")
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese messages readable in JSON

    @app.before_request
    def _refuse_nul() -> object:
        """A NUL character is in no name, number or answer (and PostgreSQL's text cannot hold one)."""
        values = [request.path, *request.args.keys(), *request.args.values()]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values += [*request.form.keys(), *request.form.values(), *(f.filename or "" for f in request.files.values())]
        if any("\x00" in v for v in values):
            return error_response(400, "请求中含有不允许的控制字符 (NUL), 请检查输入。")
        return None

    from sqlalchemy.exc import DataError

    @app.errorhandler(DataError)
    def data_refused(exc: DataError):  # noqa: ANN202
        """The database refused a value (out of range, not representable): nothing was written."""
        from exam.extensions import db

        app.logger.warning("database refused a value: %s", exc.orig)
        db.session.rollback()
        return error_response(400, "提交的数据超出允许的范围或含有无法保存的字符, 未作任何修改。")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        if exc.code is None or exc.code < 400:
            return exc
        detail = exc.description if isinstance(exc.description, str) and _is_ours(exc.description) else None
        response = error_response(exc.code, detail)
        for key in ("Retry-After", "Allow", "WWW-Authenticate"):
            if exc.get_response().headers.get(key):
                response.headers[key] = exc.get_response().headers[key]
        return response

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError):  # noqa: ANN202
        try:
            return error_response(500)
        except Exception:  # noqa: BLE001  (the layout itself may be what fails)
            return app.response_class(MESSAGES[500][1], status=500, mimetype="text/plain")


def _is_ours(text: str) -> bool:
    """A description written for the user here (Chinese), not werkzeug's English default."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
