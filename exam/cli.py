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
from question_bank import LEVEL_CODES

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
    app.cli.add_command(bank_group)
    app.cli.add_command(certificates_group)
    app.cli.add_command(api_group)
    app.cli.add_command(worker_command)
    from exam.cli_stats import stats_group

    app.cli.add_command(stats_group)


@click.group("db", help="数据库结构 (Alembic 迁移)")
def db_group() -> None:
    pass


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied."""
    upgrade_database()
    click.echo("数据库已迁移到最新版本。")


def upgrade_database() -> None:
    """Apply every migration not yet applied to the app's database."""
    from alembic import command

    with db.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


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


@paper_group.command("pool")
@click.option("--level", "level_code", required=True, help="L4 / L3 / L2 / L1")
@click.option("--size", type=click.IntRange(1, 500), default=8, show_default=True, help="parallel papers")
@click.option("--seed", type=int, default=None)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def paper_pool(level_code: str, size: int, seed: int | None, as_json: bool) -> None:
    """Assemble and store the level's pool of parallel papers (attempts then start from it)."""
    import secrets

    from exam.services.paper_pools import build_pool
    from exam.services.papers import level_by_code

    level = level_by_code(db.session, level_code.upper())
    if level is None:
        raise click.ClickException(f"等级 {level_code} 不存在")
    try:
        pool = build_pool(db.session, level, size=size, seed=secrets.randbits(31) if seed is None else seed,
                          now=clock.now(), actor_id=None)
    except AssemblyError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    r = pool.report
    if as_json:
        click.echo(json.dumps({"level": level.code, "pool": pool.id} | r, ensure_ascii=False))
        return
    click.echo(f"{level.name}: 试卷池 #{pool.id}, {r['size']} 份平行试卷; 预期得分率 {min(r['expected_scores']):.1%}"
               f"–{max(r['expected_scores']):.1%}; 两两重叠最多 {r['max_overlap']:.0%}; "
               f"单题曝光最多 {r['max_exposure']:.0%} ({r['over_target']} 题超过 25%)")


@paper_group.command("prepare")
@click.argument("sitting_id", type=int)
def paper_prepare(sitting_id: int) -> None:
    """Make every enrolled trainee's paper of a sitting ready before it starts (the lobby does it for each
    trainee who waits there); a start then only copies it. Run after the sitting's pool is final."""
    from sqlalchemy import select

    from exam.models import Enrolment, Sitting
    from exam.services.attempts import prepare_paper

    sitting = db.session.get(Sitting, sitting_id)
    if sitting is None:
        raise click.ClickException(f"考场 {sitting_id} 不存在")
    ids = db.session.scalars(select(Enrolment.id).where(Enrolment.sitting_id == sitting_id)
                             .order_by(Enrolment.id)).all()
    prepared = 0
    for i in range(0, len(ids), 200):  # committed in batches: a long run can be stopped and run again
        for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.id.in_(ids[i:i + 200]))):
            prepared += prepare_paper(db.session, enrolment, clock.now())
        db.session.commit()
    click.echo(f"{sitting.name}: 为 {prepared} 名考生备好试卷 (报名 {len(ids)} 人; 其余已备卷、已开考, "
               "或本等级没有试卷池)")


@paper_group.command("feasibility")
@click.option("--level", "level_code", required=True, help="L4 / L3 / L2 / L1")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def paper_feasibility(level_code: str, as_json: bool) -> None:
    """Per (area, type, difficulty) cell: need, have, ok / thin / short; exit 1 when no paper can be drawn."""
    from exam.services.papers import level_by_code, level_feasibility

    level = level_by_code(db.session, level_code.upper())
    if level is None:
        raise click.ClickException(f"等级 {level_code} 不存在")
    report = level_feasibility(db.session, level)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo(f"{level.name}: {'可以组卷' if report.feasible else '无法组卷'}" + (f" — {report.problem}" if report.problem else ""))
        for c in report.cells:
            if c.need or c.status != "ok":
                click.echo(f"  {c.area} {c.type.label} {c.difficulty.label}: 需要 {c.need}, 题库 {c.have} — {c.status}")
    if not report.feasible:
        raise SystemExit(1)


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



@click.group("bank", help="题库: 导入、导出、模板、体检")
def bank_group() -> None:
    pass


