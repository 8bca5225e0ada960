import warnings

from reports.charts import RANKING_MAX_BARS, on_time_trend_png, ranking_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TREND = (("09/2026", 0.991), ("10/2026", None), ("11/2026", 0.995))
RANKING = (
    ("Ủy ban nhân dân Quận 1", 0.995, 400),
    ("Sở Tài nguyên và Môi trường", 0.97, 1200),
    ("Ủy ban nhân dân phường Bến Nghé", None, 0),
)


def _size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_vietnamese_labels_draw_without_a_missing_glyph() -> None:
    # matplotlib warns "Glyph … missing from font(s)" for a letter its font lacks: with the
    # forms' DejaVu Serif every diacritic of the labels, titles and "không có dữ liệu" exists.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert on_time_trend_png(TREND, target=0.995).startswith(PNG_SIGNATURE)
        assert ranking_png(RANKING, highlight="Ủy ban nhân dân Quận 1").startswith(PNG_SIGNATURE)


def test_charts_are_deterministic_and_of_a_fixed_size() -> None:
    first = on_time_trend_png(TREND, target=0.995)
    assert first == on_time_trend_png(TREND, target=0.995)
    assert _size(first) == (1050, 480)  # 7 × 3.2 inches at 150 dpi


def test_the_target_line_is_drawn_only_when_there_is_a_target() -> None:
    assert on_time_trend_png(TREND, target=0.995) != on_time_trend_png(TREND)


def test_the_ranking_grows_with_the_agencies_up_to_a_readable_limit() -> None:
    few = ranking_png(RANKING)
    many = [(f"Phường {n}", n / 100, n) for n in range(60)]
    capped = ranking_png(many, highlight="Phường 0")
    assert _size(capped)[1] > _size(few)[1]
    assert _size(capped) == _size(ranking_png(many[:RANKING_MAX_BARS]))
