"""Item analysis (试题分析): how each item and each form of a set of graded attempts behaved.

Per item (question version): facility p (the mean share of its points earned), the corrected
item–total correlation (the item against the rest of the paper: the point-biserial for items scored
0/1), the upper–lower 27 % discrimination index D, option choice rates overall and in the upper and
lower groups, mean score and spread. Per form (a pool paper; papers drawn one per trainee are forms of
one and have no reliability): KR-20 (every item scored all or nothing) or Cronbach's α, the standard
error of measurement, the score distribution and the pass rate. Flags follow thresholds that are
settings (``AnalysisSettings``).

``load_responses`` reads the responses in one statement, a chunk at a time, into columns;
``analyse`` is a pure function of those columns, vectorised with numpy, so 10,000 attempts × 85
items take about as long as reading them (``bench/bench_item_analysis.py``).
"""
from __future__ import annotations

import enum
import itertools
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.orm import Session

from exam.models import Answer, Attempt, AttemptKind, AttemptState, PaperItem, PoolPaper, Question, QuestionVersion
from question_bank import QuestionType
from question_bank.allocations import no_cycle_collection
from question_bank.records import OPTION_LETTERS

if TYPE_CHECKING:  # imported by the functions that compute: numpy takes a seventh of a second to import, which a
    # process that never analyses a sitting (the CLI's bank commands) need not pay
    import numpy as np

#: share of attempts in each of the upper and lower groups (Kelley's 27 %)
GROUP_SHARE = 0.27
#: bins of the score distribution
HISTOGRAM_BINS = 20
CHOICE_TYPES = (QuestionType.TRUE_FALSE, QuestionType.SINGLE, QuestionType.MULTIPLE)
#: a wrong option is "the strong's choice" when at least this share of the upper group picks it, more than of the lower
STRONG_DISTRACTOR_SHARE = 0.1
#: the count of responses that chose anything, beside the per-option counts
ANSWERED = ("", 0)


class Flag(enum.IntFlag):
    HARD = 1
    EASY = 2
    #: discrimination below the setting (negative included)
    WEAK = 4
    NEGATIVE = 8
    #: a wrong option (almost) nobody picks
    UNUSED_DISTRACTOR = 16
    #: a wrong option the upper group picks more often than the lower group (and at least 10 % of it)
    STRONG_DISTRACTOR = 32


FLAG_NAMES = {Flag.HARD: "hard", Flag.EASY: "easy", Flag.WEAK: "weak", Flag.NEGATIVE: "negative",
              Flag.UNUSED_DISTRACTOR: "unused_distractor", Flag.STRONG_DISTRACTOR: "strong_distractor"}
FLAG_LABELS = {"hard": "过难", "easy": "过易", "weak": "区分度低", "negative": "负区分度 (建议停用)",
               "unused_distractor": "干扰项无人选", "strong_distractor": "干扰项吸引高分组", "low_alpha": "信度偏低"}
#: the bank filter 被标记的题目: value → (label, flags)
FLAG_FILTERS = {
    "any": ("任一标记", int(sum(FLAG_NAMES))),
    "negative": ("负区分度 (建议停用)", int(Flag.NEGATIVE)),
    "weak": ("区分度低", int(Flag.WEAK)),
    "hard": ("过难", int(Flag.HARD)),
    "easy": ("过易", int(Flag.EASY)),
    "distractor": ("干扰项有问题", int(Flag.UNUSED_DISTRACTOR | Flag.STRONG_DISTRACTOR)),
}


def flag_names(flags: int) -> list[str]:
    return [name for bit, name in FLAG_NAMES.items() if flags & bit]


def flags_of(names: Iterable[str]) -> int:
    bits = {name: int(bit) for bit, name in FLAG_NAMES.items()}
    return sum(bits.get(n, 0) for n in set(names))