@bank_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查并报告, 不写入")
@click.option("--json", "as_json", is_flag=True, help="machine-readable report")
@click.option("--area", default=None, help="没有领域的题目都归入此领域, 如 W05")
@click.option("--difficulty", type=click.Choice(["easy", "medium", "hard"]), default="medium",
              help="文件未给出难度时使用")
@click.option("--levels", default=",".join(LEVEL_CODES), help="文件未给出适用等级时使用, 如 L4,L3")
@click.option("--status", type=click.Choice(["active", "draft"]), default="active", help="新题的状态")
@click.option("--keep-duplicates", is_flag=True, help="与题库重复的题目也导入")
@click.option("--category", "categories", multiple=True, metavar="类别=领域",
              help="Moodle / GIFT 类别归入的知识领域, 如 --category '题库/维系=W03' (可重复)")
def bank_import(path: Path, dry_run: bool, as_json: bool, area: str | None, difficulty: str, levels: str,
                status: str, keep_duplicates: bool, categories: tuple[str, ...]) -> None:
    """Import .xlsx, .docx, .json, Moodle XML, GIFT, Aiken or a text dump; all accepted items in one transaction, or nothing."""
    from exam.models import QuestionStatus
    from exam.services.bank_import import ImportOptions, ImportRefused, apply_import, plan_import, read_file
    from question_bank import AREA_CODES, Difficulty

    if area and area.upper() not in AREA_CODES:
        raise click.BadParameter(f"知识领域 {area} 不存在 (可用: {' '.join(AREA_CODES)})", param_hint="--area")
    category_areas = {}
    for pair in categories:
        name, _, code = pair.rpartition("=")
        if not name.strip() or code.strip().upper() not in AREA_CODES:
            raise click.BadParameter(f"{pair!r} 应为 类别=领域代码, 如 '题库/维系=W03' (领域: {' '.join(AREA_CODES)})",
                                     param_hint="--category")
        category_areas[name.strip()] = code.strip().upper()
    level_codes = tuple(x.strip().upper() for x in levels.split(",") if x.strip())
    source = read_file(path, path.name)
    options = ImportOptions(area=area.upper() if area else None, difficulty=Difficulty(difficulty), levels=level_codes,
                            status=QuestionStatus(status), category_areas=category_areas,
                            keep_duplicates=frozenset(range(len(source.entries))) if keep_duplicates else frozenset())
    plan = plan_import(db.session, source, path.name, options, lint=dry_run)
    report = plan.to_json()
    failed = False
    if not dry_run:
        try:
            result = apply_import(db.session, plan, actor_id=None, now=clock.now())
            db.session.commit()
            report["imported"] = {"added": result.added, "new_versions": result.new_versions,
                                  "unchanged": result.unchanged}
        except ImportRefused as exc:
            db.session.rollback()
            report["imported"] = None
            report["errors"] = exc.problems
            failed = True
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        _print_import_report(report, dry_run)
    if failed:
        raise SystemExit(1)


def _print_import_report(report: dict, dry_run: bool) -> None:
    from question_bank import QuestionType

    by_type = ", ".join(f"{QuestionType(t).label} {n}" for t, n in report["by_type"].items() if n)
    click.echo(f"{report['file']}: 识别 {report['recognised']} 题 ({by_type or '无'})"
               + (" — 繁体已转为简体" if report["traditional"] else ""))
    for c in report["categories"]:
        click.echo(f"  类别 {c['name']} ({c['count']} 题) → {c['area'] or '未定, 用 --category 指定'}"
                   + (f" ({c['source']})" if c["source"] else ""))
    for s in report["skipped"]:
        click.echo(f"  跳过 第 {s['lines'][0]}–{s['lines'][1]} 行: {s['reason']}")
    for item in report["items"]:
        for note in item["notes"]:
            click.echo(f"  存疑 第 {item['lines'][0]}–{item['lines'][1]} 行: {note}")
        if item["duplicate_of"]:
            click.echo(f"  重复 第 {item['lines'][0]}–{item['lines'][1]} 行: 与 {', '.join(item['duplicate_of'])} 相同"
                       + ("" if item["accepted"] else ", 不导入"))
        for finding in item.get("findings", ()):
            click.echo(f"  体检 第 {item['lines'][0]}–{item['lines'][1]} 行 [{finding['rule']}]: {finding['reason']}")
    for finding in report.get("lint", {}).get("findings", ()):
        click.echo(f"  体检 全文件 [{finding['rule']}]: {finding['reason']}")
    click.echo(f"重复 {report['duplicates']} 题")
    for err in report["errors"]:
        click.echo(f"  错误: {err}", err=True)
    imported = report.get("imported")
    if dry_run:
        click.echo("预检完成, 未写入任何数据。")
    elif imported is None:
        click.echo("有错误, 未导入任何题目。", err=True)
    else:
        click.echo(f"已导入: 新增 {imported['added']} 题, 新版本 {imported['new_versions']} 题, "
                   f"未变 {imported['unchanged']} 题。")


