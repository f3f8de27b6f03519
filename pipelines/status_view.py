"""The human `contest status`: a few rich tables over the same dict as `status --json`."""
from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table


def render_status(status: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"[bold]{status['edition']}[/bold]  now {status['now']}  ({status['backend']})")
    counts = Counter(a["registry_status"] for a in status["applications"])
    console.print("Applications: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none yet"))
    rejected = [a for a in status["applications"] if a["registry_status"] == "rejected"]
    if rejected:
        table = Table("id", "title", "reasons", title="Rejected", show_lines=False)
        for a in rejected:
            table.add_row(a["id"], a["title"][:50], _reasons(a["reasons"]))
        console.print(table)
    stages = Table("stage", "state", "group", "sheets complete", "incomplete (who)", "selected", "ties / waiting",
                   title="Stages")
    for stage in status["stages"]:
        if not stage["groups"]:
            stages.add_row(str(stage["number"]), stage["state"], "", "", "", "", stage.get("note", ""))
        for g in stage["groups"]:
            stages.add_row(str(stage["number"]), stage["state"], g["name"],
                           f"{g['sheets_complete']}/{len(g['experts'])}", ", ".join(g["sheets_incomplete"]),
                           ", ".join(g["selected"]),
                           "; ".join(g.get("waiting", [])) or ", ".join("=".join(t) for t in g["ties"]))
    console.print(stages)
    if status["winners"]:
        titles = {a["id"]: a["title"] for a in status["applications"]}
        table = Table("place", "id", "title", "score", title="Winners")
        for w in status["winners"]:
            table.add_row(str(w["place"]), w["id"], titles.get(w["id"], ""), f"{w['score']:.2f}")
        console.print(table)
    console.print(f"Documents: {len(status['documents'])}")


def _reasons(reasons: list[dict[str, str]]) -> str:
    """One entry per rule: `missing_field ×4 (9.8)` rather than the same words four times."""
    counts = Counter((r["rule"], r["clause"]) for r in reasons)
    return "; ".join(f"{rule}{f' ×{n}' if n > 1 else ''} ({clause})" for (rule, clause), n in counts.items())