@dataclass(frozen=True)
class AnalysisSettings:
    """Thresholds of the flags (config ``ANALYSIS_*``, env ``EXAM_ANALYSIS_*``)."""

    min_p: float = 0.2
    max_p: float = 0.9
    min_discrimination: float = 0.2
    min_alpha: float = 0.7
    #: an item (or form) is judged only with at least this many responses (attempts)
    min_responses: int = 30
    #: a wrong option chosen by fewer than this share of respondents is "nobody's choice"
    unused_distractor_rate: float = 0.02

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AnalysisSettings:
        names = {"min_p": "ANALYSIS_MIN_P", "max_p": "ANALYSIS_MAX_P",
                 "min_discrimination": "ANALYSIS_MIN_DISCRIMINATION", "min_alpha": "ANALYSIS_MIN_ALPHA",
                 "min_responses": "ANALYSIS_MIN_RESPONSES", "unused_distractor_rate": "ANALYSIS_UNUSED_DISTRACTOR"}
        return cls(**{k: config[v] for k, v in names.items() if v in config})


# ---- input ----------------------------------------------------------------------------------------------------

@dataclass
class Responses:
    """One entry per (attempt, paper item): the columns ``analyse`` reads."""

    attempt: np.ndarray
    version: np.ndarray
    points: np.ndarray
    score: np.ndarray
    #: the response as JSON text for choice items (None: not a choice item or unanswered)
    response: list[str | None]


@dataclass(frozen=True)
class AttemptInfo:
    id: int
    #: the pool paper (form) it was given; None: a paper drawn for this attempt alone
    form: int | None
    passed: bool
    pass_mark: float
    total_points: float
    finished_at: datetime | None


@dataclass(frozen=True)
class VersionInfo:
    question_id: int
    key: str
    version: int
    type: QuestionType
    area: str
    answer: Any
    options: tuple[str, ...] = ()


# ---- output ---------------------------------------------------------------------------------------------------

@dataclass
class OptionStat:
    option: str
    label: str
    key: bool
    rate: float
    upper: float | None
    lower: float | None


@dataclass
class ItemResult:
    question_id: int
    version_id: int
    key: str
    version: int
    type: str
    area: str
    points: float
    responses: int
    p: float
    mean_score: float
    sd: float | None
    r_corrected: float | None
    d_index: float | None
    p_upper: float | None
    p_lower: float | None
    options: list[OptionStat] = field(default_factory=list)
    unanswered: float = 0.0
    flags: int = 0


@dataclass
class FormResult:
    form: str
    label: str
    attempts: int
    items: int
    mean: float | None
    sd: float | None
    #: KR-20 or Cronbach's α; None where it cannot be computed (one attempt, each trainee a different paper)
    alpha: float | None
    alpha_kind: str
    sem: float | None
    pass_rate: float | None
    histogram: list[int]
    flags: list[str] = field(default_factory=list)


