"""Charts as inline SVG, drawn on the server: bars (side by side), stacked bars and lines.

No script and no style attribute: colours are SVG presentation attributes, so the page keeps working under a
Content-Security-Policy without 'unsafe-inline', and nothing is fetched from anywhere. Each chart carries a
<title> and <desc> that `aria-labelledby` points to; the page puts the same figures in a table under the chart
for those who cannot see it. Every text is escaped here, since the markup is returned as safe."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colour-blind-safe (Okabe–Ito), each readable on white.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 36, 76
MAX_X_LABELS = 14
# Longer category names are cut on the axis (the tooltip and the table under the chart carry them whole).
MAX_LABEL_CHARS = 16
_ids = count(1)

Number = int | float | Decimal


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number | None]


def _nice_max(value: float) -> float:
    """The top of the axis: the smallest 1, 2, 2.5 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _fmt(value: Number) -> str:
    number = float(value)
    return str(int(number)) if number == int(number) else f"{number:.1f}"


class _Frame:
    def __init__(self, *, title: str, desc: str, categories: Sequence[str], top: float) -> None:
        self.uid = f"chart-{next(_ids)}"
        self.title, self.desc, self.categories = title, desc, list(categories)
        self.top = _nice_max(top)
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = HEIGHT - TOP - BOTTOM
        self.parts: list[str] = []

    def y(self, value: Number) -> float:
        return TOP + self.plot_h - float(value) / self.top * self.plot_h

    def band(self, index: int) -> tuple[float, float]:
        """Left edge and width of a category's band."""
        width = self.plot_w / max(1, len(self.categories))
        return LEFT + index * width, width

    def axes(self) -> None:
        for i in range(5):
            value = self.top * i / 4
            y = self.y(value)
            self.parts.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6" stroke-width="1"/>'
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#495057">'
                f"{_fmt(value)}</text>"
            )
        step = max(1, -(-len(self.categories) // MAX_X_LABELS))
        for i, label in enumerate(self.categories):
            if i % step:
                continue
            left, width = self.band(i)
            x, y = left + width / 2, HEIGHT - BOTTOM + 14
            self.parts.append(
                f'<text x="{x:.1f}" y="{y}" text-anchor="end" font-size="11" fill="#495057" '
                f'transform="rotate(-35 {x:.1f} {y})">{escape(_short(label))}</text>'
            )

    def legend(self, names: Sequence[str], *, dashed: str = "") -> None:
        # Above the plot: the rotated category names below it need the room.
        x = LEFT
        y = 16
        for i, name in enumerate(names):
            colour = PALETTE[i % len(PALETTE)]
            self.parts.append(
                f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
                f'<text x="{x + 14}" y="{y}" font-size="11" fill="#212529">{escape(name)}</text>'
            )
            x += 24 + 7 * len(name)
        if dashed:
            self.parts.append(
                f'<line x1="{x}" x2="{x + 16}" y1="{y - 4}" y2="{y - 4}" stroke="#212529" stroke-width="2" '
                f'stroke-dasharray="4 3"/><text x="{x + 20}" y="{y}" font-size="11" fill="#212529">'
                f"{escape(dashed)}</text>"
            )

    def svg(self) -> SafeString:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
            f'class="report-chart" role="img" aria-labelledby="{self.uid}-title {self.uid}-desc">'
            f'<title id="{self.uid}-title">{escape(self.title)}</title>'
            f'<desc id="{self.uid}-desc">{escape(self.desc)}</desc>'
        )
        return mark_safe(head + "".join(self.parts) + "</svg>")  # noqa: S308 - every text above is escaped


def _values(series: Sequence[Series], n: int) -> list[list[float]]:
    return [[float(v or 0) for v in list(s.values)[:n]] + [0.0] * (n - len(s.values)) for s in series]


def bar_chart(
    *,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    reference: tuple[str, Number] | None = None,
) -> SafeString:
    """Bars side by side, one group per category; `reference` draws a dashed line across (e.g. a time limit)."""
    values = _values(series, len(categories))
    top = max([v for row in values for v in row] + [float(reference[1]) if reference else 0.0, 0.0])
    frame = _Frame(title=title, desc=desc, categories=categories, top=top)
    frame.axes()
    for s_index, row in enumerate(values):
        colour = PALETTE[s_index % len(PALETTE)]
        for c_index, value in enumerate(row):
            left, width = frame.band(c_index)
            bar_w = width * 0.8 / max(1, len(values))
            x = left + width * 0.1 + s_index * bar_w
            y = frame.y(value)
            frame.parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{frame.y(0) - y:.1f}" fill="{colour}">'
                f"<title>{escape(categories[c_index])}, {escape(series[s_index].name)}: {_fmt(value)}</title></rect>"
            )
    if reference is not None:
        y = frame.y(reference[1])
        frame.parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#212529" stroke-width="2" '
            f'stroke-dasharray="4 3"/>'
        )
    frame.legend([s.name for s in series], dashed=reference[0] if reference else "")
    return frame.svg()


def stacked_bar_chart(*, title: str, desc: str, categories: Sequence[str], series: Sequence[Series]) -> SafeString:
    """One bar per category, each series a segment stacked on the one before."""
    values = _values(series, len(categories))
    totals = [sum(row[i] for row in values) for i in range(len(categories))]
    frame = _Frame(title=title, desc=desc, categories=categories, top=max(totals + [0.0]))
    frame.axes()
    for c_index in range(len(categories)):
        left, width = frame.band(c_index)
        base = 0.0
        for s_index, row in enumerate(values):
            value = row[c_index]
            if not value:
                continue
            y_top, y_base = frame.y(base + value), frame.y(base)
            frame.parts.append(
                f'<rect x="{left + width * 0.15:.1f}" y="{y_top:.1f}" width="{width * 0.7:.1f}" '
                f'height="{y_base - y_top:.1f}" fill="{PALETTE[s_index % len(PALETTE)]}">'
                f"<title>{escape(categories[c_index])}, {escape(series[s_index].name)}: {_fmt(value)}</title></rect>"
            )
            base += value
    frame.legend([s.name for s in series])
    return frame.svg()


def line_chart(*, title: str, desc: str, categories: Sequence[str], series: Sequence[Series]) -> SafeString:
    """One line per series, a point per category; a missing value (None) breaks the line."""
    frame = _Frame(
        title=title,
        desc=desc,
        categories=categories,
        top=max([float(v) for s in series for v in s.values if v is not None] + [0.0]),
    )
    frame.axes()
    for s_index, s in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for c_index, value in enumerate(list(s.values)[: len(categories)]):
            if value is None:
                runs.append([])
                continue
            left, width = frame.band(c_index)
            x, y = left + width / 2, frame.y(value)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            frame.parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(categories[c_index])}, {escape(s.name)}: {_fmt(value)}</title></circle>"
            )
        for points in runs:
            if len(points) > 1:
                frame.parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
    frame.legend([s.name for s in series])
    return frame.svg()
