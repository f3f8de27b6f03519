"""The printed tables of benchmarks/run.py: per operation and total, comparisons, targets."""

from __future__ import annotations

from benchmarks.meter import FIELDS

NOT_OURS = "experts type (not ours)"  # the simulated experts' own typing: shown, not in the total


def _lower_bound(op: dict) -> float:
    """Seconds Google's per-minute quotas allow at the least: the busier Sheets kind / 60 per minute."""
    return max(op["sheets_read"], op["sheets_write"]) / 60 * 60


def total(result: dict) -> dict:
    out = dict.fromkeys(FIELDS, 0.0)
    for name, op in result["ops"].items():
        if name != NOT_OURS:
            for k in FIELDS:
                out[k] += op[k]
    return out


def table(name: str, result: dict) -> str:
    head = (
        f"{'operation':<24}{'calls':>6}{'wall s':>9}{'cpu s':>9}{'reads':>7}{'writes':>7}{'drive':>7}"
        f"{'sim s':>9}{'floor s':>9}{'ratio':>7}{'429s':>6}"
    )
    lines = [f"\n== {name} ==", head, "-" * len(head)]
    rows = [(op, result["ops"][op]) for op in result["order"]] + [("total", total(result))]
    for label, op in rows:
        floor = _lower_bound(op)
        ratio = f"{op['simulated'] / floor:.2f}" if floor else "-"
        lines.append(
            f"{label:<24}{int(op['calls']):>6}{op['wall']:>9.2f}{op['cpu']:>9.2f}{int(op['sheets_read']):>7}"
            f"{int(op['sheets_write']):>7}{int(op['drive']):>7}{op['simulated']:>9.1f}{floor:>9.1f}{ratio:>7}"
            f"{int(op['http_429']):>6}"
        )
    extra = {k: v for k, v in result.items() if k not in ("ops", "order")}
    lines.append(
        f"peak memory {extra.pop('peak_mb'):.0f} MB; run {extra.pop('wall'):.1f} s wall "
        f"(process {extra.pop('process_wall', 0):.1f} s); " + "; ".join(f"{k} {v}" for k, v in extra.items())
    )
    return "\n".join(lines)


def comparisons(results: dict, copies: int) -> str:
    lines = ["\n== comparisons =="]
    if "demo-local" in results and "x10-local" in results:
        a, b = total(results["demo-local"]), total(results["x10-local"])
        lines.append(
            f"local x{copies} / x1: wall {b['wall'] / a['wall']:.2f} ({b['wall']:.1f} s / {a['wall']:.1f} s), "
            f"cpu {b['cpu'] / a['cpu']:.2f} ({b['cpu']:.1f} s / {a['cpu']:.1f} s)"
        )
    base, ours = results.get("baseline"), results.get("x10-google")
    if base and ours:
        b, o = base["stage1"], ours["stage1"]
        lines.append(
            f"one stage's work at x{copies} (intake registry, stage 1 opened and closed), baseline / ours: "
            f"Sheets requests {b['sheets']:.0f} / {o['sheets']:.0f} = {b['sheets'] / max(1, o['sheets']):.1f}x; "
            f"simulated time {b['simulated']:.0f} s / {o['simulated']:.0f} s = "
            f"{b['simulated'] / max(1e-9, o['simulated']):.1f}x"
        )
        if "same_work" in o:
            lines.append(
                f"  the same work only (registry, sheets made, sheets read at the close; no progress tab, "
                f"reminders or journal): Sheets requests {b['sheets']:.0f} / {o['same_work']:.0f} = "
                f"{b['sheets'] / max(1, o['same_work']):.1f}x"
            )
    return "\n".join(lines)


def _mark(ok: bool) -> str:
    return "met   " if ok else "MISSED"


