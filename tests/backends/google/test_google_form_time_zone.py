"""The form's linked response sheet writes its timestamps as serial day numbers in the
spreadsheet's own time zone (properties.timeZone), which need not be the config's: a response 5
minutes before the deadline (Asia/Almaty) is on time and one 5 minutes after is late, whatever zone
the sheet is in."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_google_forms import _linked_sheet

from google_fake.demo import fake_workspace
from pipelines.config import FormSourceConfig
from pipelines.domain.intake import late_submission
from pipelines.formats.forms import load_aliases, map_response

EPOCH = datetime(1899, 12, 30)  # day 0 of a spreadsheet's serial numbers


def _serial(moment: datetime, zone: str) -> float:
    """The serial number Google Forms writes for `moment` into a sheet whose time zone is `zone`."""
    wall = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return (wall - EPOCH).total_seconds() / 86400


@pytest.mark.parametrize("sheet_zone", ["UTC", "Europe/Moscow"])
def test_linked_sheet_times_are_read_in_the_sheets_own_zone(fake, config, drive_id, requests_made, sheet_zone):
    assert str(config.zone) == "Asia/Almaty"
    deadline = config.calendar.intake_close
    early, late = deadline - timedelta(minutes=5), deadline + timedelta(minutes=5)
    header = ["Отметка времени", "Адрес электронной почты", "3. Название ЦОР"]
    rows = [header, [_serial(early, sheet_zone), "t1@atu.edu.kz", "Базы данных"]]
    rows.append([_serial(late, sheet_zone), "t2@atu.edu.kz", "Сети ЭВМ"])
    sid = _linked_sheet(fake, drive_id, rows, time_zone=sheet_zone)
    assert fake.spreadsheet_model(sid).properties["timeZone"] == sheet_zone
    ws = fake_workspace(config.model_copy(update={"form": FormSourceConfig(kind="sheet", spreadsheet_id=sid)}), fake)
    fake.reset_counts()
    raw = ws.forms.read_responses()
    assert requests_made() == {"sheets.spreadsheets.get": 1, "sheets.spreadsheets.values.get": 1}
    assert {r.time_zone for r in raw} == {sheet_zone}
    aliases = load_aliases(config.form.aliases)
    on_time, after = (map_response(r, aliases, 1, config.zone) for r in raw)
    assert abs(on_time.submitted_at - early) < timedelta(seconds=1)
    assert abs(after.submitted_at - late) < timedelta(seconds=1)
    assert on_time.submitted_at.tzinfo == config.zone  # shown in the config's zone
    window = {"intake_open": config.calendar.intake_open, "intake_close": deadline}
    assert late_submission(submitted_at=on_time.submitted_at, **window) == []
    assert [r.rule for r in late_submission(submitted_at=after.submitted_at, **window)] == ["late"]
    fake.reset_counts()
    ws.forms.read_responses()
    assert requests_made() == {"sheets.spreadsheets.values.get": 1}  # the zone and tab are remembered