@dataclass
class Analysis:
    attempts: int
    mean: float | None
    sd: float | None
    pass_rate: float | None
    pass_mark: float
    total_points: float
    edges: list[float]
    histogram: list[int]
    forms: list[FormResult]
    items: list[ItemResult]
    settings: AnalysisSettings
    data_until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The figures the page, the .xlsx and ``stats items --json`` show."""
        out = {"attempts": self.attempts, "mean": _r(self.mean), "sd": _r(self.sd), "pass_rate": _r(self.pass_rate),
               "pass_mark": self.pass_mark, "total_points": self.total_points,
               "histogram": {"edges": self.edges, "counts": self.histogram},
               "forms": [asdict(f) | {k: _r(getattr(f, k)) for k in ("mean", "sd", "alpha", "sem", "pass_rate")}
                         for f in self.forms],
               "items": [item_json(i) for i in self.items],
               "settings": asdict(self.settings),
               "data_until": self.data_until.isoformat() if self.data_until else None}
        return out


def item_json(i: ItemResult) -> dict[str, Any]:
    d = asdict(i)
    for k in ("p", "mean_score", "sd", "r_corrected", "d_index", "p_upper", "p_lower", "unanswered"):
        d[k] = _r(d[k])
    d["options"] = [o | {k: _r(o[k]) for k in ("rate", "upper", "lower")} for o in d["options"]]
    d["flags"] = flag_names(i.flags)
    return d


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


# ---- the computation ------------------------------------------------------------------------------------------

def analyse(responses: Responses, attempts: Mapping[int, AttemptInfo], versions: Mapping[int, VersionInfo],
            settings: AnalysisSettings, form_labels: Mapping[int, str] | None = None) -> Analysis:
    """Every figure of the module docstring, from the responses' columns (pure)."""
    import numpy as np

    form_labels = form_labels or {}
    att_ids = np.array(sorted(attempts), dtype=np.int64)
    n_att = len(att_ids)
    total_points = float(max((a.total_points for a in attempts.values()), default=100) or 100)
    pass_mark = float(Counter(a.pass_mark for a in attempts.values()).most_common(1)[0][0]) if attempts else 60.0
    edges = [round(total_points * b / HISTOGRAM_BINS, 4) for b in range(HISTOGRAM_BINS + 1)]
    data_until = max((a.finished_at for a in attempts.values() if a.finished_at), default=None)
    if n_att == 0 or len(responses.attempt) == 0:
        return Analysis(n_att, None, None, None, pass_mark, total_points, edges, [0] * HISTOGRAM_BINS, [], [],
                        settings, data_until)

    a_idx = np.minimum(np.searchsorted(att_ids, responses.attempt), n_att - 1)
    known = att_ids[a_idx] == responses.attempt
    if not known.all():  # an attempt graded between the two reads: analyse the attempts read first
        responses = Responses(responses.attempt[known], responses.version[known], responses.points[known],
                              responses.score[known], [t for t, k in zip(responses.response, known, strict=True) if k])
        a_idx = a_idx[known]
    ver_ids, first, v_idx = np.unique(responses.version, return_index=True, return_inverse=True)
    n_items = len(ver_ids)
    s = responses.score.astype(np.float64)
    pts = responses.points.astype(np.float64)
    frac = np.divide(s, pts, out=np.zeros_like(s), where=pts > 0)
    totals = np.round(np.bincount(a_idx, weights=s, minlength=n_att), 6)
    passed = np.array([attempts[int(i)].passed for i in att_ids], dtype=bool)

    # corrected item–total correlation: the item's score against the rest of the paper, per item, centred
    rest = totals[a_idx] - s
    n = np.bincount(v_idx, minlength=n_items).astype(np.float64)
    mean_x = np.bincount(v_idx, weights=s, minlength=n_items) / n
    mean_y = np.bincount(v_idx, weights=rest, minlength=n_items) / n
    dx, dy = s - mean_x[v_idx], rest - mean_y[v_idx]
    sxx = np.bincount(v_idx, weights=dx * dx, minlength=n_items)
    syy = np.bincount(v_idx, weights=dy * dy, minlength=n_items)
    sxy = np.bincount(v_idx, weights=dx * dy, minlength=n_items)
    p = np.bincount(v_idx, weights=frac, minlength=n_items) / n

    # upper and lower 27 %: attempts ordered by total, ties by attempt id
    group = np.zeros(n_att, dtype=np.int8)
    g = int(math.floor(n_att * GROUP_SHARE + 0.5))
    if g >= 1 and 2 * g <= n_att:
        order = np.lexsort((att_ids, totals))
        group[order[:g]], group[order[-g:]] = 1, 2
    row_group = group[a_idx]
    p_group = {}
    count_group = {}
    for code in (1, 2):
        m = row_group == code
        count_group[code] = np.bincount(v_idx[m], minlength=n_items).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            p_group[code] = np.bincount(v_idx[m], weights=frac[m], minlength=n_items) / count_group[code]

    choices = _choice_counts(responses.response, v_idx, row_group)

    items = []
    for k, vid in enumerate(ver_ids):
        v = versions[int(vid)]
        nk = int(n[k])
        r = float(sxy[k] / math.sqrt(sxx[k] * syy[k])) if nk >= 3 and sxx[k] > 1e-9 and syy[k] > 1e-9 else None
        has_groups = count_group[1][k] > 0 and count_group[2][k] > 0
        pu, pl = (float(p_group[2][k]), float(p_group[1][k])) if has_groups else (None, None)
        d = pu - pl if has_groups else None
        options, unanswered = _options(v, choices.get(k, {}), nk, count_group[2][k], count_group[1][k])
        item = ItemResult(
            question_id=v.question_id, version_id=int(vid), key=v.key, version=v.version, type=v.type.value,
            area=v.area, points=float(pts[first[k]]), responses=nk, p=float(p[k]),
            mean_score=float(mean_x[k]), sd=float(math.sqrt(sxx[k] / (nk - 1))) if nk >= 2 else None,
            r_corrected=r, d_index=d, p_upper=pu, p_lower=pl, options=options, unanswered=unanswered)
        item.flags = int(_item_flags(item, settings))
        items.append(item)
    items.sort(key=lambda i: (i.key, i.version))

    forms = _forms(attempts, att_ids, a_idx, v_idx, s, pts, totals, passed, edges, settings, form_labels)
    return Analysis(n_att, float(totals.mean()), float(totals.std(ddof=1)) if n_att >= 2 else None,
                    float(passed.mean()), pass_mark, total_points, edges, _histogram(totals, edges), forms, items,
                    settings, data_until)


