"""``flask --app exam stats …``: item analysis from the shell, the same figures as the trainers' pages."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import click
from flask import current_app
from sqlalchemy import select

from exam import clock
from exam.extensions import db


@click.group("stats", help="试题分析 (难度、区分度、选项、信度)")
def stats_group() -> None:
    pass


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"“{value}” 不是有效日期 (格式 2026-01-31)", param_hint=name) from None


@stats_group.command("items")
@click.option("--sitting", "sitting_id", type=int, help="考场编号: 读取已存的统计 (没有则计算并保存)")
@click.option("--pool-paper", "pool_paper_id", type=int, help="平行试卷编号: 所有考场中领取它的正式考试")
@click.option("--level", "level_code", help="等级 (与 --from/--to 一起: 该时间段内交卷的正式考试)")
@click.option("--from", "start", help="开始日期 (北京时间, 含)")
@click.option("--to", "end", help="结束日期 (北京时间, 含)")
@click.option("--recompute", is_flag=True, help="考场: 重新计算并保存")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def stats_items(sitting_id: int | None, pool_paper_id: int | None, level_code: str | None, start: str | None,
                end: str | None, recompute: bool, as_json: bool) -> None:
    """Per item p, corrected item–total r, D (27 %), option rates; per form KR-20/α, SEM, distribution, pass rate."""
    from exam.models import Level, PoolPaper, Sitting, SittingAnalysis
    from exam.services.certificates import CHINA_OFFSET
    from exam.services.item_analysis import AnalysisSettings, Scope, analyse_scope
    from exam.services.sitting_analysis import analyse_sitting, stored_report

    settings = AnalysisSettings.from_config(current_app.config)
    if sum(x is not None for x in (sitting_id, pool_paper_id, level_code)) != 1:
        raise click.UsageError("请指定 --sitting、--pool-paper 或 --level (三者选一)")
    if sitting_id is not None:
        sitting = db.session.get(Sitting, sitting_id)
        if sitting is None:
            raise click.ClickException(f"考场 {sitting_id} 不存在")
        row = db.session.scalars(select(SittingAnalysis).where(SittingAnalysis.sitting_id == sitting.id)).first()
        if row is None or recompute:
            row = analyse_sitting(db.session, sitting, settings, clock.now(), actor_id=None)
            db.session.commit()
        report = {"scope": {"sitting": sitting.id, "name": sitting.name, "level": sitting.level.code}} \
            | stored_report(db.session, row)
    elif pool_paper_id is not None:
        paper = db.session.get(PoolPaper, pool_paper_id)
        if paper is None:
            raise click.ClickException(f"平行试卷 {pool_paper_id} 不存在")
        report = {"scope": {"pool_paper": paper.id, "pool": paper.pool_id, "position": paper.position}} \
            | analyse_scope(db.session, Scope(pool_paper_id=paper.id), settings).to_json()
    else:
        level = db.session.scalars(select(Level).where(Level.code == level_code.upper())).first()
        if level is None:
            raise click.ClickException(f"等级 {level_code} 不存在")
        first, last = _day(start, "--from"), _day(end, "--to")
        lo = datetime.combine(first, datetime.min.time()) - CHINA_OFFSET if first else None
        hi = datetime.combine(last + timedelta(days=1), datetime.min.time()) - CHINA_OFFSET if last else None
        report = {"scope": {"level": level.code, "from": start, "to": end}} \
            | analyse_scope(db.session, Scope(level_id=level.id, start=lo, end=hi), settings).to_json()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, default=str))
    else:
        _print(report)


def _f(x: Any, fmt: str = "{:.2f}") -> str:
    return "—" if x is None else fmt.format(x)


def _print(r: dict[str, Any]) -> None:
    from exam.services.item_analysis import FLAG_LABELS

    click.echo(f"作答 {r['attempts']} 人次; 平均分 {_f(r['mean'], '{:.1f}')}, 标准差 {_f(r['sd'], '{:.1f}')}, "
               f"合格率 {_f(r['pass_rate'], '{:.0%}')} (合格线 {r['pass_mark']:g})")
    for f in r["forms"]:
        click.echo(f"  {f['label']}: {f['attempts']} 人次, {f['items']} 题, 信度 {f['alpha_kind']} {_f(f['alpha'])}, "
                   f"SEM {_f(f['sem'], '{:.1f}')}, 合格率 {_f(f['pass_rate'], '{:.0%}')}"
                   + ("".join(f" [{FLAG_LABELS[x]}]" for x in f["flags"])))
    flagged = [i for i in r["items"] if i["flags"]]
    click.echo(f"试题 {len(r['items'])} 道, 被标记 {len(flagged)} 道:")
    for i in flagged:
        click.echo(f"  {i['key']} (第 {i['version']} 版) p={_f(i['p'])} D={_f(i['d_index'])} r={_f(i['r_corrected'])} "
                   f"n={i['responses']}: " + "、".join(FLAG_LABELS[x] for x in i["flags"]))
