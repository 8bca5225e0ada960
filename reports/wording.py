"""How the published reports write numbers, periods and moments in Vietnamese: decimal
comma, dot between thousands, a period in words ("Tháng 11/2026"), moments in Vietnam time.
Shared by the PDFs, the charts, the CSV and the XLSX so every output reads the same."""

from __future__ import annotations

import unicodedata
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from domain.period import VIETNAM_TZ, Period

#: What a ratio with nothing counted is shown as (the portal's "no data"), never 0 %.
NO_DATA = "không có dữ liệu"

_ROMAN_QUARTERS = {1: "I", 2: "II", 3: "III", 4: "IV"}


def nfc(value: str) -> str:
    """`value` in precomposed form: the fonts carry precomposed Vietnamese letters, and
    decomposed input (some keyboards, Mac file names) would print loose accents."""
    return unicodedata.normalize("NFC", value)


def integer(value: int) -> str:
    """4000 → '4.000'."""
    return f"{value:,}".replace(",", ".")


def _rounded(value: float, places: int) -> Decimal:
    # Half up, as a reader rounds by hand (0,125 → 0,13), not half-to-even; float() first
    # since numpy scalars (matplotlib ticks) repr as "np.float64(…)".
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def decimal(value: float, places: int = 2) -> str:
    """2.5 → '2,5', 3.0 → '3', 1234.5 → '1.234,5': at most `places` decimals, rounded half
    up, trailing zeros dropped."""
    text = f"{_rounded(value, places):,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def percent(ratio: float | None, places: int = 2) -> str:
    """0.995 → '99,5%'; None → 'không có dữ liệu'.

    A ratio short of 1 never prints as 100 % and one above 0 never as 0 %: a reader checks
    "100 %" against the target, and rounding must not claim a target was met."""
    if ratio is None:
        return NO_DATA
    step = Decimal(1).scaleb(-places)
    shown = _rounded(ratio * 100, places)
    if ratio < 1 and shown >= 100:
        shown = 100 - step
    elif ratio > 0 and shown <= 0:
        shown = step
    return f"{decimal(float(shown), places)}%"


def points(gap: float | None) -> str:
    """A gap between ratios in percentage points: 0.012 → '1,2'."""
    return NO_DATA if gap is None else decimal(gap * 100)


def working_days(hours: float) -> str:
    """Working hours as working days of 8 h: 20 → '2,5 ngày'."""
    return f"{decimal(hours / 8)} ngày"


def short_moment(moment: datetime | None, empty: str = "") -> str:
    """'23/11/2026 08:30' in Vietnam time, for a table cell."""
    if moment is None:
        return empty
    return f"{moment.astimezone(VIETNAM_TZ):%d/%m/%Y %H:%M}"


def _local(moment: datetime) -> datetime:
    return moment.astimezone(VIETNAM_TZ)


def _starts_a_day(moment: datetime) -> bool:
    return _local(moment).time() == time()


def period_words(period: Period) -> str:
    """'Tháng 11/2026', 'Quý IV/2026', 'Năm 2026', or 'Từ ngày 01/11/2026 đến ngày
    15/11/2026' for any other span of whole days, read in Vietnam time."""
    start, end = _local(period.start), _local(period.end)
    if _starts_a_day(period.start) and _starts_a_day(period.end):
        last = end - timedelta(days=1)
        whole_months = start.day == 1 and end.day == 1
        months = (end.year - start.year) * 12 + end.month - start.month
        if whole_months and months == 1:
            return f"Tháng {start.month}/{start.year}"
        if whole_months and months == 3 and start.month % 3 == 1:
            return f"Quý {_ROMAN_QUARTERS[(start.month + 2) // 3]}/{start.year}"
        if whole_months and months == 12 and start.month == 1:
            return f"Năm {start.year}"
        if last.date() == start.date():
            return f"Ngày {start:%d/%m/%Y}"
        return f"Từ ngày {start:%d/%m/%Y} đến ngày {last:%d/%m/%Y}"
    return f"Từ {short_moment(period.start)} đến {short_moment(period.end)}"
