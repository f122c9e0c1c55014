"""Role guards: declared once per blueprint, enforced before every request, proven by the matrix test."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, request, url_for
from flask_login import current_user

from exam.extensions import db, login_manager
from exam.models import Role, User

#: blueprint name → roles allowed (None: anyone, logged in or not)
ACCESS: dict[str, frozenset[Role] | None] = {}


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def guard(bp: Blueprint, *roles: Role) -> None:
    """Only users holding one of ``roles`` may use ``bp``; guests are sent to the login page."""
    allowed = frozenset(roles)
    ACCESS[bp.name] = allowed

    @bp.before_request
    def _check() -> object:
        if not current_user.is_authenticated:
            if request.is_json or request.accept_mimetypes.best == "application/json":
                return jsonify(error="请先登录。"), 401
            return redirect(url_for("auth.login", next=request.full_path))
        if not current_user.has_role(*allowed):
            abort(403)
        return None


def public(bp: Blueprint) -> None:
    ACCESS[bp.name] = None


def home_for(user: User) -> str:
    for role, endpoint in ((Role.ADMIN, "admin.index"), (Role.HR, "hr.certificates"),
                           (Role.TRAINER, "trainer.index"), (Role.TRAINEE, "trainee.dashboard")):
        if user.has_role(role):
            return url_for(endpoint)
    return url_for("public.verify")
