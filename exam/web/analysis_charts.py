"""Server-rendered SVG plots of item analysis (试题分析): score histogram, p–D scatter, option bars, trends.

Colours come from classes in ``app.css`` (the CSP allows no inline styles); every mark carries a
``<title>`` so hovering names the figure.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup, escape


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, label: str, body: list[str], cls: str = "chart") -> Markup:
    return Markup(f'<svg class="{cls}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
                  f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
                  f'<title>{escape(label)}</title>{"".join(body)}</svg>')


def _text(x: float, y: float, s: Any, anchor: str = "middle", cls: str = "axis-label", extra: str = "") -> str:
    return f'<text x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="{anchor}" class="{cls}"{extra}>{escape(s)}</text>'


def _nice_step(top: float, ticks: int = 5) -> float:
    raw = max(top, 1) / ticks
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if step >= raw:
            return step
    return raw


def histogram(counts: Sequence[int], edges: Sequence[float], pass_mark: float, title: str = "成绩分布") -> Markup:
    """Bars of attempts per score band, those below the pass mark in the muted colour, the pass mark as a line."""
    w, h, left, right, top, bottom = 640, 260, 44, 12, 18, 40
    pw, ph = w - left - right, h - top - bottom
    lo, hi = edges[0], edges[-1]
    ymax = max(max(counts, default=0), 1)
    step = _nice_step(ymax)
    ytop = step * -(-ymax // step)
    x = lambda v: left + (v - lo) / (hi - lo or 1) * pw  # noqa: E731
    y = lambda v: top + ph - v / ytop * ph  # noqa: E731
    body = [f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" class="plot-area"/>']
    tick = 0.0
    while tick <= ytop:
        body.append(f'<line x1="{left}" x2="{left + pw}" y1="{_fmt(y(tick))}" y2="{_fmt(y(tick))}" class="gridline"/>')
        body.append(_text(left - 6, y(tick) + 4, int(tick), "end"))
        tick += step
    for i, c in enumerate(counts):
        x0, x1 = x(edges[i]), x(edges[i + 1])
        cls = "bar bar-pass" if edges[i] >= pass_mark else "bar bar-fail"
        body.append(f'<rect x="{_fmt(x0 + 1)}" y="{_fmt(y(c))}" width="{_fmt(max(x1 - x0 - 2, 1))}" '
                    f'height="{_fmt(y(0) - y(c))}" class="{cls}"><title>{_fmt(edges[i])}–{_fmt(edges[i + 1])} 分: '
                    f'{c} 人</title></rect>')
    for i, e in enumerate(edges):
        if i % 2 == 0:
            body.append(_text(x(e), top + ph + 16, _fmt(e)))
    px = x(pass_mark)
    body.append(f'<line x1="{_fmt(px)}" x2="{_fmt(px)}" y1="{top}" y2="{top + ph}" class="pass-line"/>')
    body.append(_text(px + 4, top + 12, f"合格线 {_fmt(pass_mark)} 分", "start", "pass-label"))
    body.append(_text(left + pw / 2, h - 4, "分数"))
    body.append(_text(12, top + ph / 2, "人数", extra=f' transform="rotate(-90 12 {_fmt(top + ph / 2)})"'))
    return _svg(w, h, title, body)


def scatter(items: Sequence[dict], min_p: float, max_p: float, min_d: float,
            link: Callable[[dict], str] | None = None, title: str = "难度与区分度") -> Markup:
    """Each item at (p, D); the flagged regions (too hard, too easy, weak, negative) shaded."""
    w, h, left, right, top, bottom = 640, 400, 52, 16, 16, 44
    pw, ph = w - left - right, h - top - bottom
    x = lambda v: left + v * pw  # noqa: E731
    y = lambda v: top + (1 - v) / 2 * ph  # noqa: E731   D from -1 (bottom) to 1 (top)
    body = [f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" class="plot-area"/>',
            f'<rect x="{left}" y="{_fmt(y(min_d))}" width="{pw}" height="{_fmt(y(-1) - y(min_d))}" class="flag-zone">'
            f'<title>区分度低于 {_fmt(min_d)}</title></rect>',
            f'<rect x="{left}" y="{_fmt(y(0))}" width="{pw}" height="{_fmt(y(-1) - y(0))}" class="flag-zone strong">'
            f'<title>负区分度: 建议停用</title></rect>',
            f'<rect x="{left}" y="{top}" width="{_fmt(x(min_p) - left)}" height="{ph}" class="flag-zone">'
            f'<title>过难: p 低于 {_fmt(min_p)}</title></rect>',
            f'<rect x="{_fmt(x(max_p))}" y="{top}" width="{_fmt(left + pw - x(max_p))}" height="{ph}" class="flag-zone">'
            f'<title>过易: p 高于 {_fmt(max_p)}</title></rect>']
    for t in (-1, -0.5, 0, 0.5, 1):
        body.append(f'<line x1="{left}" x2="{left + pw}" y1="{_fmt(y(t))}" y2="{_fmt(y(t))}" class="gridline"/>')
        body.append(_text(left - 6, y(t) + 4, _fmt(t), "end"))
    for t in (0, 0.2, 0.4, 0.6, 0.8, 1):
        body.append(_text(x(t), top + ph + 16, _fmt(t)))
    body.append(_text(left + 4, y(-1) - 6, "负区分度 (建议停用)", "start", "zone-label"))
    for it in items:
        d = it.get("d_index")
        if d is None:
            continue
        cls = "point flagged" if it.get("flags") else "point"
        tip = f'{it["key"]}: p={it["p"]:.2f}, D={d:.2f}' + (
            "; " + "、".join(it.get("flag_labels", [])) if it.get("flag_labels") else "")
        dot = (f'<circle cx="{_fmt(x(it["p"]))}" cy="{_fmt(y(d))}" r="4.5" class="{cls}">'
               f'<title>{escape(tip)}</title></circle>')
        body.append(f'<a href="{escape(link(it))}">{dot}</a>' if link else dot)
    body.append(_text(left + pw / 2, h - 6, "难度: 通过率 p (越大越容易)"))
    body.append(_text(14, top + ph / 2, "区分度 D (高低分组 27%)",
                      extra=f' transform="rotate(-90 14 {_fmt(top + ph / 2)})"'))
    return _svg(w, h, title, body)


def option_bars(options: Sequence[dict], unanswered: float | None = None, title: str = "选项选择率") -> Markup:
    """Per option, the share of the upper and of the lower group that chose it; the key marked ✓."""
    rows = [(f'{o["label"]}{" ✓" if o["key"] else ""}', o.get("upper"), o.get("lower"), o["rate"], o["key"])
            for o in options]
    if unanswered:
        rows.append(("未作答", None, None, unanswered, False))
    w, left, right, bar, gap = 420, 64, 56, 9, 8
    h = 34 + len(rows) * (2 * bar + gap)
    pw = w - left - right
    body = [_text(left, 12, "■ 高分组", "start", "legend upper"), _text(left + 80, 12, "■ 低分组", "start", "legend lower"),
            _text(left + 160, 12, "(全体)", "start", "legend")]
    y0 = 22
    for label, upper, lower, rate, is_key in rows:
        body.append(_text(left - 6, y0 + bar + 4, label, "end", "option-key" if is_key else "axis-label"))
        for k, (value, cls, name) in enumerate(((upper, "upper", "高分组"), (lower, "lower", "低分组"))):
            if value is None:
                continue
            yy = y0 + k * bar
            body.append(f'<rect x="{left}" y="{yy}" width="{_fmt(max(value * pw, 0.5))}" height="{bar - 1}" '
                        f'class="obar {cls}{" key" if is_key else ""}"><title>{escape(label)} {name}: '
                        f'{value:.0%}</title></rect>')
        body.append(_text(left + pw + 4, y0 + bar + 4, f"{rate:.0%}", "start"))
        y0 += 2 * bar + gap
    return _svg(w, h, title, body, "chart small-chart")


def line_chart(x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None], str]], *,
               lo: float, hi: float, reference: float | None = None, width: int = 420, height: int = 160,
               title: str = "", percent: bool = False) -> Markup:
    """Lines across attempts or sittings; ``series`` = (name, values, css class)."""
    left, right, top, bottom = 40, 12, 22, 30
    pw, ph = width - left - right, height - top - bottom
    n = max(len(x_labels), 1)
    x = lambda i: left + (pw / 2 if n == 1 else i / (n - 1) * pw)  # noqa: E731
    y = lambda v: top + (hi - v) / (hi - lo or 1) * ph  # noqa: E731
    show = (lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:.2f}")  # noqa: E731
    body = [f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" class="plot-area"/>']
    for t in (lo, (lo + hi) / 2, hi):
        body.append(f'<line x1="{left}" x2="{left + pw}" y1="{_fmt(y(t))}" y2="{_fmt(y(t))}" class="gridline"/>')
        body.append(_text(left - 4, y(t) + 4, show(t), "end"))
    if reference is not None:
        body.append(f'<line x1="{left}" x2="{left + pw}" y1="{_fmt(y(reference))}" y2="{_fmt(y(reference))}" '
                    f'class="pass-line"/>')
    step = max(1, -(-len(x_labels) // 6))
    for i, lab in enumerate(x_labels):
        if i % step == 0 or i == len(x_labels) - 1:
            body.append(_text(x(i), top + ph + 16, lab))
    lx = left
    for name, values, cls in series:
        pts = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        if len(pts) > 1:
            body.append(f'<polyline points="{" ".join(f"{_fmt(a)},{_fmt(b)}" for a, b in pts)}" class="line {cls}"/>')
        for i, v in enumerate(values):
            if v is not None:
                body.append(f'<circle cx="{_fmt(x(i))}" cy="{_fmt(y(v))}" r="3" class="dot {cls}">'
                            f'<title>{escape(name)} · {escape(x_labels[i])}: {show(v)}</title></circle>')
        if len(series) > 1:
            body.append(_text(lx, 12, f"● {name}", "start", f"legend {cls}"))
            lx += 14 * len(name) + 30
    return _svg(width, height, title, body, "chart small-chart")


def sparkline(values: Sequence[float | None], labels: Sequence[str], title: str, reference: float = 0.6) -> Markup:
    """A share (0–1) across attempts, small enough for a table cell; the dashed line is the pass share."""
    w, h, pad = 150, 36, 4
    n = max(len(values), 1)
    x = lambda i: pad + (w - 2 * pad) * (0.5 if n == 1 else i / (n - 1))  # noqa: E731
    y = lambda v: pad + (1 - v) * (h - 2 * pad)  # noqa: E731
    body = [f'<line x1="{pad}" x2="{w - pad}" y1="{_fmt(y(reference))}" y2="{_fmt(y(reference))}" class="pass-line"/>']
    pts = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
    if len(pts) > 1:
        body.append(f'<polyline points="{" ".join(f"{_fmt(a)},{_fmt(b)}" for a, b in pts)}" class="line area-line"/>')
    for i, v in enumerate(values):
        if v is not None:
            cls = "dot area-line" + (" low" if v < reference else "")
            body.append(f'<circle cx="{_fmt(x(i))}" cy="{_fmt(y(v))}" r="2.5" class="{cls}">'
                        f'<title>{escape(labels[i])}: {v:.0%}</title></circle>')
    return _svg(w, h, title, body, "chart sparkline")
