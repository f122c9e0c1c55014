"""Log in and out, and change one's password.

A login starts a fresh session that carries the user's session version; logging out or changing the
password raises the version, which ends every other session of the user at once (their cookies,
wherever copied, no longer load the user). Wrong passwords are counted per account and per client
address (exam.ratelimit); over the limit, logins are refused for the window and the lock-out is
audited. An unknown username costs the same time as a wrong password, so timing tells nothing.
"""
from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from exam import clock
from exam.extensions import db, reads_first
from exam.models import User, record_audit
from exam.ratelimit import Counter
from exam.web.access import SESSION_VERSION, guard_any_user, home_for, public

bp = Blueprint("auth", __name__)
public(bp)
account = Blueprint("account", __name__, url_prefix="/account")
guard_any_user(account)

LOGIN_ACCOUNT = Counter("login-account", "LOGIN_LIMIT_ACCOUNT")
LOGIN_ADDRESS = Counter("login-address", "LOGIN_LIMIT_ADDRESS")


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200)])


@functools.cache
def _decoy_hash() -> str:
    """A hash made like users' own, checked when the username is unknown so the answer takes as long."""
    return generate_password_hash("decoy-password-never-matches")


@bp.route("/login", methods=["GET", "POST"])
@reads_first
def login():  # noqa: ANN201
    """Username and password; a failed attempt says no more than that it failed."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    username, address = form.username.data.strip(), request.remote_addr or "unknown"
    account_key = username.casefold()
    if not (LOGIN_ACCOUNT.allowed(account_key) and LOGIN_ADDRESS.allowed(address)):
        return _locked_out(form)
    user = db.session.scalars(select(User).where(User.username == username)).one_or_none()
    password_ok = check_password_hash(user.password_hash if user is not None else _decoy_hash(),
                                      form.password.data)
    if user is None or not user.active or not password_ok:
        db.session.rollback()  # the counters write on their own connection
        over = [c.name for c, key in ((LOGIN_ACCOUNT, account_key), (LOGIN_ADDRESS, address)) if not c.hit(key)]
        if over:
            db.lock_for_write()
            record_audit(db.session, at=clock.now(), actor_id=None, action="auth.lockout",
                         entity=user if user is not None else "users", username=username[:64], address=address,
                         limits=over)
            db.session.commit()
            return _locked_out(form)
        flash("用户名或密码不正确。", "error")
        return render_template("auth/login.html", form=form)
    LOGIN_ACCOUNT.clear(account_key)
    session.clear()  # a fresh session: nothing from before the login carries over
    login_user(user)
    session[SESSION_VERSION] = user.session_version
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        target = home_for(user)
    return redirect(target)


def _locked_out(form: LoginForm):  # noqa: ANN202
    minutes = max(LOGIN_ACCOUNT.window_minutes(), LOGIN_ADDRESS.window_minutes())
    flash(f"密码错误次数过多, 登录已暂停, 请 {minutes} 分钟后再试; 忘记密码请联系管理员。", "error")
    return render_template("auth/login.html", form=form), 429


@bp.route("/logout", methods=["POST"])
def logout():  # noqa: ANN201
    """Ends this session and every other session of the user (other browsers, copied cookies)."""
    if current_user.is_authenticated:
        end_other_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("已退出登录。", "info")
    return redirect(url_for("auth.login"))


def end_other_sessions(user: User) -> None:
    """Every session cookie issued to ``user`` so far stops working (the caller commits)."""
    db.session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))
    db.session.expire(user, ["session_version"])


class PasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码"), Length(max=200)])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码"),
                                              Length(min=8, max=200, message="新密码长度须为 8 至 200 个字符")])
    confirm = PasswordField("再次输入新密码", validators=[DataRequired("请再次输入新密码"),
                                                      EqualTo("new", message="两次输入的新密码不一致")])


@account.route("/password", methods=["GET", "POST"])
def password():  # noqa: ANN201
    """修改密码: every other session of the user ends; this one continues."""
    form = PasswordForm()
    if form.validate_on_submit():
        user: User = current_user._get_current_object()  # type: ignore[attr-defined]
        if not check_password_hash(user.password_hash, form.current.data):
            form.current.errors = ["当前密码不正确"]
        elif form.new.data == form.current.data:
            form.new.errors = ["新密码不能与当前密码相同"]
        else:
            end_other_sessions(user)
            user.set_password(form.new.data)
            record_audit(db.session, at=clock.now(), actor_id=user.id, action="user.password_change", entity=user)
            db.session.commit()
            session[SESSION_VERSION] = user.session_version
            flash("密码已修改; 其他设备上的登录已失效。", "info")
            return redirect(home_for(user))
    return render_template("auth/password.html", form=form)

