"""The annex's chart (issue 22): a PNG that says everything in black and white."""

from __future__ import annotations

import io

from matplotlib import image

from pipelines.formats.chart import ChartRow, ChartText, scores_chart

TEXT = ChartText("Баллы ЦОР", "Сумма баллов (7–70)", "среднее", "отобран", "разброс")


def test_the_chart_is_a_png_drawn_in_greys_only():
    rows = [
        ChartRow("DER-0001", 61.5, {"Ли О.": 60.0, "Ким В.": 63.0, "Ахметова Г.": 61.5}, True),
        ChartRow("DER-0002", 40.0, {"Ли О.": 20.0, "Ким В.": 60.0}, False),
    ]
    png = scores_chart(rows, TEXT, 7, 70)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(io.BytesIO(png), format="png")[..., :3]
    spread = (pixels.max(axis=-1) - pixels.min(axis=-1)).max()
    assert spread < 0.02  # no colour carries meaning: every pixel is a grey
    assert (pixels < 0.2).any()  # and something is drawn in black


def test_a_chart_without_ratings_still_draws():
    assert scores_chart([ChartRow("DER-0003", None, {}, False)], TEXT, 7, 70)[:4] == b"\x89PNG"
