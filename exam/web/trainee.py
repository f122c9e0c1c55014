"""The trainee's pages: dashboard, the exam, results, own certificates."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError

from exam import clock
from exam.extensions import db
from exam.models import (
    Attempt,
    AttemptKind,
    AttemptState,
    Certificate,
    CertificateStatus,
    Enrolment,
    IllegalTransition,
    Level,
    PreparedPaper,
    Role,
    Sitting,
    SittingApplication,
)
from exam.ratelimit import Counter, limiter
from exam.services import version_cache
from exam.services.assembly import AssemblyError
from exam.services.attempts import client_state, exam_page, prepare_paper
from exam.services.autosave import AttemptNotFound, NotAllowed, save_answers
from exam.services.certificates import china_date
from exam.services.eligibility import eligibility_by_level
from exam.services.grading import area_results, finalize_overdue, submit_attempt
from exam.services.qtypes import ResponseError
from exam.services.registration import (
    RegistrationError,
    applications_of,
    apply_for_sitting,
    open_sittings,
    withdraw_application,
)
from exam.services.sittings import (
    SittingError,
    WrongSittingPassword,
    enrolment_attempt,
    mock_refusals,
    open_enrolment_and_attempt,
    record_wrong_password,
    start_certification,
    start_mock,
    trainee_enrolments,
)
from exam.web.access import checks_own_access, guard, session_user_id, session_version
from exam.web.common import certificate_settings, send_certificate
from exam.web.paper_token import paper_rows, paper_token

bp = Blueprint("trainee", __name__, url_prefix="/trainee")
SITTING_PASSWORD_ADDRESS = Counter("sitting-password-address", "SITTING_PASSWORD_LIMIT_ADDRESS")
guard(bp, Role.TRAINEE)


def _own_attempt(attempt_id: int) -> Attempt:
    """The trainee's own attempt, finalised first if its deadline has passed; others' are 404."""
    attempt = db.session.get(Attempt, attempt_id, options=[joinedload(Attempt.level).lazyload("*")])
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    now = clock.now()
    if attempt.is_overdue(now):
        db.lock_for_write()  # the attempt reloads under the write lock
        if finalize_overdue(db.session, attempt, now, certificate_settings()):
            db.session.commit()
    return attempt


@bp.route("/")
def dashboard():  # noqa: ANN201
    """Each level, whether the trainee may sit it now and why; their attempts and certificates."""
    now = clock.now()
    levels = db.session.scalars(select(Level).order_by(Level.rank.desc())).all()
    eligibility = eligibility_by_level(db.session, current_user, list(levels), china_date(now))
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.user_id == current_user.id).order_by(Attempt.started_at.desc())
    ).all()
    certs = db.session.scalars(select(Certificate).where(Certificate.user_id == current_user.id)).all()
    sittings: dict[int, list] = {}
    for e in trainee_enrolments(db.session, current_user, now):
        sittings.setdefault(e.sitting.level_id, []).append(e)
    applicable: dict[int, list] = {}
    passed = {c.level_id for c in certs if c.status_on(china_date(now)) is CertificateStatus.VALID}
    for s in open_sittings(db.session, current_user, now):
        if s.level_id not in passed:
            applicable.setdefault(s.level_id, []).append(s)
    return render_template("trainee/dashboard.html", levels=levels, eligibility=eligibility, attempts=attempts,
                           certs=certs, now=now, today=china_date(now), sittings=sittings, applicable=applicable,
                           applications=applications_of(db.session, current_user))


@bp.route("/sittings/<int:sitting_id>/apply", methods=["POST"])
def apply(sitting_id: int):  # noqa: ANN201
    """报名: ask HR to enrol the trainee in an upcoming sitting of their organisation (eligibility checked now and
    again when HR decides)."""
    sitting = db.session.get(Sitting, sitting_id) or abort(404)
    try:
        apply_for_sitting(db.session, current_user, sitting, clock.now())
        db.session.commit()
        flash(f"已提交{sitting.name}的报名申请, 等待人力部门审核。", "info")
    except IntegrityError:  # a second click at the same moment: the first application stands
        db.session.rollback()
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".dashboard"))


@bp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
def withdraw(application_id: int):  # noqa: ANN201
    application = db.session.get(SittingApplication, application_id)
    if application is None or application.user_id != current_user.id:
        abort(404)
    try:
        withdraw_application(db.session, application, clock.now())
        db.session.commit()
        flash(f"已撤回{application.sitting.name}的报名申请。", "info")
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".dashboard"))


@bp.route("/levels/<code>/start", methods=["POST"])
def start(code: str):  # noqa: ANN201
    """Start (or resume) the certification attempt of the level's sitting the trainee is enrolled in and
    whose window is open now; eligibility is checked again at the start."""
    level = _level(code)
    now = clock.now()
    running = _running(level, AttemptKind.CERTIFICATION, now)
    if running is not None:  # back after a dropped connection, even if the start window has closed since
        return redirect(url_for(".attempt", attempt_id=running.id))
    decision = eligibility_by_level(db.session, current_user, [level], china_date(now))[level.id]
    if not decision.eligible:
        flash(f"暂不能参加{level.name}考试: {decision.reason}", "error")
        return redirect(url_for(".dashboard"))
    enrolment, existing = open_enrolment_and_attempt(db.session, current_user, level, now)
    if enrolment is None:
        flash(f"您没有正在开考的{level.name}考场。正式考试须由人力部门安排考场并报名, 在开考窗口内进入; "
              "模拟考试随时可以参加。", "error")
        return redirect(url_for(".dashboard"))
    address = request.remote_addr or "unknown"
    if enrolment.sitting.password_hash and not SITTING_PASSWORD_ADDRESS.allowed(address):
        flash(f"本机考场密码错误次数过多, 请 {SITTING_PASSWORD_ADDRESS.window_minutes()} 分钟后再试或联系监考老师。",
              "error")
        return redirect(url_for(".dashboard")), 429
    known = iter([existing])  # read with the enrolment; a second try (after a double click) reads it again
    try:
        return _begin(lambda: start_certification(
            db.session, current_user, enrolment, now, certificate_settings(),
            password=request.form.get("password", "")[:200], remote_addr=request.remote_addr,
            existing=next(known, ...)))
    except WrongSittingPassword:
        db.session.rollback()
        config = current_app.config
        message = record_wrong_password(db.session, enrolment.id, now, tries=config["SITTING_PASSWORD_TRIES"],
                                        lock_minutes=config["SITTING_PASSWORD_LOCK_MINUTES"],
                                        remote_addr=request.remote_addr)
        db.session.commit()
        SITTING_PASSWORD_ADDRESS.hit(address)
        flash(message, "error")
        return redirect(url_for(".dashboard"))


@bp.route("/sittings/<int:sitting_id>/lobby")
def lobby(sitting_id: int):  # noqa: ANN201
    """候考: an enrolled trainee waits here with the server's countdown; at the start time the page enables
    进入正式考试 and enters on its own after a short random delay, so a room does not click in one instant."""
    enrolment, now = _own_enrolment(sitting_id), clock.now()
    sitting = enrolment.sitting
    attempt = enrolment_attempt(db.session, enrolment)
    if attempt is None and now < sitting.starts_at and db.session.get(PreparedPaper, enrolment.id) is None:
        db.lock_for_write()
        if prepare_paper(db.session, enrolment, now):
            db.session.commit()  # the paper is ready (unseen): at the start it is only copied
    return render_template("trainee/lobby.html", sitting=sitting, enrolment=enrolment, now=now,
                           attempt=attempt, **_lobby_state(sitting, now))


@bp.route("/sittings/<int:sitting_id>/lobby/state")
def lobby_state(sitting_id: int):  # noqa: ANN201
    """The lobby's countdown, from the server's clock (the page re-reads it now and then)."""
    return jsonify(_lobby_state(_own_enrolment(sitting_id).sitting, clock.now()))


def _own_enrolment(sitting_id: int) -> Enrolment:
    enrolment = db.session.scalars(select(Enrolment).where(
        Enrolment.sitting_id == sitting_id, Enrolment.user_id == current_user.id)).one_or_none()
    return enrolment or abort(404)


def _lobby_state(sitting: Sitting, now: datetime) -> dict:
    return {"seconds_to_start": max(0, int((sitting.starts_at - now).total_seconds() + 0.999)),
            "open": sitting.is_open(now), "closed": now >= sitting.ends_at}


@bp.route("/levels/<code>/mock", methods=["POST"])
def mock(code: str):  # noqa: ANN201
    """A mock exam (模拟考试): same paper rules and grading, never a certificate, practice-usable questions only;
    refused (with the reason) at a level whose certification attempt is running or whose sitting is open."""
    level = _level(code)
    return _begin(lambda: start_mock(db.session, current_user, level, clock.now(), certificate_settings()))


@bp.context_processor
def _mock_refusals() -> dict:
    """``mock_refusals(levels)`` for the dashboard: level id → why its 模拟考试 button is unavailable now."""
    return {"mock_refusals": lambda levels: mock_refusals(db.session, current_user, levels, clock.now())}


def _level(code: str) -> Level:
    """The level by code, its tables (weights, sections, difficulty mix) only loaded if something reads them."""
    return db.session.scalars(select(Level).where(Level.code == code).options(lazyload("*"))).one_or_none() \
        or abort(404)


def _running(level: Level, kind: AttemptKind, now: datetime) -> Attempt | None:
    """The trainee's running attempt of this kind at ``level``; one whose time is up is finalised
    (and committed) first, so its result stands whatever happens next."""
    attempt = db.session.scalars(select(Attempt).where(
        Attempt.user_id == current_user.id, Attempt.level_id == level.id, Attempt.kind == kind,
        Attempt.state == AttemptState.IN_PROGRESS)).one_or_none()
    if attempt is not None and finalize_overdue(db.session, attempt, now, certificate_settings()):
        db.session.commit()
        return None
    return attempt


def _begin(opener: Callable[[], Attempt]):  # noqa: ANN202
    try:
        attempt = opener()
        db.session.commit()
    except WrongSittingPassword:
        raise  # counted by the caller
    except SittingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".dashboard"))
    except AssemblyError as exc:
        db.session.rollback()
        flash(f"暂时无法组卷, 请联系培训师: {exc}", "error")
        return redirect(url_for(".dashboard"))
    except IntegrityError:
        # a second click started the same attempt at the same moment: resume the attempt it opened
        db.session.rollback()
        attempt = opener()
    return redirect(url_for(".attempt", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>")
def attempt(attempt_id: int):  # noqa: ANN201
    """The exam page: questions without keys, saved answers and the server's remaining time."""
    attempt = _own_attempt(attempt_id)
    if attempt.state is not AttemptState.IN_PROGRESS:
        return redirect(url_for(".result", attempt_id=attempt.id))
    items, state, paper = exam_page(db.session, attempt, clock.now())
    for item in items:
        item["html"] = _question_html(item)
    if paper is not None:  # sent back with every save (see exam.web.paper_token)
        state["paper"] = paper_token(attempt.id, paper)
    return render_template("trainee/attempt.html", attempt=attempt, items=items, state=state)


