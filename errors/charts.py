"""Charts of the reliability dashboard, drawn on the server: inline SVG and CSS-width bars. No script, no
external resource; every value is also in the tables under the charts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from errors.reports import Figure

PALETTE = (
    "#1565c0",
    "#c62828",
    "#2e7d32",
    "#ef6c00",
    "#6a1b9a",
    "#00838f",
    "#ad1457",
    "#4e342e",
    "#9e9d24",
    "#37474f",
    "#5c6bc0",
    "#8d6e63",
)
WIDTH, HEIGHT, MARGIN = 720, 220, 30
AXIS = 18  # room under the columns for the dated x-axis
AXIS_LABELS = 6  # at most this many dates along the x-axis


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def errors_over_time_svg(figure: Figure) -> SafeString:
    """Stacked columns: one per time bucket, one colour per code (figure ``errors_per_code``)."""
    codes = figure.columns[2:]
    if not figure.rows or not codes:
        return mark_safe("")  # noqa: S308 - constant
    peak = max(max(row[1] for row in figure.rows), 1)
    step = (WIDTH - MARGIN) / len(figure.rows)
    bars: list[SafeString] = []
    for index, row in enumerate(figure.rows):
        bars += _column(index, row, codes, step, peak)
    bars += _x_axis([row[0] for row in figure.rows], step)
    return format_html(
        '<svg class="errors-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>'
        '<text x="0" y="12" font-size="11">{}</text><text x="0" y="{}" font-size="11">0</text>{}</svg>',
        figure.title,
        WIDTH,
        HEIGHT + AXIS,
        MARGIN,
        HEIGHT - 1,
        WIDTH,
        HEIGHT - 1,
        peak,
        HEIGHT - 2,
        mark_safe("".join(bars)),  # noqa: S308 - each piece built with format_html
    )


def axis_label(bucket: str, *, hourly: bool) -> str:
    """``2026-12-03T14:00:00Z`` -> ``2026-12-03`` (daily or weekly buckets) or ``12-03 14:00`` (hourly)."""
    day, _, clock = bucket.partition("T")
    return f"{day[5:]} {clock[:5]}" if hourly else day


def _x_axis(buckets: list[str], step: float) -> list[SafeString]:
    """Dates under the first column, the last one and evenly spaced ones between (at most AXIS_LABELS)."""
    hourly = len({bucket.partition("T")[0] for bucket in buckets}) < len(buckets)
    every = max(1, -(-len(buckets) // AXIS_LABELS))
    shown = sorted({*range(0, len(buckets), every), len(buckets) - 1})
    return [
        format_html(
            '<text class="x-label" x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
            f"{min(max(MARGIN + (index + 0.5) * step, MARGIN + 28), WIDTH - 28):.1f}",
            HEIGHT + AXIS - 4,
            axis_label(buckets[index], hourly=hourly),
        )
        for index in shown
    ]


def _column(index: int, row: list[Any], codes: list[str], step: float, peak: int) -> list[SafeString]:
    x = MARGIN + index * step
    y = float(HEIGHT)
    pieces: list[SafeString] = []
    for position, (code, count) in enumerate(zip(codes, row[2:], strict=True)):
        if not count:
            continue
        height = (HEIGHT - 20) * count / peak
        y -= height
        pieces.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} {}: {}</title></rect>',
                f"{x + 1:.1f}",
                f"{y:.1f}",
                f"{max(step - 2, 1):.1f}",
                f"{height:.1f}",
                colour(position),
                row[0],
                code,
                count,
            )
        )
    return pieces


def legend(figure: Figure) -> SafeString:
    return format_html_join(
        " ",
        '<span class="legend"><span class="swatch" style="background:{}"></span>{}</span>',
        ((colour(index), code) for index, code in enumerate(figure.columns[2:])),
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: Any
    percent: float  # 0-100, width of the bar
    display: str = ""  # the value as shown ("" = the value itself)


def bars(
    figure: Figure, *, label: int = 0, value: int = 1, scale: float | None = None, as_percent: bool = False
) -> list[Bar]:
    """One horizontal CSS bar per row: ``value`` relative to ``scale`` (default: the largest value);
    ``as_percent``: the value is a share (0..1), shown as a percentage."""
    values = [row[value] or 0 for row in figure.rows]
    top = scale if scale is not None else max(values, default=0)
    return [
        Bar(
            str(row[label]),
            row[value],
            round(100 * (amount / top), 1) if top else 0.0,
            f"{100 * row[value]:.1f} %" if as_percent and row[value] is not None else "",
        )
        for row, amount in zip(figure.rows, values, strict=True)
    ]


@dataclass(frozen=True)
class StackedBar:
    label: str
    segments: list[tuple[str, float, str]]  # (name, percent, colour)


AVAILABILITY_SEGMENTS = (("operational", 2, "#2e7d32"), ("faulted", 3, "#c62828"), ("unknown", 4, "#9e9e9e"))


def availability_bars(figure: Figure) -> list[StackedBar]:
    """Operational / faulted / unknown shares of each EVSE (figure ``evse_availability``)."""
    return [
        StackedBar(
            label=row[0],
            segments=[(name, round(100 * row[column], 1), hue) for name, column, hue in AVAILABILITY_SEGMENTS],
        )
        for row in figure.rows
    ]
