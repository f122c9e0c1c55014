"""Log in and out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from exam.extensions import db
from exam.models import User
from exam.web.access import home_for, public

bp = Blueprint("auth", __name__)
public(bp)


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    """Username and password; a failed attempt says no more than that it failed."""
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalars(select(User).where(User.username == form.username.data.strip())).one_or_none()
        if user is None or not user.active or not user.check_password(form.password.data):
            flash("用户名或密码不正确。", "error")
        else:
            login_user(user)
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
                target = home_for(user)
            return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():  # noqa: ANN201
    logout_user()
    flash("已退出登录。", "info")
    return redirect(url_for("auth.login"))
