"""The monthly report's charts, drawn with matplotlib to PNG bytes for the PDF: the on-time
rate by month against its target, and the agencies ranked by on-time rate.

Figures are built with the object-oriented `matplotlib.figure.Figure` API and the Agg
canvas, never `pyplot`: no global figure registry and no GUI backend, so a worker thread of
the API can draw while another does. Same data, same bytes: fixed size and dpi, and no
software version in the PNG metadata."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from functools import cache

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter

from forms.render import FONT_DIR
from reports.wording import NO_DATA, integer, nfc, percent

DPI = 150
TREND_SIZE_IN = (7.0, 3.2)
RANKING_WIDTH_IN = 7.0
#: Ranking bars beyond this many would be too thin to read on a portrait page.
RANKING_MAX_BARS = 25

_LINE = "#1f4e79"
_TARGET = "#c00000"
_HIGHLIGHT = "#c55a11"
_BAR = "#5b9bd5"
_MUTED = "#7f7f7f"


@cache
def _font(bold: bool = False) -> FontProperties:
    # The file itself, not a family name registered with the global font manager:
    # matplotlib bundles its own "DejaVu Serif", so the name alone would be ambiguous, and
    # this keeps the PDF's text and the charts' labels in the same font without mutating
    # process-wide state.
    name = "DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf"
    return FontProperties(fname=str(FONT_DIR / name))


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _percent_axis(ratio_points: float, _position: float) -> str:
    return percent(ratio_points / 100, places=1)


def _style_ticks(labels: Sequence[Text]) -> None:
    for label in labels:
        label.set_fontproperties(_font())
        label.set_fontsize(8)


def _label(
    axes: Axes,
    text: str,
    at: tuple[float, float],
    offset: tuple[float, float],
    coordinates: tuple[str, str] = ("data", "data"),
    colour: str = "black",
    ha: str = "center",
    **style: object,
) -> None:
    """A small label `offset` points from `at`, in the report's font."""
    axes.annotate(
        text,
        at,
        xycoords=coordinates,
        xytext=offset,
        textcoords="offset points",
        ha=ha,
        fontproperties=_font(),
        fontsize=7,
        color=colour,
        **style,  # type: ignore[arg-type]
    )


def on_time_trend_png(
    trend: Sequence[tuple[str, float | None]], target: float | None = None
) -> bytes:
    """A line of the on-time rate (2.1) by month, oldest first, each point labelled; months
    without data leave a gap and say so; `target` (a ratio) is drawn as a dashed line."""
    figure = Figure(figsize=TREND_SIZE_IN, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(trend)))
    values = [math.nan if ratio is None else ratio * 100 for _, ratio in trend]
    axes.plot(positions, values, color=_LINE, marker="o", linewidth=1.8)
    known = [v for v in values if not math.isnan(v)]
    for x, (_, ratio), y in zip(positions, trend, values, strict=True):
        if ratio is None:
            _label(axes, NO_DATA, (x, 0), (0, 6), ("data", "axes fraction"), _MUTED, rotation=90)
        else:
            _label(axes, percent(ratio, places=1), (x, y), (0, 6))
    if target is not None:
        axes.axhline(target * 100, color=_TARGET, linestyle="--", linewidth=1.2)
        where = (1, target * 100)
        caption = f"Chỉ tiêu {percent(target, places=1)}"
        _label(axes, caption, where, (-4, 3), ("axes fraction", "data"), _TARGET, ha="right")
    # The scale zooms on the data (a line, not bars, so a zoomed axis does not mislead):
    # the months of a province differ by tenths of a percent near the top.
    shown = known + ([target * 100] if target is not None else [])
    low = min(shown, default=0.0)
    bottom = max(0.0, low - max(2.0, (100 - low) * 0.5))
    axes.set_ylim(bottom, 100.8)
    # The headroom above 100 % is for the point labels; a tick there would be nonsense.
    axes.set_yticks([tick for tick in axes.get_yticks() if bottom <= tick <= 100])
    axes.set_ylim(bottom, 100.8)
    axes.set_xlim(-0.5, max(len(trend) - 0.5, 0.5))
    axes.set_xticks(positions, [nfc(label) for label, _ in trend])
    axes.yaxis.set_major_formatter(FuncFormatter(_percent_axis))
    _style_ticks(axes.get_xticklabels() + axes.get_yticklabels())
    axes.set_title("Tỷ lệ hồ sơ giải quyết đúng hạn theo tháng", fontproperties=_font(True))
    axes.grid(axis="y", color="#d9d9d9", linewidth=0.6)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _png(figure)


def _ranking_order(row: tuple[str, float | None, int]) -> tuple[bool, float, str]:
    name, ratio, _ = row
    return (ratio is None, -(ratio or 0.0), name)


def ranking_png(
    ranking: Sequence[tuple[str, float | None, int]], highlight: str | None = None
) -> bytes:
    """Horizontal bars of the agencies' on-time rates, best on top, agencies without data
    last; `highlight` (an agency name) is the report's own agency, drawn in another colour.
    At most `RANKING_MAX_BARS` bars, always keeping the highlighted one."""
    rows = sorted(ranking, key=_ranking_order)
    if len(rows) > RANKING_MAX_BARS:
        kept = rows[:RANKING_MAX_BARS]
        own = [row for row in rows if row[0] == highlight]
        if own and own[0] not in kept:
            kept = kept[:-1] + own
        rows = kept
    height = 1.0 + 0.28 * max(len(rows), 1)
    figure = Figure(figsize=(RANKING_WIDTH_IN, height), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(rows)))
    widths = [(ratio or 0.0) * 100 for _, ratio, _ in rows]
    colours = [_HIGHLIGHT if name == highlight else _BAR for name, _, _ in rows]
    axes.barh(positions, widths, color=colours, height=0.65)
    for y, (_, ratio, _), width in zip(positions, rows, widths, strict=True):
        colour = _MUTED if ratio is None else "black"
        _label(axes, percent(ratio), (width, y), (3, 0), colour=colour, ha="left", va="center")
    labels = [f"{nfc(name)} ({integer(count)} hồ sơ)" for name, _, count in rows]
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    axes.set_xlim(0, 115)
    axes.set_xticks([0, 20, 40, 60, 80, 100])
    axes.xaxis.set_major_formatter(FuncFormatter(_percent_axis))
    _style_ticks(axes.get_xticklabels() + axes.get_yticklabels())
    axes.set_title("Xếp hạng tỷ lệ đúng hạn theo cơ quan", fontproperties=_font(True))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _png(figure)
