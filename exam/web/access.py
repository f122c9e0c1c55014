"""Role guards: declared once per blueprint, enforced before every request, proven by the matrix test."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from exam import clock
from exam.extensions import db, login_manager
from exam.models import Role, User

F = TypeVar("F", bound=Callable)

#: blueprint name → roles allowed (None: anyone, logged in or not; TOKEN: an API token)
ACCESS: dict[str, frozenset[Role] | str | None] = {}


#: the session key holding the user's session version at login (see exam.web.auth)
SESSION_VERSION = "_sv"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The user and their roles in one query (every request of a logged-in user runs this); a session
    issued before the user's last logout or password change loads nobody."""
    user = db.session.get(User, int(user_id), options=[joinedload(User.roles)])
    if user is None or session.get(SESSION_VERSION) != user.session_version:
        return None
    return user


#: ACCESS value of blueprints reached with an API token instead of a login
TOKEN = "token"


def checks_own_access(view: F) -> F:
    """For a hot endpoint (autosave) that proves the user's role itself inside its one query, from the
    session's user id, instead of loading the user first. It must answer as the guard would: 401 for
    guests, 403 for other roles. The access-matrix test holds it to that."""
    view.checks_own_access = True  # type: ignore[attr-defined]
    return view


def session_user_id() -> int | None:
    """The logged-in user's id as the session cookie says (Flask-Login's key), without loading the user;
    the caller must still check ``session_version()`` against the user's row."""
    raw = session.get("_user_id")
    return int(raw) if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 12 else None


def session_version() -> int | None:
    """The user's session version this session was issued with."""
    raw = session.get(SESSION_VERSION)
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def guard(bp: Blueprint, *roles: Role) -> None:
    """Only users holding one of ``roles`` may use ``bp``; guests are sent to the login page."""
    allowed = frozenset(roles)
    ACCESS[bp.name] = allowed

    @bp.before_request
    def _check() -> object:
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "checks_own_access", False) and session_user_id() is not None:
            return None
        if not current_user.is_authenticated:
            if request.is_json or request.accept_mimetypes.best == "application/json":
                return jsonify(error="请先登录。"), 401
            return redirect(url_for("auth.login", next=request.full_path))
        if not current_user.has_role(*allowed):
            abort(403)
        return None


def guard_any_user(bp: Blueprint) -> None:
    """Any logged-in user, whatever their roles (their own account's pages)."""
    guard(bp, *Role)


def token_guard(bp: Blueprint) -> None:
    """Machine access: ``Authorization: Bearer <token>`` with a token an administrator issued (and did
    not revoke); a browser session grants nothing here."""
    ACCESS[bp.name] = TOKEN

    @bp.before_request
    def _check() -> object:
        from exam.services.api_tokens import check_token

        db.lock_for_write()  # last_used_at
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not token or check_token(db.session, token, clock.now()) is None:
            return jsonify(error="需要有效的 API 令牌 (Authorization: Bearer …)"), 401
        db.session.commit()  # last_used_at
        return None


def public(bp: Blueprint) -> None:
    ACCESS[bp.name] = None


def home_for(user: User) -> str:
    for role, endpoint in ((Role.ADMIN, "admin.index"), (Role.HR, "hr_overview.index"),
                           (Role.TRAINER, "trainer.index"), (Role.TRAINEE, "trainee.dashboard")):
        if user.has_role(role):
            return url_for(endpoint)
    return url_for("public.verify")