def targets(results: dict, copies: int) -> str:
    """Each target met or missed. Time targets are judged twice: on wall time, as stated, and on CPU
    time, which is what the wall time would be on an idle machine (the benchmark machine is shared;
    LibreOffice's PDF conversions run in a child process and count in wall time only)."""
    lines = ["\n== targets (time targets: wall | cpu) =="]

    def add(ok: bool | None, text: str, cpu_ok: bool | None = None) -> None:
        both = _mark(bool(ok)) + (" | " + _mark(cpu_ok) if cpu_ok is not None else "         ")
        lines.append(f"  {both}  {text}")

    def per_op(result: dict, key: str, field: str) -> float:
        op = result["ops"].get(key)
        return op[field] / op["calls"] if op else 0.0

    x10, x1 = results.get("x10-local"), results.get("demo-local")
    if x10:
        t = total(x10)
        add(
            t["wall"] < 60,
            f"x{copies} edition on the local workspace under 60 s: wall {t['wall']:.1f} s, cpu {t['cpu']:.1f} s",
            t["cpu"] < 60,
        )
        w, c = per_op(x10, "idle tick", "wall"), per_op(x10, "idle tick", "cpu")
        add(w < 0.5, f"idle tick at x{copies} under 0.5 s: wall {w:.2f} s, cpu {c:.2f} s", c < 0.5)
        add(x10["peak_mb"] < 500, f"peak memory of the x{copies} edition under 500 MB: {x10['peak_mb']:.0f} MB")
    if x10 and x1:
        a, b = total(x1), total(x10)
        limit = 10.5 * copies / 10
        add(
            b["wall"] / a["wall"] <= limit,
            f"x{copies} time within {limit:.1f}x of x1: wall {b['wall'] / a['wall']:.2f}x, cpu {b['cpu'] / a['cpu']:.2f}x",
            b["cpu"] / a["cpu"] <= limit,
        )
    big = results.get("intake-10k-local")
    if big:
        d = big["ops"]["documents"]
        add(
            big["docx_rendered"] / d["wall"] >= 50,
            f">= 50 .docx per second on one core: {big['docx_rendered'] / d['wall']:.0f}/s wall, "
            f"{big['docx_rendered'] / d['cpu']:.0f}/s cpu",
            big["docx_rendered"] / d["cpu"] >= 50,
        )
        i = big["ops"]["intake"]
        add(
            i["wall"] < 2,
            f"intake of {big.get('rows', '?')} rows ({big['applications']} applications) under 2 s: wall {i['wall']:.2f} s, cpu {i['cpu']:.2f} s",
            i["cpu"] < 2,
        )
    g = results.get("x10-google")
    if g:
        per = g.get("per_sheet", {})
        if per:
            add(per["create_sheets"] <= 1.0, f"Sheets requests per sheet created: {per['create_sheets']:.2f}")
            add(per["read_sheets"] <= 1.0, f"Sheets requests per sheet read at close: {per['read_sheets']:.2f}")
            add(per["create_drive"] <= 2.0, f"Drive calls per new sheet: {per['create_drive']:.2f}")
        c = g["sheet_creates"]
        add(
            c["without_id"] == 0,
            f"files created with their id known before the call: {c['created'] - c['without_id']} of {c['created']}"
            f" (and {c.get('by_key', 0)} Google Sheets / converted Docs made once by their key)",
        )
        t = total(g)
        floor = max(t["sheets_read"], t["sheets_write"])
        add(
            t["simulated"] <= 1.1 * floor,
            f"simulated time within 1.1x of the quota floor: {t['simulated']:.0f} s / {floor:.0f} s "
            f"= {t['simulated'] / max(floor, 1e-9):.2f}x",
        )
        add(t["http_429"] == 0, f"0 quota errors: {int(t['http_429'])}")
        base = results.get("baseline")
        if base:
            ours = g["stage1"]["sheets"]
            add(
                base["stage1"]["sheets"] >= 5 * ours,
                f">= 5x fewer Sheets requests than the baseline: {base['stage1']['sheets']:.0f} / {ours:.0f} "
                f"= {base['stage1']['sheets'] / max(ours, 1):.1f}x",
            )
    return "\n".join(lines)
