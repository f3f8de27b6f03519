"""A person's edit of control.xlsx is named, never taken silently (issue 23 item 1).

Each kind of hand edit below is made with openpyxl, as a person's spreadsheet program would, to the
demo edition while stage 1 is open; the next tick either stops with the edit named (tab, and the
ways out) and changes nothing, or goes on exactly as it would have without the edit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from jobkit import config_of, files, table_rows, workspace_dir
from openpyxl import load_workbook
from openpyxl.styles import Font
from openpyxl.workbook import Workbook

from pipelines.backends.local.lock import LOCK_NAME
from pipelines.cli import cli

CLEAN_ENV = {"CONTEST_LANGUAGE": None}
STOP, NO_EFFECT = "stop", "no effect"


def _delete_row(tab: str, row: int) -> Callable[[Workbook], None]:
    return lambda wb: wb[tab].delete_rows(row)


def _type(tab: str, cell: str, value) -> Callable[[Workbook], None]:
    def edit(wb: Workbook) -> None:
        wb[tab][cell] = value

    return edit


def _rename(tab: str, to: str) -> Callable[[Workbook], None]:
    def edit(wb: Workbook) -> None:
        wb[tab].title = to

    return edit


def _remove(tab: str) -> Callable[[Workbook], None]:
    return lambda wb: wb.remove(wb[tab])


def _swap_rows(tab: str, a: int, b: int) -> Callable[[Workbook], None]:
    def edit(wb: Workbook) -> None:
        ws = wb[tab]
        first, second = [c.value for c in ws[a]], [c.value for c in ws[b]]
        for col, (x, y) in enumerate(zip(first, second), start=1):
            ws.cell(a, col).value, ws.cell(b, col).value = y, x

    return edit


def _append_row(tab: str) -> Callable[[Workbook], None]:
    def edit(wb: Workbook) -> None:
        ws = wb[tab]
        ws.append([c.value for c in ws[ws.max_row]][:1] + ["added by hand"])

    return edit


def _widen(wb: Workbook) -> None:
    wb["Тізілім"].column_dimensions["B"].width = 60


def _bold(wb: Workbook) -> None:
    wb["Кезеңдер"]["A2"].font = Font(bold=True, color="FF0000")


def _new_tab(wb: Workbook) -> None:
    wb.create_sheet("Менің жазбаларым").append(["кафедра отырысы", "7"])


def _reorder(wb: Workbook) -> None:
    wb.move_sheet("Журнал", offset=-3)


def _nothing(wb: Workbook) -> None:
    pass  # opened and saved again: the bytes differ, the tables do not


EDITS: dict[str, tuple[Callable[[Workbook], None], str, str]] = {
    # kind: (the edit, its outcome, the tab the stop names)
    "registry row deleted": (_delete_row("Тізілім", 3), STOP, "Тізілім"),
    "registry status typed over": (_type("Тізілім", "B2", "rejected"), STOP, "Тізілім"),
    "registry id typed over": (_type("Тізілім", "A2", "DER-999"), STOP, "Тізілім"),
    "registry row added": (_append_row("Тізілім"), STOP, "Тізілім"),
    "registry rows sorted": (_swap_rows("Тізілім", 2, 3), STOP, "Тізілім"),
    "registry header typed over": (_type("Тізілім", "B1", "Статус"), STOP, "Тізілім"),
    "registry tab deleted": (_remove("Тізілім"), STOP, "Тізілім"),
    "stage state typed over": (_type("Кезеңдер", "B3", "closed"), STOP, "Кезеңдер"),
    "stage state nonsense": (_type("Кезеңдер", "B3", "жабық?"), STOP, "Кезеңдер"),
    "stage opened-at cleared": (_type("Кезеңдер", "C3", None), STOP, "Кезеңдер"),
    "stage row deleted": (_delete_row("Кезеңдер", 3), STOP, "Кезеңдер"),
    "stages tab renamed": (_rename("Кезеңдер", "Кезеңдер (ескі)"), STOP, "Кезеңдер"),
    "journal tab renamed": (_rename("Журнал", "Журнал 2027"), STOP, "Журнал"),
    "journal tab deleted": (_remove("Журнал"), STOP, "Журнал"),
    "journal row deleted": (_delete_row("Журнал", 2), STOP, "Журнал"),
    "journal outcome typed over": (_type("Журнал", "D2", "sent"), STOP, "Журнал"),
    "assignments tab renamed": (_rename("Тағайындаулар", "Тағ."), STOP, "Тағайындаулар"),
    "assignments row deleted": (_delete_row("Тағайындаулар", 2), STOP, "Тағайындаулар"),
    "assignments expert typed over": (_type("Тағайындаулар", "C2", "someone@atu.edu.kz"), STOP, "Тағайындаулар"),
    "assignments sheet typed over": (_type("Тағайындаулар", "G2", "drive/other.xlsx"), STOP, "Тағайындаулар"),
    "progress typed over": (_type("Барысы", "F2", 99), NO_EFFECT, ""),
    "column widened": (_widen, NO_EFFECT, ""),
    "cell made bold": (_bold, NO_EFFECT, ""),
    "a tab of one's own added": (_new_tab, NO_EFFECT, ""),
    "tabs reordered": (_reorder, NO_EFFECT, ""),
    "opened and saved": (_nothing, NO_EFFECT, ""),
}


def _invoke(config_path: Path, now, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config_path), "--now", now.isoformat(), *args], env=CLEAN_ENV)


def _disk(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files(root)
        if p.name not in ("contest.sqlite3", "control.xlsx", LOCK_NAME) and p.relative_to(root).parts[0] != "backups"
    }


def _when(config_path: Path):
    return config_of(config_path).calendar.stage1_close - timedelta(days=2)


def _decided(config_path: Path) -> dict[str, list]:
    """What the next steps are decided from."""
    return {t: table_rows(config_path, t) for t in ("registry", "stages", "assignments", "results")}


@pytest.fixture(scope="module")
def untouched(opened_build, tmp_path_factory):
    """The next tick of the edition nobody edited: what a no-effect edit must leave."""
    from editions import copy_edition

    config_path = copy_edition(opened_build / "edition", tmp_path_factory.mktemp("untouched") / "edition")
    result = _invoke(config_path, _when(config_path), "tick")
    assert result.exit_code == 0, result.output
    return _disk(workspace_dir(config_path)), _decided(config_path)


@pytest.mark.parametrize("kind", list(EDITS))
def test_a_hand_edit_of_control_xlsx_is_named_or_changes_nothing(edition, untouched, kind):
    edit, outcome, tab = EDITS[kind]
    root = workspace_dir(edition)
    control = root / "control.xlsx"
    wb = load_workbook(control)
    edit(wb)
    wb.save(control)
    edited, before = control.read_bytes(), _disk(root)
    result = _invoke(edition, _when(edition), "tick")
    if outcome == STOP:
        assert result.exit_code != 0, f"{kind}: the tick went on: {result.output}"
        message = result.output
        if kind.endswith("tab deleted"):  # a tab the edition needs is gone: the guard's stop
            assert f"мына беттер жоқ: {tab}" in message or f"«{tab}» беті жоқ" in message, message
        else:
            assert "қолмен өзгертті" in message and f"«{tab}»" in message, message
            assert "contest undo-edits" in message, message
        assert control.read_bytes() == edited  # nothing done on it
        assert _disk(root) == before
    else:
        assert result.exit_code == 0, result.output
        disk, decided = untouched
        assert _disk(root) == disk and _decided(edition) == decided, kind


def test_an_edit_accepted_by_a_recorded_decision_is_journaled_and_the_edition_goes_on(edition):
    control = workspace_dir(edition) / "control.xlsx"
    wb = load_workbook(control)
    wb["Тізілім"]["D2"] = "кафедра шешімі"
    wb.save(control)
    now = _when(edition)
    assert _invoke(edition, now, "tick").exit_code != 0
    accepted = _invoke(edition, now, "accept-edits", "--reason", "ЦДБ, хаттама №3")
    assert accepted.exit_code == 0 and "қабылданды" in accepted.output, accepted.output
    row = [r for r in table_rows(edition, "journal") if r["action"] == "accept-edits"][-1]
    assert row["outcome"] == "ЦДБ, хаттама №3" and "кафедра шешімі" in row["detail"] and "D2" in row["detail"]
    assert _invoke(edition, now, "tick").exit_code == 0


def test_a_renamed_tab_cannot_be_accepted_only_put_back(edition):
    control = workspace_dir(edition) / "control.xlsx"
    written = control.read_bytes()
    wb = load_workbook(control)
    wb["Журнал"].title = "Журнал 2027"
    wb.save(control)
    now = _when(edition)
    refused = _invoke(edition, now, "accept-edits", "--reason", "x")
    assert refused.exit_code != 0 and "қабылдауға болмайды" in refused.output, refused.output
    undone = _invoke(edition, now, "undo-edits")
    assert undone.exit_code == 0, undone.output
    assert control.read_bytes() == written
    assert list((workspace_dir(edition) / "backups" / "set-aside").glob("control-*.xlsx"))  # the edit kept
    assert _invoke(edition, now, "tick").exit_code == 0


def test_russian_names_the_edit(edition):
    control = workspace_dir(edition) / "control.xlsx"
    wb = load_workbook(control)
    wb["Кезеңдер"]["B3"] = "closed"
    wb.save(control)
    result = CliRunner().invoke(
        cli, ["--config", str(edition), "--now", _when(edition).isoformat(), "tick"], env={"CONTEST_LANGUAGE": "ru"}
    )
    assert "изменены вручную" in result.output and "B3: «open» → «closed»" in result.output, result.output


def test_a_nonsense_stage_state_accepted_by_mistake_still_stops_the_edition_named(edition):
    control = workspace_dir(edition) / "control.xlsx"
    wb = load_workbook(control)
    wb["Кезеңдер"]["B3"] = "жабық?"
    wb.save(control)
    now = _when(edition)
    assert _invoke(edition, now, "accept-edits", "--reason", "қате").exit_code == 0
    result = _invoke(edition, now, "tick")
    assert result.exit_code != 0 and "1-кезеңнің күйі «жабық?»" in result.output, result.output