EXPORT_SUFFIXES = {".xlsx": "xlsx", ".json": "json", ".xml": "moodle", ".zip": "qti"}


@bank_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["xlsx", "json", "moodle", "qti"]), default=None,
              help="xlsx 导入模板, json 题库格式, moodle (Moodle XML), qti (IMS QTI 2.1 压缩包); 默认按扩展名")
@click.option("--area", default="")
@click.option("--type", "qtype", default="")
@click.option("--difficulty", default="")
@click.option("--level", default="")
@click.option("--status", default="")
@click.option("--use", default="", help="用途: practice / exam / both")
@click.option("--q", "text", default="", help="题干包含的文字")
def bank_export(path: Path, fmt: str | None, area: str, qtype: str, difficulty: str, level: str, status: str,
                use: str, text: str) -> None:
    """Write the selected questions as the import template (.xlsx), the bank format (.json), Moodle XML or QTI 2.1."""
    from exam.services.bank_query import BankFilter, iter_records
    from question_bank import dumps_bank
    from question_bank.moodle import write_moodle
    from question_bank.qti import write_qti
    from question_bank.xlsx import write_xlsx

    fmt = fmt or EXPORT_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise click.BadParameter("文件名应以 .xlsx、.json、.xml (Moodle) 或 .zip (QTI) 结尾, 或用 --format 指定",
                                 param_hint="PATH")
    f = BankFilter.from_args({"area": area, "type": qtype, "difficulty": difficulty, "level": level.upper(),
                              "status": status, "use": use, "q": text})
    records = list(iter_records(db.session, f))
    writers = {"xlsx": lambda: write_xlsx(records, path),
               "json": lambda: path.write_text(dumps_bank(records), encoding="utf-8"),
               "moodle": lambda: path.write_bytes(write_moodle(records)),
               "qti": lambda: path.write_bytes(write_qti(records))}
    writers[fmt]()
    click.echo(f"已导出 {len(records)} 题到 {path}")


@bank_group.command("template")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def bank_template(path: Path) -> None:
    """Write the empty Excel import template."""
    from question_bank.xlsx import write_template

    write_template(path)
    click.echo(f"模板已写入 {path}")


@bank_group.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="machine-readable report")
@click.option("--status", "statuses", multiple=True, type=click.Choice(["active", "draft", "retired"]),
              help="检查哪些状态的题目 (可重复), 默认启用和草稿")
@click.option("--rule", "rules", multiple=True, help="只运行这些规则 (可重复), 默认全部")
@click.option("--strict", is_flag=True, help="有任何发现时以状态 1 退出")
def bank_lint(paths: tuple[Path, ...], as_json: bool, statuses: tuple[str, ...], rules: tuple[str, ...],
              strict: bool) -> None:
    """题库体检: lint the bank (or the JSON bank files given) and print findings and rates beside chance."""
    from exam.models import QuestionStatus
    from exam.services.bank_lint import DEFAULT_STATUSES, lint_bank
    from question_bank import BankError, load_bank
    from question_bank.lint import RULES, format_report, lint

    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise click.BadParameter(f"规则 {', '.join(unknown)} 不存在 (可用: {' '.join(RULES)})", param_hint="--rule")
    if paths:
        records = []
        for path in paths:
            try:
                records.extend(load_bank(path))
            except (BankError, UnicodeDecodeError, OSError) as exc:
                raise click.ClickException(f"{path}: {exc}") from None
        report = lint(records, rules=rules or None)
    else:
        chosen = tuple(QuestionStatus(s) for s in statuses) or DEFAULT_STATUSES
        report = lint_bank(db.session, chosen, rules=rules or None).report
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo(format_report(report))
    if strict and report.findings:
        raise SystemExit(1)


@click.group("certificates", help="证书")
def certificates_group() -> None:
    pass