def _choice_counts(response: list[str | None], v_idx: np.ndarray, row_group: np.ndarray) -> dict[int, dict]:
    """item index → {(option, group): count}, group 0 = all; each distinct response text parsed once.

    Distinct responses are numbered (a dict filled in C by ``map``), then (item, group, response) triples are
    counted with numpy."""
    import numpy as np

    numbers: defaultdict[str | None, int] = defaultdict(itertools.count().__next__)
    numbers[None]  # noqa: B018  (unanswered is number 0)
    code = np.fromiter(map(numbers.__getitem__, response), dtype=np.int64, count=len(response))
    texts = list(numbers)
    answered = code > 0
    key = (v_idx[answered].astype(np.int64) * 3 + row_group[answered]) * len(texts) + code[answered]
    triples, counts = np.unique(key, return_counts=True)
    parsed: dict[int, tuple[str, ...]] = {}
    out: dict[int, dict] = {}
    for triple, count in zip(triples.tolist(), counts.tolist(), strict=True):
        rest, number = divmod(triple, len(texts))
        k, grp = divmod(rest, 3)
        chosen = parsed.get(number)
        if chosen is None:
            chosen = parsed[number] = _chosen(texts[number])
        counts_k = out.setdefault(k, Counter())
        if chosen:
            counts_k[ANSWERED] += count
        for option in chosen:
            counts_k[(option, 0)] += count
            if grp:
                counts_k[(option, grp)] += count
    return out


def _chosen(text: str) -> tuple[str, ...]:
    """Canonical response JSON → the options it chose ("true"/"false" for a true/false item)."""
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(x for x in value if isinstance(x, str))
    return ()


def _options(v: VersionInfo, counts: Mapping, n: int, n_upper: float, n_lower: float) -> tuple[list[OptionStat], float]:
    if v.type not in CHOICE_TYPES or n == 0:
        return [], 0.0
    if v.type is QuestionType.TRUE_FALSE:
        listed = [("true", "对", v.answer is True), ("false", "错", v.answer is False)]
    else:
        key = set(v.answer or ())
        listed = [(letter, letter, letter in key) for letter in OPTION_LETTERS[:len(v.options)]]
    out = [OptionStat(opt, label, is_key, counts.get((opt, 0), 0) / n,
                      counts.get((opt, 2), 0) / n_upper if n_upper else None,
                      counts.get((opt, 1), 0) / n_lower if n_lower else None) for opt, label, is_key in listed]
    return out, max(0.0, 1 - counts.get(ANSWERED, 0) / n)


