"""VIP客户服务经理 certification platform. ``create_app`` only wires: no I/O, no migrations, no seeding."""
from __future__ import annotations

from typing import Any

from flask import Flask

from exam.config import load_config
from exam.extensions import csrf, db, login_manager


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates")
    app.config.from_mapping(load_config(app.instance_path, test_config))

    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    from exam.web import inputs

    inputs.init_app(app)  # before any blueprint adds its routes
    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)

    from exam import ratelimit

    ratelimit.init_app(app)

    from exam import jobs

    jobs.init_app(app)

    from exam.web import register_blueprints

    register_blueprints(app)

    from exam.web import errors, security

    security.init_app(app)
    errors.init_app(app)

    from exam.cli import register_cli

    register_cli(app)
    return app