@certificates_group.command("list")
@click.option("--level", "level_code", default=None, help="L4 / L3 / L2 / L1")
@click.option("--status", type=click.Choice(["valid", "expired", "revoked"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="one JSON array")
def certificates_list(level_code: str | None, status: str | None, as_json: bool) -> None:
    """Every certificate (filtered): number, holder, organisation, level, dates, status, SHA-256, verify URL."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from exam.models import Certificate, CertificateStatus, Level, User
    from exam.services.certificates import certificate_record, china_date
    from exam.web.common import certificate_settings

    q = (select(Certificate).order_by(Certificate.issued_on, Certificate.number)
         .options(selectinload(Certificate.level),
                  selectinload(Certificate.user).selectinload(User.organization)))
    if level_code:
        q = q.join(Level, Certificate.level_id == Level.id).where(Level.code == level_code.upper())
    today, settings = china_date(clock.now()), certificate_settings()
    if status:
        q = q.where(Certificate.having_status(CertificateStatus(status), today))
    out = [certificate_record(c, today, settings) for c in db.session.scalars(q.execution_options(yield_per=500))]
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    for r in out:
        click.echo(f"{r['number']}  {r['holder']}  {r['organization']}  {r['level_name']}  {r['issued_on']}–"
                   f"{r['expires_on']}  {r['status']}")


@certificates_group.command("verify")
@click.argument("number")
def certificates_verify(number: str) -> None:
    """Print the certificate's status; exit 0 only when it is valid (1 otherwise, 2 when unknown)."""
    from sqlalchemy import select

    from exam.models import Certificate
    from exam.services.certificates import certificate_record, china_date
    from exam.services.numbering import is_valid_number
    from exam.web.common import certificate_settings

    number = number.strip().upper()
    if not is_valid_number(number):
        click.echo(f"{number}: 不是有效的证书编号 (格式或校验位不符, 可能输错了一位)")
        raise SystemExit(2)
    cert = db.session.scalars(select(Certificate).where(Certificate.number == number)).one_or_none()
    if cert is None:
        click.echo(f"{number}: 不存在")
        raise SystemExit(2)
    r = certificate_record(cert, china_date(clock.now()), certificate_settings())
    click.echo(f"{number}: {r['status']} ({r['level_name']}, {r['issued_on']} 至 {r['expires_on']})")
    raise SystemExit(0 if r["status"] == "valid" else 1)


@certificates_group.command("revoke")
@click.argument("number")
@click.option("--reason", required=True, help="记入审计日志")
def certificates_revoke(number: str, reason: str) -> None:
    """Revoke a certificate with a reason (audited); /verify shows it as revoked from now on."""
    from sqlalchemy import select

    from exam.models import Certificate
    from exam.services.certificates import revoke_certificate

    cert = db.session.scalars(select(Certificate).where(Certificate.number == number.strip().upper())).one_or_none()
    if cert is None:
        raise click.ClickException(f"证书 {number} 不存在")
    try:
        revoke_certificate(db.session, cert, reason, actor_id=None, now=clock.now())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"{cert.number} 已撤销。")


@click.group("api", help="供其他人力系统调用的 API 令牌")
def api_group() -> None:
    pass


@api_group.command("issue-token")
@click.argument("name")
@click.option("--admin", "admin_username", required=True, help="issuing administrator's username (audited)")
def api_issue_token(name: str, admin_username: str) -> None:
    """Issue a token for the system NAME; it is printed once and stored only as a hash."""
    from sqlalchemy import select

    from exam.models import Role, User
    from exam.services.api_tokens import issue_token

    admin = db.session.scalars(select(User).where(User.username == admin_username)).one_or_none()
    if admin is None or not admin.has_role(Role.ADMIN):
        raise click.ClickException(f"{admin_username} 不是管理员")
    row, token = issue_token(db.session, name, actor_id=admin.id, now=clock.now())
    db.session.commit()
    click.echo(f"令牌 #{row.id} ({row.name}), 只显示这一次: {token}")


@click.command("worker", help="后台工作进程: 生成证书 PDF, 到时收卷 (PostgreSQL 上为任务队列)")
@click.option("--once", is_flag=True, help="只做一轮: 收取超时试卷并生成待生成的证书, 然后退出")
def worker_command(once: bool) -> None:
    """Render certificate PDFs and finalise attempts past their deadline, outside the web requests."""
    import logging
    import os

    from exam.jobs import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if current_app.config["JOB_WORKER_NICE"] > 0:
        os.nice(current_app.config["JOB_WORKER_NICE"])  # the trainees' requests first; PDFs in the idle time
    run_worker(current_app._get_current_object(), once=once)  # type: ignore[attr-defined]