def _item_flags(i: ItemResult, s: AnalysisSettings) -> Flag:
    flags = Flag(0)
    if i.responses < s.min_responses:
        return flags
    if i.p < s.min_p:
        flags |= Flag.HARD
    if i.p > s.max_p:
        flags |= Flag.EASY
    if i.d_index is not None:
        if i.d_index < s.min_discrimination:
            flags |= Flag.WEAK
        if i.d_index < 0:
            flags |= Flag.NEGATIVE
    if i.type in (QuestionType.SINGLE.value, QuestionType.MULTIPLE.value):
        wrong = [o for o in i.options if not o.key]
        if any(o.rate < s.unused_distractor_rate for o in wrong):
            flags |= Flag.UNUSED_DISTRACTOR
        if any(o.upper is not None and o.lower is not None and o.upper >= STRONG_DISTRACTOR_SHARE and o.upper > o.lower
               for o in wrong):
            flags |= Flag.STRONG_DISTRACTOR
    return flags


def _histogram(totals: np.ndarray, edges: list[float]) -> list[int]:
    import numpy as np

    counts, _ = np.histogram(np.clip(totals, edges[0], edges[-1]), bins=np.array(edges))
    return [int(c) for c in counts]


def _forms(attempts: Mapping[int, AttemptInfo], att_ids: np.ndarray, a_idx: np.ndarray, v_idx: np.ndarray,
           s: np.ndarray, pts: np.ndarray, totals: np.ndarray, passed: np.ndarray, edges: list[float],
           settings: AnalysisSettings, labels: Mapping[int, str]) -> list[FormResult]:
    """Per pool paper: reliability from the item and total variances of the attempts that sat it; the papers
    drawn one per attempt are reported together, without a reliability."""
    import numpy as np

    form_ids = sorted({a.form for a in attempts.values() if a.form is not None})
    f_of_att = np.array([-1 if attempts[int(i)].form is None else form_ids.index(attempts[int(i)].form)
                         for i in att_ids], dtype=np.int64) if form_ids else np.full(len(att_ids), -1)
    n_items = int(v_idx.max()) + 1
    f_row = f_of_att[a_idx]
    on_form = f_row >= 0
    pair = f_row[on_form] * n_items + v_idx[on_form]
    size = len(form_ids) * n_items
    x = s[on_form]
    cnt = np.bincount(pair, minlength=size).astype(np.float64)
    mean = np.divide(np.bincount(pair, weights=x, minlength=size), cnt, out=np.zeros(size), where=cnt > 0)
    ss = np.bincount(pair, weights=(x - mean[pair]) ** 2, minlength=size)
    partial = (x != 0) & (x != pts[on_form])
    not_dichotomous = np.bincount(f_row[on_form], weights=partial, minlength=len(form_ids)) > 0

    out = []
    for f, form in enumerate(form_ids):
        members = f_of_att == f
        nf = int(members.sum())
        t = totals[members]
        cells = slice(f * n_items, (f + 1) * n_items)
        k = int((cnt[cells] > 0).sum())
        alpha = sem = None
        sd = float(t.std(ddof=1)) if nf >= 2 else None
        if nf >= 2 and k >= 2 and sd and sd > 1e-9:
            item_var = float((ss[cells] / (nf - 1)).sum())
            alpha = k / (k - 1) * (1 - item_var / (sd * sd))
            sem = sd * math.sqrt(1 - alpha) if 0 <= alpha <= 1 else None
        flags = ["low_alpha"] if alpha is not None and alpha < settings.min_alpha and nf >= settings.min_responses else []
        out.append(FormResult(str(form), labels.get(form, f"试卷 #{form}"), nf, k, float(t.mean()), sd, alpha,
                              "α" if not_dichotomous[f] else "KR-20", sem, float(passed[members].mean()),
                              _histogram(t, edges), flags))
    drawn = f_of_att < 0
    if drawn.any():
        t = totals[drawn]
        nd = int(drawn.sum())
        out.append(FormResult("drawn", "每人单独组卷", nd, int(np.unique(v_idx[~on_form]).size), float(t.mean()),
                              float(t.std(ddof=1)) if nd >= 2 else None, None, "—", None,
                              float(passed[drawn].mean()), _histogram(t, edges)))
    return out


