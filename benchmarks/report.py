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


def _stage_work(result: dict) -> dict:
    """Ours for what the baseline does: the intake's registry, stage openings and closes (documents
    excluded, as the baseline writes none)."""
    out = dict.fromkeys(FIELDS, 0.0)
    for name in ("intake", "open", "close", "tick (state, journal)"):
        for k in FIELDS:
            out[k] += result["ops"].get(name, {}).get(k, 0.0)
    return out


def comparisons(results: dict, copies: int) -> str:
    lines = ["\n== comparisons =="]
    if "demo-local" in results and "x10-local" in results:
        a, b = results["demo-local"]["wall"], results["x10-local"]["wall"]
        lines.append(f"local wall time x{copies} / x1: {b / a:.2f} ({b:.1f} s / {a:.1f} s)")
    base, ours = results.get("baseline"), results.get("x10-google")
    if base and ours:
        stage = _stage_work(ours)
        b1 = base["stage1"]
        o_sheets = ours["ops"]["open"]["sheets_write"] + ours["ops"]["close"]["sheets_read"]
        o1 = ours["stage1"] if "stage1" in ours else None
        lines.append(
            f"one stage's work at x{copies}, baseline / ours: Sheets requests "
            f"{b1['sheets']:.0f} / {o1['sheets'] if o1 else o_sheets:.0f} = "
            f"{b1['sheets'] / max(1, o1['sheets'] if o1 else o_sheets):.1f}x; "
            f"simulated time {b1['simulated']:.0f} s / {o1['simulated'] if o1 else stage['simulated']:.0f} s = "
            f"{b1['simulated'] / max(1e-9, o1['simulated'] if o1 else stage['simulated']):.1f}x"
        )
    return "\n".join(lines)


def _mark(ok: bool) -> str:
    return "met   " if ok else "MISSED"


def targets(results: dict, copies: int) -> str:
    lines = ["\n== targets =="]

    def add(ok: bool | None, text: str) -> None:
        lines.append(f"  {'n/a   ' if ok is None else _mark(ok)} {text}")

    x10, x1 = results.get("x10-local"), results.get("demo-local")
    if x10:
        add(x10["wall"] < 60, f"x{copies} edition on the local workspace under 60 s: {x10['wall']:.1f} s")
        idle = x10["ops"]["idle tick"]
        add(
            idle["wall"] / idle["calls"] < 0.5,
            f"idle tick at x{copies} under 0.5 s: {idle['wall'] / idle['calls']:.2f} s",
        )
        add(x10["peak_mb"] < 500, f"peak memory of the x{copies} edition under 500 MB: {x10['peak_mb']:.0f} MB")
    if x10 and x1:
        ratio = x10["wall"] / x1["wall"]
        add(ratio <= 10.5 * copies / 10, f"x{copies} time within {10.5 * copies / 10:.1f}x of x1: {ratio:.2f}x")
    big = results.get("intake-10k-local")
    if big:
        rate = big["docx_rendered"] / big["ops"]["documents"]["cpu"]
        add(rate >= 50, f">= 50 .docx per second on one core: {rate:.0f} per CPU second")
        add(
            big["ops"]["intake"]["wall"] < 2,
            f"intake of {big['applications']} rows under 2 s: {big['ops']['intake']['wall']:.2f} s",
        )
    g = results.get("x10-google")
    if g:
        per = g.get("per_sheet", {})
        if per:
            add(per["create_sheets"] <= 1, f"Sheets requests per sheet created: {per['create_sheets']:.2f}")
            add(per["read_sheets"] <= 1, f"Sheets requests per sheet read at close: {per['read_sheets']:.2f}")
            add(per["create_drive"] <= 2, f"Drive calls per new sheet: {per['create_drive']:.2f}")
        c = g["sheet_creates"]
        add(
            c["without_id"] == 0,
            f"files created with their id known before the call: {c['created'] - c['without_id']}/{c['created']}",
        )
        t = total(g)
        floor = max(t["sheets_read"], t["sheets_write"])
        add(
            t["simulated"] <= 1.1 * floor,
            f"simulated time within 1.1x of the quota floor: {t['simulated'] / max(floor, 1e-9):.2f}x",
        )
        add(t["http_429"] == 0, f"quota errors: {int(t['http_429'])}")
        base = results.get("baseline")
        if base:
            ours = g["stage1"]["sheets"]
            add(
                base["stage1"]["sheets"] >= 5 * ours,
                f">= 5x fewer Sheets requests than the baseline: {base['stage1']['sheets'] / max(ours, 1):.1f}x",
            )
    return "\n".join(lines)