#: stands for the item's position in a rendered item, and ``_SHOWN + j`` for the text of the j-th option shown
#: (private-use characters; a version whose text holds one is rendered whole, without placeholders)
_POSITION = "\ue000"
_SHOWN = 0xE010
_PLACEHOLDERS = re.compile("[\ue000-\ue0ff]")


def _question_html(item: dict) -> Markup:
    """One exam item's HTML. Each version is rendered through Jinja once per process, with placeholders for
    its position and for its options' texts; a page fills them in for its own order of items and options. At
    a synchronized start everyone's page is assembled from the same few hundred rendered items, whatever
    order each candidate's options were shuffled into."""
    if not version_cache.derived(("exam-item-plain", item["version_id"]), lambda: not any(
            _PLACEHOLDERS.search(t) for t in (item.get("stem") or "", *item.get("stem_parts", ()),
                                             *item.get("options", ())))):
        return Markup(_question_macro()(item))
    options = item.get("options")
    slots = [chr(_SHOWN + j) for j in range(len(options))] if options else None
    key = ("exam-item", item["version_id"], item["points"], len(slots or ()))
    html = version_cache.derived(key, lambda: str(_question_macro()(item | {"position": _POSITION} | (
        {"options": slots} if slots else {}))))
    for slot, text in zip(slots or (), options or (), strict=True):
        html = html.replace(slot, escape(text))
    return Markup(html.replace(_POSITION, str(int(item["position"]))))


