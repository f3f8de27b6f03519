"""The human `contest status`: a few rich tables over the same dict as `status --json`, in the
edition's language (`status["language"]`, kk or ru).

Nothing is ever cut short: a cell wraps between words, never inside one, so an id or an address CDB
copies (into a tie decision, say) is always whole; a table whose words do not fit the width is printed
wider (a terminal wraps the lines; a file or a cron log keeps them whole)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from pipelines import i18n
from pipelines.formats.registry import rule_text


def render_status(status: dict[str, Any], given: Console | None = None) -> None:
    console = _Whole(given or Console())
    lang = status.get("language") or "kk"

    console.print(
        i18n.text(
            "status_heading",
            lang,
            edition=f"[bold]{status['edition']}[/bold]",
            now=status["now"],
            backend=status.get("backend_local") or status["backend"],
        )
    )
    counts = Counter(a["registry_status"] for a in status["applications"])
    console.print(
        i18n.text("status_applications", lang, counts=i18n.counts(counts, lang) or i18n.text("none_yet", lang))
    )
    late = [a for a in status["applications"] if a.get("after_deadline")]
    if late:  # 9.8: recorded beside the registry as it stood at the deadline, never counted
        console.print(
            i18n.text("status_after_deadline", lang, count=len(late), ids=", ".join(a["id"] for a in late)),
            soft_wrap=True,
        )
    waiting = (status.get("intake") or {}).get("waiting")
    if waiting:  # 9.8: the close waits for responses that cover the deadline
        console.print(i18n.text("status_intake_waiting", lang, waiting=waiting), soft_wrap=True)
    held = [a for a in status["applications"] if a.get("held")]
    if held:  # needs CDB: each reason names the closest matches
        table = _table(lang, "status_held_title", "col_id", "col_title", "col_reasons", show_lines=False)
        for a in held:
            table.add_row(a["id"], a["title"][:50], "; ".join(r["detail"] for r in a["reasons"]))
        console.print(table)
    unclear = [a for a in status["applications"] if a.get("authors_unclear")]
    if unclear:  # issue 19 item 5: a fragment of the authors' answer nobody could read is shown, not guessed
        console.print(i18n.text("status_authors_unclear", lang, count=len(unclear)))
        for a in unclear:
            fragments = "; ".join(f"«{f}»" for f in a["authors_unclear"])
            console.print(f"  {a['id']}: {fragments}", soft_wrap=True, markup=False)
    rejected = [a for a in status["applications"] if a["registry_status"] == "rejected"]
    if rejected:
        table = _table(lang, "status_rejected_title", "col_id", "col_title", "col_reasons", show_lines=False)
        for a in rejected:
            table.add_row(a["id"], a["title"], _reasons(a["reasons"], lang))
        console.print(table)
    stages = _table(
        lang,
        "status_stages_title",
        "col_stage",
        "col_state",
        "col_group",
        "col_sheets_complete",
        "col_incomplete",
        "col_invalid",
        "col_selected",
        "col_waiting",
    )
    for stage in status["stages"]:
        state = i18n.state_label(stage["state"], lang)
        if not stage["groups"]:
            stages.add_row(str(stage["number"]), state, "", "", "", "", "", stage.get("note", ""))
        for g in stage["groups"]:
            problems = {p["expert_email"]: p["problems"] for p in g.get("progress", [])}
            invalid = g.get("sheets_invalid", [])
            unfilled = g.get("sheets_unfilled", [e for e in g["sheets_incomplete"] if e not in invalid])
            stages.add_row(
                str(stage["number"]),
                i18n.state_label(g.get("state", stage["state"]), lang),
                i18n.group_name(g["name"], lang),
                f"{g['sheets_complete']}/{len(g['experts'])}",
                ", ".join(unfilled),
                ", ".join(
                    i18n.text("status_invalid_entry", lang, expert=e, count=problems.get(e) or "?") for e in invalid
                ),
                ", ".join(g["selected"]),
                "; ".join(g.get("waiting_local", g.get("waiting", [])))
                or ", ".join("=".join(tie) for tie in g["ties"]),
            )
    console.print(stages)
    _progress(status, lang, console)
    left_out = [
        (stage["number"], g["name"], x)
        for stage in status["stages"]
        for g in stage["groups"]
        for x in g.get("left_out", [])
    ]
    if left_out:  # ratings not counted at a close: named, so that nobody is left out silently
        table = _table(
            lang, "status_left_out_title", "col_stage", "col_group", "col_expert", "col_id", "col_cell", "col_why"
        )
        for number, group, x in left_out:
            table.add_row(
                str(number),
                i18n.group_name(group, lang),
                x.get("expert_name") or x["expert"],
                x["id"],
                x["cell"],
                x["why_local"],
            )
        console.print(table)
    edits = status.get("post_freeze_edits") or []
    if edits:  # issue 10 item 5: a frozen sheet changed since; the frozen scores are used
        table = _table(
            lang, "status_freeze_edits_title", "col_detected", "col_stage", "col_group", "col_expert", "col_changes"
        )
        for e in edits:
            table.add_row(
                _when(e["detected_at"]),
                str(e["stage"] or ""),
                i18n.group_name(e["group"], lang),
                e.get("expert_name") or e["expert"],
                f"{e['changes'] or e['detail_local']} ({e['revision']})"
                if e["revision"]
                else e["changes"] or e["detail_local"],
            )
        console.print(table)
        console.print(i18n.text("status_freeze_edits_note", lang))
    if status["winners"]:
        titles = {a["id"]: a["title"] for a in status["applications"]}
        table = _table(lang, "status_winners_title", "col_place", "col_id", "col_title", "col_score")
        for w in status["winners"]:
            table.add_row(str(w["place"]), w["id"], titles.get(w["id"], ""), f"{w['score']:.2f}")
        console.print(table)
    pending = status.get("messages_pending") or []
    if pending:  # what applicants are about to receive, and when (a final rejection after CDB's review)
        table = _table(lang, "status_messages_title", "col_to", "col_subject", "col_send_at")
        for m in pending:
            table.add_row(
                m["to"] or "—",
                m["subject"],
                _when(m["send_at"]) if m["send_at"] else i18n.text("status_next_tick", lang),
            )
        console.print(table)
    for d in status.get("decisions_waiting") or []:
        console.print(d["detail"])
    console.print(i18n.text("status_documents", lang, count=len(status["documents"])))
    lease = status.get("lease")
    if lease:  # who holds the tick's lock, since when (`contest unlock --reason` clears a stuck one)
        until = i18n.text("status_lease_until", lang, until=lease["until"]) if lease.get("until") else ""
        host, pid, since = lease.get("host") or "?", lease.get("pid") or "?", lease.get("since") or "?"
        console.print(i18n.text("status_lease", lang, host=host, pid=pid, since=since, until=until), soft_wrap=True)
    if status.get("outbox"):  # the local outbox: what CDB still has to send (contest outbox lists it)
        console.print(i18n.text("outbox_heading", lang, **status["outbox"]))
    unsure = status.get("unsure_mail") or []
    if unsure:  # issue 23 item 9: a mail whose send lost its answer, never counted as sent
        table = _table(lang, "status_unsure_title", "col_mail_id", "col_mail", "col_command")
        for u in unsure:
            table.add_row(u["id"], f"{u['action']} {u['key']}", u["command"])
        console.print(table)


def _table(lang: str, title: str, *columns: str, **options: Any) -> Table:
    """A table whose title and column headers are message keys, in the edition's language."""
    return Table(*(i18n.text(c, lang) for c in columns), title=i18n.text(title, lang), **options)


