"""Small charts drawn on the server as inline SVG: no script, no CDN, nothing the Content-Security-Policy has to
allow (colours are presentation attributes; the rest is styled by ``app.css``). Each chart names itself for
screen readers (``role="img"`` with a ``<title>``) and carries its numbers as text."""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

#: one colour per series (levels L4 → L1), the site's red first
PALETTE = ("#9b1c1c", "#1d4ed8", "#047857", "#b45309", "#6d28d9", "#0e7490")


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(name: str, title: str, width: int, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" data-chart="{escape(name)}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def bar_chart(name: str, title: str, labels: Sequence[str], values: Sequence[float], *, width: int = 560,
              height: int = 200, unit: str = "") -> Markup:
    """Vertical bars with their values above them and the labels below."""
    top, bottom, left, right = 18, 24, 8, 8
    plot_h, plot_w = height - top - bottom, width - left - right
    peak = max([*values, 0]) or 1
    step = plot_w / max(1, len(values))
    bar = step * 0.62
    body = [f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
            'stroke="#c9ccd1"/>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / peak
        x = left + i * step + (step - bar) / 2
        y = top + plot_h - h
        body.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar)}" height="{_n(h)}" fill="{PALETTE[0]}">'
                    f"<title>{escape(label)}: {_n(value)}{escape(unit)}</title></rect>")
        if value:
            body.append(f'<text class="value" x="{_n(x + bar / 2)}" y="{_n(y - 4)}" text-anchor="middle">'
                        f"{_n(value)}</text>")
        body.append(f'<text class="label" x="{_n(x + bar / 2)}" y="{height - 8}" text-anchor="middle">'
                    f"{escape(label)}</text>")
    return _svg(name, title, width, height, body)


def line_chart(name: str, title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
               *, width: int = 560, height: int = 220, threshold: float | None = None) -> Markup:
    """Shares (0–1) over time, one line per series with a legend; a gap where a series has no value."""
    top, bottom, left, right = 12, 44, 36, 20
    plot_h, plot_w = height - top - bottom, width - left - right
    step = plot_w / max(1, len(labels) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + plot_h * (1 - v)

    body = []
    for tick in (0, 0.5, 1):
        _x, y = xy(0, tick)
        body.append(f'<line class="grid" x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" stroke="#e5e7eb"/>'
                    f'<text class="label" x="{left - 4}" y="{_n(y + 4)}" text-anchor="end">{int(tick * 100)}%</text>')
    if threshold is not None:
        _x, y = xy(0, threshold)
        body.append(f'<line class="threshold" x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" '
                    'stroke="#6b7280" stroke-dasharray="4 3"/>')
    for i, label in enumerate(labels):
        body.append(f'<text class="label" x="{_n(left + i * step)}" y="{top + plot_h + 14}" text-anchor="middle">'
                    f"{escape(label)}</text>")
    legend_x = 4
    for s, (series_name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
                continue
            x, y = xy(i, v)
            runs[-1].append((x, y))
            body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{colour}">'
                        f"<title>{escape(series_name)} {escape(labels[i])}: {round(v * 100)}%</title></circle>")
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.append(f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
                    f'<text class="legend" x="{legend_x + 14}" y="{height - 5}">{escape(series_name)}</text>')
        legend_x += 14 + 11 * len(series_name) + 14  # 11 px a character at the legend's size
    return _svg(name, title, width, height, body)


def share_bars(name: str, title: str, rows: Sequence[tuple[str, float | None, str]], *, width: int = 560) -> Markup:
    """Horizontal bars of shares (0–1), one row per label, with a note (e.g. "12/15") beside each."""
    row_h, label_w, note_w = 24, 120, 90
    height = row_h * max(1, len(rows)) + 8
    plot_w = width - label_w - note_w
    body = []
    for i, (label, share, note) in enumerate(rows):
        y = 4 + i * row_h
        body.append(f'<text class="label" x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
                    f'<rect x="{label_w}" y="{y + 3}" width="{plot_w}" height="14" fill="#f3f4f6"/>')
        if share is not None:
            body.append(f'<rect x="{label_w}" y="{y + 3}" width="{_n(plot_w * share)}" height="14" '
                        f'fill="{PALETTE[0]}"><title>{escape(label)}: {round(share * 100)}%</title></rect>')
        body.append(f'<text class="value" x="{label_w + plot_w + 6}" y="{y + 15}">'
                    f'{"—" if share is None else f"{round(share * 100)}%"} {escape(note)}</text>')
    return _svg(name, title, width, height, body)


def sparkline(name: str, title: str, values: Sequence[float | None], *, width: int = 168, height: int = 40,
              threshold: float | None = None) -> Markup:
    """A small line of shares (0–1) over time: dots where there is a value, a dashed line at ``threshold``."""
    pad = 4
    step = (width - 2 * pad) / max(1, len(values) - 1)

    def y(v: float) -> float:
        return pad + (height - 2 * pad) * (1 - v)

    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fafafa"/>']
    if threshold is not None:
        body.append(f'<line x1="0" y1="{_n(y(threshold))}" x2="{width}" y2="{_n(y(threshold))}" stroke="#9ca3af" '
                    'stroke-dasharray="3 3"/>')
    points = [(pad + i * step, y(v)) for i, v in enumerate(values) if v is not None]
    if len(points) > 1:
        body.append(f'<polyline points="{" ".join(f"{_n(px)},{_n(py)}" for px, py in points)}" fill="none" '
                    f'stroke="{PALETTE[0]}" stroke-width="1.5"/>')
    body += [f'<circle cx="{_n(px)}" cy="{_n(py)}" r="2.5" fill="{PALETTE[0]}"/>' for px, py in points]
    return _svg(name, title, width, height, body)