def _question_macro() -> Callable:
    return get_template_attribute("trainee/_question.html", "question")


@bp.route("/attempts/<int:attempt_id>/state")
def attempt_state(attempt_id: int):  # noqa: ANN201
    attempt = _own_attempt(attempt_id)
    return jsonify(client_state(db.session, attempt, clock.now()))


@bp.route("/attempts/<int:attempt_id>/answers", methods=["POST"])
@checks_own_access
@limiter.exempt  # no limit applies; skipping the look-up for limits is the hot path's share of exam day
def save(attempt_id: int):  # noqa: ANN201
    """Autosave: a batch of changes, each with the page's sequence number. One query reads the attempt, its
    owner's standing and the changed items, one upsert writes (no user, paper or answers loaded); an attempt
    past its deadline is refused (409) and finalised."""
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # nested deeper than any save
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), list) or len(payload["answers"]) > 500:
        _refuse_non_trainee()
        return jsonify(error="请求格式不正确。"), 400
    try:
        result = save_answers(db.session, attempt_id, session_user_id(), payload["answers"], clock.now(),
                              session_version=session_version() if session_version() is not None else -1,
                              paper=paper_rows(payload.get("paper"), attempt_id))
        db.session.commit()
    except (AttemptNotFound, NotAllowed):
        db.session.rollback()
        _refuse_non_trainee()
        abort(404)
    except ResponseError as exc:
        db.session.rollback()
        return jsonify(error=str(exc)), 400
    except IllegalTransition as exc:
        db.session.rollback()
        attempt = _own_attempt(attempt_id)  # past its deadline: finalised now from its saved answers
        return jsonify(error=str(exc), state=attempt.state.value, remaining_seconds=0), 409
    return jsonify(saved=result.saved, stale=result.stale, state=result.state.value,
                   remaining_seconds=result.remaining_seconds)