def _reasons(reasons: list[dict[str, str]], lang: str) -> str:
    """One entry per rule, in words: `<missing_field's text> ×4 (9.8)` rather than the same words four times."""
    counts = Counter((r["rule"], r["clause"]) for r in reasons)
    return "; ".join(
        f"{rule_text(rule, lang)}{f' ×{n}' if n > 1 else ''} ({i18n.clause(clause, lang)})"
        for (rule, clause), n in counts.items()
    )


def _when(iso: str) -> str:
    """2027-03-05T18:00:00+05:00 -> 05.03 18:00 (the year is the edition's)."""
    text = str(iso or "")
    return f"{text[8:10]}.{text[5:7]} {text[11:16]}" if len(text) >= 16 else text


def _progress(status: dict[str, Any], lang: str, console: _Whole) -> None:
    """Per open or waiting stage, a table per expert: scored of assigned, % done, last change seen,
    problems; the title names the stage's deadline (`status --json` has every stage)."""
    for stage in status["stages"]:
        rows = [(g, p) for g in stage["groups"] for p in g.get("progress", [])]
        if not rows or stage["state"] == "closed":
            continue
        table = Table(
            i18n.text("col_group", lang),
            i18n.text("col_expert", lang),
            i18n.text("col_scored", lang),
            i18n.text("col_percent", lang),
            i18n.text("col_last_change", lang),
            i18n.text("col_problems", lang),
            title=i18n.text(
                "status_progress_title", lang, stage=stage["number"], deadline=_when(stage.get("deadline", ""))
            ),
        )
        for g, p in rows:
            table.add_row(
                i18n.group_name(g["name"], lang),
                p["expert_email"],
                f"{p['scored']}/{p['assigned']}",
                f"{p['percent']}",
                _when(p["last_change"]),
                str(p["problems"] or ""),
            )
        console.print(table)


class _Whole:
    """A console whose tables are printed whole: every column wraps between words only (a word is
    never cut or folded), and a table that cannot fit the console's width so is printed as wide as
    it needs (a terminal wraps the long lines, a file keeps them as they are)."""

    def __init__(self, console: Console):
        self.console = console

    def print(self, renderable: Any, **options: Any) -> None:
        if not isinstance(renderable, Table):
            self.console.print(renderable, **{"soft_wrap": True, **options})  # a line of text is never cut either
            return
        for column in renderable.columns:
            cells = [str(c) for c in column.cells] + [str(column.header)]
            column.min_width = max((len(word) for c in cells for word in c.split()), default=1)
            column.overflow = "fold"  # only ever reached by a word longer than its column: never, as set
            column.no_wrap = False
        need = renderable.__rich_measure__(self.console, self.console.options).minimum
        self.console.print(renderable, width=max(self.console.width, need), crop=False, **options)