# ---- reading from the database --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """Which graded certification attempts to analyse: a sitting's, a pool paper's, or a level's in a date range
    (``start`` ≤ finished < ``end``, UTC)."""

    sitting_id: int | None = None
    pool_paper_id: int | None = None
    level_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None

    def where(self) -> list:
        clauses = [Attempt.state == AttemptState.GRADED, Attempt.kind == AttemptKind.CERTIFICATION]
        if self.sitting_id is not None:
            clauses.append(Attempt.sitting_id == self.sitting_id)
        if self.pool_paper_id is not None:
            clauses.append(Attempt.pool_paper_id == self.pool_paper_id)
        if self.level_id is not None:
            clauses.append(Attempt.level_id == self.level_id)
        if self.start is not None:
            clauses.append(Attempt.finished_at >= self.start)
        if self.end is not None:
            clauses.append(Attempt.finished_at < self.end)
        return clauses


def responses_statement(scope: Scope):  # noqa: ANN201
    """(attempt, version, points, score, choice response as JSON text) of every item of the scope's attempts."""
    response = case((PaperItem.type.in_(CHOICE_TYPES), cast(Answer.response, Text)), else_=None)
    return (select(PaperItem.attempt_id, PaperItem.question_version_id, PaperItem.points,
                   func.coalesce(Answer.score, 0.0), response)
            .join(Attempt, Attempt.id == PaperItem.attempt_id)
            .outerjoin(Answer, Answer.paper_item_id == PaperItem.id)
            .where(*scope.where()))


def load_responses(session: Session, scope: Scope, chunk: int = 50_000) -> Responses:
    """The scope's responses as columns, read in one statement a chunk at a time (Core rows, no ORM)."""
    import numpy as np

    cols: list[list] = [[], [], [], [], []]
    conn = session.connection()
    with no_cycle_collection():
        result = conn.execute(responses_statement(scope), execution_options={"yield_per": chunk})
        for rows in result.partitions():
            for col, values in zip(cols, zip(*rows, strict=True), strict=True):
                col.extend(values)
        text = [None if t is None or t == "null" else t for t in cols[4]]
        return Responses(np.array(cols[0], dtype=np.int64), np.array(cols[1], dtype=np.int64),
                         np.array(cols[2], dtype=np.float64), np.array(cols[3], dtype=np.float64), text)


def load_attempts(session: Session, scope: Scope) -> dict[int, AttemptInfo]:
    rows = session.execute(select(Attempt.id, Attempt.pool_paper_id, Attempt.passed, Attempt.pass_mark,
                                  Attempt.total_points, Attempt.finished_at).where(*scope.where()))
    return {r[0]: AttemptInfo(r[0], r[1], bool(r[2]), float(r[3]), float(r[4]), r[5]) for r in rows}


def load_versions(session: Session, version_ids: Iterable[int]) -> dict[int, VersionInfo]:
    ids = sorted(set(version_ids))
    out = {}
    for i in range(0, len(ids), 500):
        for r in session.execute(
                select(QuestionVersion.id, QuestionVersion.question_id, Question.key, QuestionVersion.version,
                       QuestionVersion.type, QuestionVersion.area_code, QuestionVersion.answer, QuestionVersion.options)
                .join(Question, Question.id == QuestionVersion.question_id)
                .where(QuestionVersion.id.in_(ids[i:i + 500]))):
            out[r[0]] = VersionInfo(r[1], r[2], r[3], r[4], r[5], r[6], tuple(r[7] or ()))
    return out


def form_labels(session: Session, form_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(form_ids))
    return {pid: f"平行试卷 #{pool} 第 {pos} 套" for pid, pool, pos in session.execute(
        select(PoolPaper.id, PoolPaper.pool_id, PoolPaper.position).where(PoolPaper.id.in_(ids)))} if ids else {}


def analyse_scope(session: Session, scope: Scope, settings: AnalysisSettings) -> Analysis:
    """Read and analyse the scope's graded certification attempts (nothing stored)."""
    import numpy as np

    attempts = load_attempts(session, scope)
    responses = load_responses(session, scope)
    versions = load_versions(session, np.unique(responses.version).tolist())
    labels = form_labels(session, {a.form for a in attempts.values() if a.form is not None})
    return analyse(responses, attempts, versions, settings, labels)