def _refuse_non_trainee() -> None:
    """The guard's answer for the session's user, on the rare paths of a view that checks its own access."""
    if not current_user.is_authenticated:
        abort(401)
    if not current_user.has_role(Role.TRAINEE):
        abort(403)


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
def submit(attempt_id: int):  # noqa: ANN201
    """Idempotent: a second click or a second tab lands on the same result."""
    attempt = _own_attempt(attempt_id)
    try:
        submit_attempt(db.session, attempt, clock.now(), certificate_settings())
        db.session.commit()
    except StaleDataError:
        db.session.rollback()  # the other tab won; its result is the result
    if request.is_json:
        return jsonify(state=attempt.state.value, result_url=url_for(".result", attempt_id=attempt.id))
    return redirect(url_for(".result", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>/result")
def result(attempt_id: int):  # noqa: ANN201
    """Total, pass/fail and points per knowledge area (final once every item is marked)."""
    attempt = _own_attempt(attempt_id)
    if attempt.state is AttemptState.IN_PROGRESS:
        return redirect(url_for(".attempt", attempt_id=attempt.id))
    cert = db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one_or_none()
    return render_template("trainee/result.html", attempt=attempt, areas=area_results(db.session, attempt),
                           cert=cert)


@bp.route("/certificates/<int:cert_id>.pdf")
def certificate_pdf(cert_id: int):  # noqa: ANN201
    cert = db.session.get(Certificate, cert_id)
    if cert is None or cert.user_id != current_user.id:
        abort(404)
    return send_certificate(cert)
