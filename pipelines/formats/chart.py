"""The annex's chart (issue 22): each DER's score with every expert's total beside it, so the spread
shows; readable in black and white (marker shapes and hatching, never colour alone). PNG bytes.

matplotlib with the Agg backend (no display); imported only when a chart is drawn.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")


@dataclass(frozen=True)
class ChartRow:
    label: str  # the DER as the chart names it (its id)
    score: float | None  # the bar: the mean of the experts' totals
    totals: dict[str, float]  # expert (as the legend names them) -> total
    selected: bool


@dataclass(frozen=True)
class ChartText:
    title: str
    axis: str  # the points axis
    bar: str  # legend: the bar (mean of totals)
    selected: str  # legend: a selected DER's bar
    spread: str  # legend: the line from the lowest to the highest total


def scores_chart(rows: list[ChartRow], text: ChartText, low: float, high: float) -> bytes:
    """A horizontal chart, best first from the top: a bar per DER (hatched when selected), each
    expert's total as a marker of their own shape on a line from the lowest to the highest total."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    experts = sorted({e for r in rows for e in r.totals})
    shape = {e: MARKERS[i % len(MARKERS)] for i, e in enumerate(experts)}
    height = 1.6 + 0.45 * max(len(rows), 1) + 0.22 * ((len(experts) + 5) // 3)
    fig, ax = plt.subplots(figsize=(9.5, height), dpi=150, layout="constrained")
    try:
        for y, row in enumerate(reversed(rows)):
            if row.score is not None:
                ax.barh(
                    y,
                    row.score - low,
                    left=low,
                    height=0.6,
                    color="white",
                    edgecolor="black",
                    hatch="///" if row.selected else None,
                    linewidth=0.8,
                )
            if row.totals:
                values = list(row.totals.values())
                ax.plot([min(values), max(values)], [y, y], color="black", linewidth=1.2)
                for expert, total in row.totals.items():
                    # each expert a little above or below the line: equal totals stay visible
                    lift = (experts.index(expert) - (len(experts) - 1) / 2) * min(0.5 / max(len(experts), 1), 0.12)
                    ax.plot(
                        total,
                        y + lift,
                        marker=shape[expert],
                        markersize=7,
                        markerfacecolor="black" if MARKERS.index(shape[expert]) % 2 else "white",
                        markeredgecolor="black",
                        linestyle="none",
                    )
        ax.set_yticks(range(len(rows)), [r.label for r in reversed(rows)], fontsize=8)
        ax.set_xlim(low, high + (high - low) * 0.02)  # a marker at the maximum is drawn whole
        ax.set_xlabel(text.axis, fontsize=9)
        ax.set_title(text.title, fontsize=10)
        ax.grid(axis="x", color="0.75", linestyle=":", linewidth=0.6)
        ax.set_axisbelow(True)
        handles = [
            Patch(facecolor="white", edgecolor="black", label=text.bar),
            Patch(facecolor="white", edgecolor="black", hatch="///", label=text.selected),
            plt.Line2D([], [], color="black", linewidth=1.2, label=text.spread),
        ] + [
            plt.Line2D(
                [],
                [],
                marker=shape[e],
                markerfacecolor="black" if MARKERS.index(shape[e]) % 2 else "white",
                markeredgecolor="black",
                linestyle="none",
                label=e,
            )
            for e in experts
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=7, frameon=False)
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None})
        return out.getvalue()
    finally:
        plt.close(fig)
