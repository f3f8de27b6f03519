"""The straightforward gspread way to do one stage's work, on the same fake as ours (the same
quotas, the same simulated latency), for comparison:

- per expert sheet: `gc.create` (Drive files.create, then gspread opens it), `update` with the rows,
  then one call each for the formats, the validation, the protection, and `share`;
- at the close: `get_all_values` per sheet;
- the registry: `append_row` per row.

A 429 is waited out the way a script does it: sleep (on the fake's clock) and try again, doubling
from 1 s up to 64 s. The sheet contents are the pipeline's own (the same specs) so both send the
same data.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from benchmarks.meter import Meter, peak_rss_mb


def _retrying(fake, call, *args, **kwargs):
    import gspread

    wait = 1.0
    while True:
        try:
            return call(*args, **kwargs)
        except gspread.exceptions.APIError as exc:
            if exc.response.status_code != 429:
                raise
            fake.sleep(wait)
            wait = min(64.0, wait * 2)


def baseline(directory: Path, copies: int, latency: float, seed: int) -> dict:
    from benchmarks.scenario import write_edition
    from google_fake import FakeGoogle
    from pipelines.backends import open_workspace
    from pipelines.config import load_config
    from pipelines.formats.registry import to_row
    from pipelines.jobs.common import Run
    from pipelines.jobs.intake import run_intake
    from pipelines.jobs.stages import close_intake, open_stage

    # What to write: the pipeline's own registry and stage-1 sheets, worked out on a local workspace.
    config_path, _targets = write_edition(directory, copies, seed)
    config = load_config(config_path)
    local = open_workspace(config)
    run = Run(config=config, workspace=local, now=config.calendar.intake_close + timedelta(minutes=5))
    run_intake(run)
    close_intake(run)
    run.commit()
    registry = [list(to_row(a, run.lang).values()) for a in run.state.applications]
    specs = []
    ensure = local.sheets.ensure
    local.sheets.ensure = lambda spec: (specs.append(spec), ensure(spec))[1]  # type: ignore[method-assign]
    open_stage(run, 1)

    fake = FakeGoogle(latency=latency)
    fake.enforce_quotas()
    gc = fake.gspread_client()
    meter = Meter(fake)
    started = time.perf_counter()
    with meter.op("intake (registry)"):
        reg = _retrying(fake, gc.create, "registry")
        ws = reg.sheet1
        for row in registry:
            _retrying(fake, ws.append_row, [str(v) if v is not None else "" for v in row])
    opened = []
    with meter.op("open"):
        for spec in specs:
            sh = _retrying(fake, gc.create, spec.name)
            ws = sh.sheet1
            grid = spec.grid
            values = [[c.formula or ("" if c.value is None else c.value) for c in row] for row in grid.rows]
            _retrying(fake, ws.update, values, "A1", value_input_option="USER_ENTERED")
            _retrying(fake, ws.format, "A1:Z1", {"textFormat": {"bold": True}})
            rule = {
                "setDataValidation": {
                    "range": {
                        "sheetId": ws.id,
                        "startRowIndex": 1,
                        "endRowIndex": len(values),
                        "startColumnIndex": 1,
                        "endColumnIndex": 8,
                    },
                    "rule": {
                        "condition": {
                            "type": "NUMBER_BETWEEN",
                            "values": [{"userEnteredValue": "1"}, {"userEnteredValue": "10"}],
                        },
                        "strict": True,
                    },
                }
            }
            _retrying(fake, sh.batch_update, {"requests": [rule]})
            _retrying(fake, ws.add_protected_range, "A1:A1", editor_users_emails=[])
            # sh.share sends gspread's legacy `withLink` field, which Drive v3 (and the fake) refuse:
            # the same one permissions.create call, with v3's fields
            _retrying(
                fake,
                gc.http_client.request,
                "post",
                f"https://www.googleapis.com/drive/v3/files/{sh.id}/permissions",
                json={"type": "user", "role": "writer", "emailAddress": spec.key.expert},
                params={"supportsAllDrives": "true", "sendNotificationEmail": "false"},
            )
            opened.append(ws)
    with meter.op("close"):
        for ws in opened:
            _retrying(fake, ws.get_all_values)
    wall = time.perf_counter() - started
    t = {k: sum(o[k] for o in meter.ops.values()) for k in ("sheets_read", "sheets_write", "simulated")}
    return {
        "ops": meter.ops,
        "order": meter.order,
        "wall": wall,
        "peak_mb": peak_rss_mb(),
        "sheets_made": len(specs),
        "registry_rows": len(registry),
        "stage1": {"sheets": t["sheets_read"] + t["sheets_write"], "simulated": t["simulated"]},
        "invalid_requests": len(fake.invalid_requests()),
    }
