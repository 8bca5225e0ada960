from datetime import date

import pytest

from domain.period import Period
from reports.wording import decimal, integer, percent, period_words, working_days


@pytest.mark.parametrize(
    ("period", "words"),
    [
        (Period.month(2026, 11), "Tháng 11/2026"),
        (Period.month(2026, 12), "Tháng 12/2026"),
        (Period.quarter(2026, 4), "Quý IV/2026"),
        (Period.year(2026), "Năm 2026"),
        (
            Period.between(date(2026, 11, 1), date(2026, 11, 15)),
            "Từ ngày 01/11/2026 đến ngày 15/11/2026",
        ),
        (Period.between(date(2026, 11, 3), date(2026, 11, 3)), "Ngày 03/11/2026"),
        (
            Period.between(date(2026, 10, 1), date(2026, 11, 30)),
            "Từ ngày 01/10/2026 đến ngày 30/11/2026",
        ),
    ],
)
def test_a_period_in_words(period: Period, words: str) -> None:
    assert period_words(period) == words


@pytest.mark.parametrize(
    ("ratio", "shown"),
    [
        (0.995, "99,5%"),
        (1.0, "100%"),
        (0.0, "0%"),
        (2 / 3, "66,67%"),
        (None, "không có dữ liệu"),
        # 99,999 % rounds to 100 %, which would read as every dossier on time.
        (0.99999, "99,99%"),
        (0.99995, "99,99%"),
        (0.00001, "0,01%"),
    ],
)
def test_percent_never_rounds_to_a_figure_not_reached(ratio: float | None, shown: str) -> None:
    assert percent(ratio) == shown


def test_numbers_use_the_vietnamese_decimal_comma_and_thousands_dot() -> None:
    assert integer(4000) == "4.000"
    assert decimal(1234.5) == "1.234,5"
    assert decimal(3.0) == "3"
    assert working_days(20) == "2,5 ngày"
    # Half up: an hour is 0,125 days.
    assert working_days(1) == "0,13 ngày"
    assert decimal(-168.0, 1) == "-168"
