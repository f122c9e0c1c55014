"""HR at a glance (概览): certificates issued, certification pass rates by level and organisation over time,
upcoming sittings with their enrolment, certificates expiring in the next 90 days (.xlsx for renewal planning).
Optionally for one organisation with everything below it."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from flask import Blueprint, render_template, request, send_file
from sqlalchemy import select

from exam import clock
from exam.extensions import db
from exam.models import Level, Organization, Role
from exam.services.certificates import CHINA_OFFSET, china_date
from exam.services.overview import (
    EXPIRING_DAYS,
    EXPIRING_HEADER,
    certificate_totals,
    certificates_per_month,
    expiring_certificates,
    expiring_row,
    month_keys,
    month_label,
    pass_rates_by_level,
    pass_rates_by_unit,
    units,
    upcoming_sittings,
)
from exam.services.sheets import write_table_xlsx
from exam.web.access import guard
from exam.web.charts import bar_chart, line_chart, share_bars
from exam.web.inputs import small_int

bp = Blueprint("hr_overview", __name__, url_prefix="/hr/overview")
guard(bp, Role.HR, Role.ADMIN)


def _organization() -> Organization | None:
    org_id = small_int(request.args.get("org", ""))
    return db.session.get(Organization, org_id) if org_id else None


@bp.route("/")
def index():  # noqa: ANN201
    now = clock.now()
    today = china_date(now)
    org = _organization()
    org_ids = org.subtree_ids(db.session) if org is not None else None
    levels = list(db.session.scalars(select(Level).order_by(Level.rank.desc())))
    months = month_keys(today)
    labels = [month_label(m) for m in months]
    issued = certificates_per_month(db.session, months, org_ids)
    rates = pass_rates_by_level(db.session, levels, months, org_ids)
    compared = units(db.session, org)
    year_ago = datetime(*months[0], 1) - CHINA_OFFSET
    by_unit = pass_rates_by_unit(db.session, levels, compared, year_ago)
    unit_rows = []
    for u in compared:
        passed, total = (sum(r.passed for r in by_unit[u.id].values()), sum(r.total for r in by_unit[u.id].values()))
        unit_rows.append((u.name, passed / total if total else None, f"{passed}/{total}"))
    expiring = expiring_certificates(db.session, today, org_ids=org_ids)
    return render_template(
        "hr/overview.html", org=org, orgs=db.session.scalars(select(Organization).order_by(Organization.code)).all(),
        today=today, totals=certificate_totals(db.session, today, org_ids), levels=levels, months=labels,
        issued_total_year=sum(issued), rates=rates, compared=compared, by_unit=by_unit,
        upcoming=upcoming_sittings(db.session, now, org_ids), expiring=expiring, expiring_days=EXPIRING_DAYS,
        issued_chart=bar_chart("certificates-per-month", "近 12 个月每月发证数", labels, issued, unit=" 张"),
        pass_chart=line_chart("pass-rate-by-level", "近 12 个月各等级正式考试合格率", labels,
                              [(lv.name, [r.share for r in rates[lv.code]]) for lv in levels], threshold=None),
        unit_chart=share_bars("pass-rate-by-unit", "近 12 个月各单位正式考试合格率", unit_rows),
        horizon=today + timedelta(days=EXPIRING_DAYS),
    )


@bp.route("/expiring.xlsx")
def expiring_xlsx():  # noqa: ANN201
    """The certificates expiring in the next 90 days (with days left), for renewal planning."""
    today = china_date(clock.now())
    org = _organization()
    certs = expiring_certificates(db.session, today, org_ids=org.subtree_ids(db.session) if org else None)
    out = io.BytesIO()
    title = (f"{EXPIRING_DAYS} 天内到期的证书 ({today} 至 {today + timedelta(days=EXPIRING_DAYS)})"
             + (f" · {org.name}及其下级单位" if org else ""))
    write_table_xlsx(out, "即将到期证书", EXPIRING_HEADER, (expiring_row(c, today) for c in certs),
                     widths=[26, 10, 12, 16, 14, 12, 12, 10], title=title)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=f"expiring-certificates-{today.isoformat()}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
