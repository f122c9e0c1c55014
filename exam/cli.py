"""Operations from the shell: ``flask --app exam …``. Each command commits once, at its end."""
from __future__ import annotations

import json
import random
from pathlib import Path

import click
from flask import Flask, current_app

from exam import clock
from exam.extensions import db
from exam.services.assembly import AssemblyError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection=None):  # noqa: ANN001, ANN201
    """Alembic's config pointing at ``migrations/``; with a connection, migrate on that connection."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(paper_group)
    app.cli.add_command(attempts_group)


@click.group("db", help="数据库结构 (Alembic 迁移)")
def db_group() -> None:
    pass


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied."""
    from alembic import command

    with db.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    click.echo("数据库已迁移到最新版本。")


@click.group("demo", help="演示数据")
def demo_group() -> None:
    pass


@demo_group.command("load")
def demo_load() -> None:
    """Reference rules, the starter bank and demo accounts; only what is missing (idempotent)."""
    from exam.services.demo import load_demo

    report = load_demo(db.session, clock.now(), current_app.config["DEMO_PASSWORD"])
    db.session.commit()
    click.echo(report)


@click.group("paper", help="组卷")
def paper_group() -> None:
    pass


@paper_group.command("draw")
@click.option("--level", "level_code", required=True, help="L4 / L3 / L2 / L1")
@click.option("--seed", type=int, default=None, help="same seed and same bank → same paper")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def paper_draw(level_code: str, seed: int | None, as_json: bool) -> None:
    """Draw one paper from the active bank and print it (nothing is stored)."""
    from exam.services.papers import draw_paper, level_by_code

    level = level_by_code(db.session, level_code.upper())
    if level is None:
        raise click.ClickException(f"等级 {level_code} 不存在")
    try:
        paper = draw_paper(db.session, level, random.Random(seed))
    except AssemblyError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(paper.to_json(), ensure_ascii=False))
        return
    click.echo(f"{level.name}: {len(paper.items)} 题, {paper.total_points} 分")
    for area, pts in sorted(paper.points_by_area().items()):
        click.echo(f"  {area}: {pts} 分")


@click.group("attempts", help="考试记录")
def attempts_group() -> None:
    pass


@attempts_group.command("finalize-expired")
def attempts_finalize_expired() -> None:
    """Finalise every attempt whose deadline has passed (run from a scheduler, e.g. every minute)."""
    from exam.services.grading import finalize_expired
    from exam.web.common import certificate_settings

    done = finalize_expired(db.session, clock.now(), certificate_settings())
    db.session.commit()
    click.echo(f"已收卷 {len(done)} 份超时试卷。")

