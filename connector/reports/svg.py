"""Small inline SVG charts drawn by hand: no library, no network, readable without JavaScript.

Every chart is `<svg data-chart="NAME">` and every mark carries `data-label` and `data-value`
(the exact figure), so the numbers behind a picture can be read back and tested.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 12, 12, 24, 42
COLORS = ("#2f7d4f", "#e0a526", "#e07b26", "#d1495b", "#8e1b2f")


@dataclass(frozen=True)
class Mark:
    label: str
    value: Decimal | None  # None: not meaningful (a DSO without sales), drawn as a gap
    text: str  # the value as shown to a person
    low: Decimal | None = None
    high: Decimal | None = None


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _open(name: str, title: str, height: int = HEIGHT) -> str:
    return (f'<svg data-chart="{_attr(name)}" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-label="{_attr(title)}" preserveAspectRatio="xMidYMid meet">'
            f'<title>{escape(title)}</title>')


def _axis() -> str:
    return (f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
            f'y2="{HEIGHT - BOTTOM}" class="axis"/>')


def _empty(name: str, title: str, message: str) -> str:
    return (_open(name, title, 80) + f'<text x="{WIDTH / 2}" y="45" text-anchor="middle" '
            f'class="muted">{escape(message)}</text></svg>')


def _scale(values: Sequence[Decimal | None]) -> Decimal:
    top = max((v for v in values if v is not None), default=Decimal(0))
    return top if top > 0 else Decimal(1)


def _height(value: Decimal | None) -> Decimal:
    """What a bar stands for: a gap (None) or a negative value draws as nothing."""
    return max(value, Decimal(0)) if value is not None else Decimal(0)


def _y_axis(top: Decimal, x: float, text: Callable[[Decimal], str], unit: str) -> str:
    """A left axis: its line, ticks at 0, half and the top with their values, and the unit."""
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" class="axis" '
             f'data-axis="y"/>']
    for share in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = HEIGHT - BOTTOM - float(share) * plot_h
        parts.append(f'<line x1="{x - 4:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                     f'class="axis"/><text x="{x - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" '
                     f'class="muted" data-tick="{_attr(top * share)}">'
                     f'{escape(text(top * share))}</text>')
    if unit:
        parts.append(f'<text x="{x:.1f}" y="{TOP - 8}" text-anchor="middle" class="muted" '
                     f'data-unit="y">{escape(unit)}</text>')
    return "".join(parts)


def bars(name: str, title: str, marks: Sequence[Mark], empty: str,
         colors: Sequence[str] = COLORS, links: Sequence[str] | None = None,
         axis: Callable[[Decimal], str] | None = None, unit: str = "") -> str:
    """Vertical bars with their value above; one color per bar (aging buckets). `links`: where
    each bar leads (the invoices behind it); `axis`: draw a y-axis, its ticks written so."""
    if not marks:
        return _empty(name, title, empty)
    top = _scale([m.value for m in marks])
    plot_h = HEIGHT - TOP - BOTTOM
    left = LEFT + (64 if axis else 0)
    slot = (WIDTH - left - RIGHT) / len(marks)
    parts = [_open(name, title), _axis()]
    if axis:
        parts.append(_y_axis(top, left - 4, axis, unit))
    for i, mark in enumerate(marks):
        h = float(_height(mark.value) / top) * plot_h
        x, y = left + i * slot + slot * 0.15, HEIGHT - BOTTOM - h
        rect = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{max(h, 1):.1f}" '
                f'fill="{colors[i % len(colors)]}" data-label="{_attr(mark.label)}" '
                f'data-value="{_attr(mark.value)}"><title>{escape(mark.label)}: '
                f'{escape(mark.text)}</title></rect>')
        if links:
            rect = f'<a href="{_attr(links[i])}" data-drill="{_attr(mark.label)}">{rect}</a>'
        parts.append(
            rect +
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 6:.1f}" text-anchor="middle" '
            f'class="value">{escape(mark.text)}</text>'
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'class="label">{escape(mark.label)}</text>')
    return "".join(parts) + "</svg>"


def band(name: str, title: str, marks: Sequence[Mark], empty: str, legend: str,
         scale_text: Callable[[Decimal], str] = str) -> str:
    """Bars for the expected value, a shaded band from low to high, whiskers on each bar;
    a dashed line marks the top of the scale with its amount."""
    if not marks:
        return _empty(name, title, empty)
    top = _scale([m.high if m.high is not None else m.value for m in marks])
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / len(marks)

    def y_of(value: Decimal | None) -> float:
        return HEIGHT - BOTTOM - float(_height(value) / top) * plot_h

    centers = [LEFT + (i + 0.5) * slot for i in range(len(marks))]
    upper = [f"{c:.1f},{y_of(m.high or m.value):.1f}" for c, m in zip(centers, marks, strict=True)]
    lower = [f"{c:.1f},{y_of(m.low or Decimal(0)):.1f}"
             for c, m in reversed(list(zip(centers, marks, strict=True)))]
    parts = [_open(name, title),
             f'<polygon points="{" ".join(upper + lower)}" class="band" data-band="low-high"/>',
             _axis()]
    for i, (center, mark) in enumerate(zip(centers, marks, strict=True)):
        y = y_of(mark.value)
        parts.append(
            f'<rect x="{center - slot * 0.3:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" '
            f'height="{HEIGHT - BOTTOM - y:.1f}" class="bar" data-label="{_attr(mark.label)}" '
            f'data-value="{_attr(mark.value)}" data-low="{_attr(mark.low)}" '
            f'data-high="{_attr(mark.high)}"><title>{escape(mark.label)}: {escape(mark.text)}'
            f'</title></rect>'
            f'<line x1="{center:.1f}" x2="{center:.1f}" y1="{y_of(mark.low or Decimal(0)):.1f}" '
            f'y2="{y_of(mark.high or mark.value):.1f}" class="whisker"/>')
        if i % 2 == 0:
            parts.append(f'<text x="{center:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                         f'text-anchor="middle" class="label">{escape(mark.label)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}" class="axis" '
                 f'stroke-dasharray="4 4"/><text x="{LEFT}" y="{TOP - 6}" class="muted">'
                 f'{escape(scale_text(top))}</text><text x="{WIDTH - RIGHT}" y="{TOP - 6}" '
                 f'text-anchor="end" class="muted">{escape(legend)}</text>')
    return "".join(parts) + "</svg>"


def lines(name: str, title: str, series: Sequence[tuple[str, Sequence[Mark]]],
          empty: str, unit: str = "") -> str:
    """One polyline per series over shared x labels, a dot with its value at each point, a y-axis
    from 0 with its ticks and `unit` (days for DSO), and a legend naming each series."""
    known = [m for _, marks in series for m in marks if m.value is not None]
    if not known:
        return _empty(name, title, empty)
    top = _scale([m.value for m in known]) * Decimal("1.15")
    count = max(len(marks) for _, marks in series)
    plot_h = HEIGHT - TOP - BOTTOM
    pad = 44  # room for the first and last point's value and date
    axis_w = 40
    origin = LEFT + axis_w
    step = (WIDTH - origin - RIGHT - 2 * pad) / max(count - 1, 1)
    parts = [_open(name, title), _axis(), _y_axis(top, origin, lambda v: f"{v:.0f}", unit)]
    for s, (label, marks) in enumerate(series):
        color = ("#1f5f99", "#e07b26")[s % 2]
        points = [(origin + pad + i * step, HEIGHT - BOTTOM - float(m.value / top) * plot_h, m)
                  for i, m in enumerate(marks) if m.value is not None]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2" '
                     f'data-series="{_attr(label)}"/>')
        for x, y, mark in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}" '
                         f'data-series="{_attr(label)}" data-label="{_attr(mark.label)}" '
                         f'data-value="{_attr(mark.value)}"><title>{escape(label)} '
                         f'{escape(mark.label)}: {escape(mark.text)}</title></circle>')
            if s == 0:
                parts.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" '
                             f'class="value">{escape(mark.text)}</text>')
        parts.append(f'<text x="{origin + 24 + 170 * s}" y="14" fill="{color}" class="legend" '
                     f'data-legend="{_attr(label)}">— {escape(label)}</text>')
    for i, mark in enumerate(series[0][1]):
        parts.append(f'<text x="{origin + pad + i * step:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                     f'text-anchor="middle" class="label">{escape(mark.label)}</text>')
    return "".join(parts) + "</svg>"


def hbars(name: str, title: str, marks: Sequence[Mark], empty: str) -> str:
    """Horizontal bars, largest first, label on the left and value on the right."""
    if not marks:
        return _empty(name, title, empty)
    row, label_w, value_w = 24, 230, 110
    height = TOP + row * len(marks) + 8
    top = _scale([m.value for m in marks])
    span = WIDTH - LEFT - RIGHT - label_w - value_w
    parts = [_open(name, title, height)]
    for i, mark in enumerate(marks):
        y = TOP + i * row
        w = float(_height(mark.value) / top) * span
        label = mark.label if len(mark.label) <= 34 else mark.label[:33] + "…"
        parts.append(
            f'<text x="{LEFT + label_w - 8}" y="{y + 15}" text-anchor="end" class="label">'
            f'{escape(label)}</text>'
            f'<rect x="{LEFT + label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
            f'fill="#d1495b" data-label="{_attr(mark.label)}" data-value="{_attr(mark.value)}">'
            f'<title>{escape(mark.label)}: {escape(mark.text)}</title></rect>'
            f'<text x="{LEFT + label_w + w + 6:.1f}" y="{y + 15}" class="value">'
            f'{escape(mark.text)}</text>')
    return "".join(parts) + "</svg>"
