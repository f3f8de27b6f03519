"""The `contest` command line as CDB staff and cron use it: help for every command, one-line
errors for every user mistake, quiet runs, the `status --json` contract of docs/architecture.md."""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from docx import Document
from editions import copy_edition
from openpyxl import load_workbook

from pipelines.cli import cli
from pipelines.cli.help import entry as help_entry

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "atu-2027" / "contest.yaml"
CLEAN_ENV = {k: None for k in os.environ if k.startswith("CONTEST_")}


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})})


def assert_user_error(result, *needles: str) -> str:
    """Exit 1, one `Error: …` on stderr, nothing on stdout, no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert result.stderr.startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    return result.stderr


def example_copy(folder: Path, **replace: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "contest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = [
    "Timestamp",
    "Email Address",
    "Faculty",
    "Department",
    "DER title",
    "Authors",
    "Language",
    "DER type",
    "Justification",
    "Link",
    "Act of implementation",
    "Certificate of placement",
]


def one_response(folder: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerow(
        [
            "2027/02/01 10:00:00 AM GMT+5",
            "a.serikbayeva@atu.edu.kz",
            "ФИТА",
            "Ақпараттық жүйелер",
            "Веб-бағдарламалау негіздері",
            "Серікбаева Айгерім Нұрланқызы, аға оқытушы",
            "Қазақ тілі",
            "Онлайн-курс (8 тем)",
            "Оқу процесіне енгізілген",
            "https://skills.atu.kz/course/view.php?id=200",
            "https://drive.google.com/open?id=1act",
            "https://drive.google.com/open?id=1cert",
        ]
    )
    (folder / "responses.csv").write_text(out.getvalue(), encoding="utf-8")


# --- help ------------------------------------------------------------------------------------------
def test_every_command_has_help_text():
    assert cli.help and "contest" in cli.help.lower()
    expected = {
        "check-config",
        "intake",
        "open-stage",
        "close-stage",
        "remind",
        "tick",
        "status",
        "demo",
        "audit-sharing",
        "restore",
    }
    assert expected <= set(cli.commands)
    for name, command in cli.commands.items():
        assert command.callback.__doc__ and command.callback.__doc__.strip(), f"{name} has no docstring"
        assert command.help and command.help.strip(), f"{name} has no help"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts} has no help"
        result = invoke(name, "--help")
        assert result.exit_code == 0, result.output
        # said in kk and ru (no config here), from sheets_schema/cli_help.yaml (tests/test_cli_help.py)
        shown = " ".join(result.stdout.split())
        assert all(help_entry(name, lang)[:40] in shown for lang in ("kk", "ru")), shown
    top = invoke("--help")
    assert top.exit_code == 0 and all(name in top.stdout for name in expected)


# --- user mistakes ---------------------------------------------------------------------------------
def test_a_missing_config_file(tmp_path):
    assert_user_error(
        invoke("--config", str(tmp_path / "nope.yaml"), "status"),
        f"Error: Конфигурация файлы табылмады / Файл конфигурации не найден: {tmp_path / 'nope.yaml'}",
    )


def test_no_config_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["status"], env=CLEAN_ENV)
    assert_user_error(result, "contest.yaml")


@pytest.mark.parametrize(
    "prefix,mistake",
    [
        ("  intake_open:", lambda l: "\t" + l.lstrip()),  # a tab where spaces belong
        ("  intake_close:", lambda l: l[1:]),  # one space short of its siblings
    ],
)
def test_bad_yaml_names_the_line(tmp_path, prefix, mistake):
    text = EXAMPLE.read_text(encoding="utf-8").splitlines()
    line = next(n for n, l in enumerate(text) if l.startswith(prefix))
    text[line] = mistake(text[line])
    (tmp_path / "contest.yaml").write_text("\n".join(text) + "\n", encoding="utf-8")
    message = assert_user_error(
        invoke("--config", str(tmp_path / "contest.yaml"), "check-config"),
        "Error: Конфигурация файлы YAML ретінде оқылмады / "
        "Файл конфигурации не читается как YAML: "
        f"{tmp_path / 'contest.yaml'}: ",
    )
    assert f"строка {line + 1}," in message or f"строка {line + 2}," in message, (line + 1, message)
    assert f"{line + 1}-жол," in message or f"{line + 2}-жол," in message, (line + 1, message)


@pytest.mark.parametrize(
    "old,new,key",
    [
        ("remind:\n  days_before: 2", "remind:\n  days_before: 2\n  dayz_before: 3", "remind.dayz_before"),
        ("quotas:\n", "quotes:\n  faculty: 1\nquotas:\n", "quotes"),
        ("  min_experts: 2 ", "  min_expert: 2 ", "scoring.min_expert"),
    ],
)
def test_an_unknown_key_is_named(tmp_path, old, new, key):
    config = example_copy(tmp_path, **{old: new})
    assert_user_error(
        invoke("--config", str(config), "check-config"),
        "Error: Конфигурацияда қате бар: ",  # the config says language: kk
        f"{key}: белгісіз кілт",
    )


def test_a_wrong_value_is_named(tmp_path):
    config = example_copy(tmp_path, **{"  department: 3 ": "  department: three "})
    assert_user_error(invoke("--config", str(config), "check-config"), "quotas.department")


@pytest.mark.parametrize("value", ["garbage", "2027-13-45", "yesterday"])
def test_now_garbage(value):
    assert_user_error(
        invoke("--config", str(EXAMPLE), "--now", value, "status"), f"--now: {value!r} ISO-8601 уақыты емес"
    )


def test_closing_a_stage_that_is_not_open(tmp_path):
    config = example_copy(tmp_path)
    one_response(tmp_path)
    assert_user_error(
        invoke("--config", str(config), "--now", "2027-03-06T09:00", "close-stage", "2"),
        "2-кезең",
        "тек ашық кезеңді жабуға болады",
    )
    assert_user_error(
        invoke("--config", str(config), "--now", "2027-03-06T09:00", "open-stage", "2"),
        "2-кезең 1-кезең жабылғаннан кейін ғана ашылады",
    )


def test_a_damaged_workspace_manifest_is_one_line(tmp_path):
    config = example_copy(tmp_path)
    one_response(tmp_path)
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "manifest.json").write_text('{"documents": ', encoding="utf-8")
    assert_user_error(invoke("--config", str(config), "status"), "manifest.json", "бүлінген")


@pytest.mark.parametrize(
    "lang,lead,words", [("kk", "Табылмады", "жауаптар экспорты жоқ"), ("ru", "Не найдено", "выгрузки ответов")]
)
def test_a_missing_responses_export_is_one_line_saying_not_found(tmp_path, lang, lead, words):
    config = example_copy(tmp_path)  # and no responses.csv next to it
    result = invoke("--config", str(config), "--now", "2027-02-02T09:00", "intake", env={"CONTEST_LANGUAGE": lang})
    assert_user_error(result, f"Error: {lead}: form.path: ", words, "responses.csv")


def test_a_google_config_without_its_key_file_is_one_line(tmp_path):
    config = example_copy(
        tmp_path,
        **{
            "kind: local\n  workspace: workspace": "kind: google\n  credentials: missing.json\n  shared_drive_id: 0Adrive"
        },
    )
    stderr = assert_user_error(invoke("--config", str(config), "status"), "backend.credentials", "missing.json")
    assert stderr.count("\n") == 1


@pytest.mark.parametrize(
    "kind,status,reason,lead",
    [
        ("Unavailable", None, None, "Қызмет қолжетімсіз"),
        ("QuotaExceeded", 429, "rateLimitExceeded", "Google квотасы таусылды"),
        ("PermissionDenied", 403, "forbidden", "Рұқсат жоқ"),
        ("NotFound", 404, "notFound", "Табылмады"),
        ("Conflict", 412, "conditionNotMet", "Күй күтілгендей емес"),
        ("InvalidRequest", 400, "badRequest", "Сұраныс қабылданбады"),
    ],
)
def test_every_kind_of_backend_failure_is_one_line_in_the_editions_language(
    tmp_path, monkeypatch, kind, status, reason, lead
):
    from pipelines import backends, ports

    def failing(config, **options):
        raise getattr(ports, kind)(
            "Google drive files.list: gave up after 6 attempts\n(ConnectionResetError)", status=status, reason=reason
        )

    monkeypatch.setattr(backends, "open_workspace", failing)
    config = example_copy(tmp_path)
    stderr = assert_user_error(
        invoke("--config", str(config), "status"),
        f"Error: {lead}: Google drive files.list: gave up after 6 attempts (ConnectionResetError)",
    )
    assert stderr.count("\n") == 1  # Google's line breaks folded into the one line


def test_before_the_config_is_read_the_kind_is_said_in_both_languages():
    from pipelines.cli import backend_message
    from pipelines.ports import BackendError, Unavailable

    assert backend_message(Unavailable("no network"), None) == "Қызмет қолжетімсіз / Сервис недоступен: no network"
    assert backend_message(Unavailable("no network"), "ru") == "Сервис недоступен: no network"
    assert backend_message(BackendError("the manifest is damaged"), "kk") == "the manifest is damaged"


def test_check_config_names_the_ten_working_day_rule_over_nauryz(tmp_path):
    # 17.03.2027 (Wed) to 29.03.2027 (Mon): 8 weekdays, but 22-24 March are Nauryz holidays -> 5 working days
    config = example_copy(
        tmp_path,
        **{
            "announcement: 2027-01-11T09:00": "announcement: 2027-03-17T09:00",
            "intake_open:  2027-01-25T09:00": "intake_open:  2027-03-29T09:00",
            "intake_close: 2027-02-19T18:00": "intake_close: 2027-04-20T18:00",
            "stage1_close: 2027-03-05T18:00": "stage1_close: 2027-05-05T18:00",
            "stage2_close: 2027-03-26T18:00": "stage2_close: 2027-05-20T18:00",
            "stage3_close: 2027-04-16T18:00": "stage3_close: 2027-06-04T18:00",
        },
    )
    message = assert_user_error(invoke("--config", str(config), "check-config"), "9.1", "10")
    assert "5 жұмыс күні" in message and "17.03.2027" in message and "29.03.2027" in message
    assert "мереке" in message  # holidays, said in the edition's language (kk)


def test_check_config_is_ok_on_the_example():
    result = invoke("--config", str(EXAMPLE), "check-config")
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout and "4 факультет, 10 кафедра" in result.stdout and result.stderr == ""


# --- quiet -----------------------------------------------------------------------------------------
def test_quiet_prints_nothing_on_success(tmp_path):
    config = example_copy(tmp_path)
    one_response(tmp_path)
    for args in (
        ["check-config"],
        ["--now", "2027-01-20T09:00", "tick"],
        ["--now", "2027-02-02T09:00", "intake"],
        ["--now", "2027-02-02T09:10", "tick"],
        ["--now", "2027-02-02T09:20", "remind"],
    ):
        result = invoke("-q", "--config", str(config), *args)
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout == "" and result.stderr == "", (args, result.output)
    assert (tmp_path / "workspace" / "control.xlsx").exists()


# --- status --json ---------------------------------------------------------------------------------
def check_status_contract(status: dict) -> None:
    """The keys docs/architecture.md promises other tools."""
    assert {"edition", "now", "applications", "stages", "winners", "documents"} <= set(status)
    assert isinstance(status["edition"], str) and isinstance(status["now"], str)
    for app in status["applications"]:
        assert {"id", "title", "faculty", "department", "authors", "status", "reasons"} <= set(app)
        assert isinstance(app["authors"], list)
        for reason in app["reasons"]:
            assert {"rule", "clause", "detail"} <= set(reason)
    assert [s["number"] for s in status["stages"]] == [1, 2, 3]
    for stage in status["stages"]:
        assert {"number", "state", "groups"} <= set(stage)
        for group in stage["groups"]:
            assert {"name", "experts", "sheets_complete", "selected", "ties"} <= set(group)
            assert isinstance(group["selected"], list) and all(isinstance(t, list) for t in group["ties"])
    for winner in status["winners"]:
        assert {"place", "id", "score"} <= set(winner)
    for doc in status["documents"]:
        assert {"kind", "path_or_url"} <= set(doc)


@pytest.fixture(scope="module")
def opened_edition(opened_build, tmp_path_factory) -> Path:
    """The demo edition with intake closed and stage 1 open by `contest tick` at 2027-02-19T18:05
    (built once per test run, tests/conftest.py), copied for this module."""
    assert "1-кезең ашылды" in (opened_build / "tick.txt").read_text(encoding="utf-8")
    return copy_edition(opened_build / "edition", tmp_path_factory.mktemp("cli") / "edition")


def test_status_json_has_the_design_keys(opened_edition):
    result = invoke("--config", str(opened_edition), "--now", "2027-02-20T09:00", "status", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    check_status_contract(status)
    assert status["now"].startswith("2027-02-20T09:00")
    assert len(status["applications"]) >= 40
    rejected = [a for a in status["applications"] if a["status"] == "rejected"]
    assert rejected and all(a["reasons"] for a in rejected)
    assert {r["rule"] for a in rejected for r in a["reasons"]} >= {"previous_winner", "invalid_link"}
    stage1 = status["stages"][0]
    assert stage1["state"] == "open" and len(stage1["groups"]) == 10
    assert all(len(g["experts"]) == 3 and g["sheets_complete"] == 0 for g in stage1["groups"])
    kinds = {d["kind"] for d in status["documents"]}
    assert kinds == {"form01"}
    assert all(Path(d["path_or_url"]).exists() for d in status["documents"])


def test_human_status_runs(opened_edition):
    result = invoke("--config", str(opened_edition), "--now", "2027-02-20T09:00", "status")
    assert result.exit_code == 0, result.output
    assert "FIT-IS" in result.stdout and "Traceback" not in result.output


# --- the control tables lost, and restored ---------------------------------------------------------
def _private_copy(opened_edition: Path, tmp_path: Path) -> Path:
    shutil.copytree(opened_edition.parent, tmp_path / "edition")
    return tmp_path / "edition" / "contest.yaml"


def _files(root: Path) -> list[tuple[str, int]]:
    """Every file and when it changed, but the writing jobs' lock (each job records itself in it)."""
    return sorted(
        (p.relative_to(root).as_posix(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and p.name != ".contest-tick.lock"
    )


@pytest.mark.parametrize("command", [["status", "--json"], ["-q", "tick"]], ids=["read", "refused"])
def test_a_command_leaves_no_database_files_open(opened_edition, tmp_path, command):
    """A read-only command, and a tick the guard refuses before any run exists, close the database
    themselves, not leave it to the garbage collector (whose timing once left contest.sqlite3-wal
    and -shm behind for the next command to remove)."""
    config = _private_copy(opened_edition, tmp_path)
    root = config.parent / "workspace"
    if command[-1] == "tick":
        (root / "control.xlsx").unlink()
    gc.disable()  # what closes the connection must be the command itself
    try:
        result = invoke("--config", str(config), "--now", "2027-03-05T18:05", *command)
        assert result.exit_code == (1 if command[-1] == "tick" else 0), result.output
        assert sorted(p.name for p in root.glob("contest.sqlite3*")) == ["contest.sqlite3"]
    finally:
        gc.enable()


def test_a_deleted_control_workbook_stops_the_tick_and_restore_brings_it_back(opened_edition, tmp_path):
    """The opened edition is also the case of a brand-new edition: its first tick, guard and all, ran."""
    config = _private_copy(opened_edition, tmp_path)
    root = config.parent / "workspace"
    status = ["--config", str(config), "--now", "2027-02-20T09:00", "status", "--json"]
    before = json.loads(invoke(*status).stdout)
    (root / "control.xlsx").unlink()
    files = _files(root)
    result = invoke("--config", str(config), "--now", "2027-03-05T18:05", "-q", "tick")  # stage 1 would close
    assert_user_error(
        result, str(root / "control.xlsx"), "басқару кестелері жоқ", "contest restore", str(root / "backups")
    )
    assert _files(root) == files  # the tick created nothing
    restored = invoke("--config", str(config), "restore")
    assert restored.exit_code == 0, restored.output
    assert "қалпына келтірілді" in restored.stdout and "Тізілім" in restored.stdout
    after = json.loads(invoke(*status).stdout)
    assert after["stages"] == before["stages"] and after["applications"] == before["applications"]


@pytest.mark.parametrize(
    "command",
    [
        ["intake"],
        ["open-stage", "1"],
        ["close-stage", "1"],
        ["remind"],
        ["remind", "--dry-run"],
        ["tick"],
        ["status"],
        ["status", "--json"],
        ["audit-sharing"],
    ],
)
def test_every_job_refuses_a_corrupt_control_workbook(opened_edition, tmp_path, command):
    config = _private_copy(opened_edition, tmp_path)
    control = config.parent / "workspace" / "control.xlsx"
    control.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    assert_user_error(
        invoke("--config", str(config), "--now", "2027-02-20T09:00", *command),
        "басқару кестелері оқылмайды",
        "contest restore",
    )
    assert invoke("--config", str(config), "check-config").exit_code == 0  # reads no workspace


def test_restore_lists_backups_sets_the_broken_file_aside_and_restores_a_named_one(opened_edition, tmp_path):
    config = _private_copy(opened_edition, tmp_path)
    root = config.parent / "workspace"
    listed = invoke("--config", str(config), "restore", "--list")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    names = sorted(p.name for p in (root / "backups").glob("control-*.xlsx"))
    assert len(lines) == len(names) and lines[0].startswith(names[-1]) and "UTC" in lines[0]
    assert "Тізілім: " in lines[0]
    (root / "control.xlsx").write_bytes(b"")
    assert invoke("--config", str(config), "-q", "restore").stdout == ""  # -q: errors only
    result = invoke("--config", str(config), "restore", names[0])
    assert result.exit_code == 0, result.output
    assert names[0] in result.stdout and "set-aside" in result.stdout
    first, second = sorted((root / "backups" / "set-aside").iterdir())
    assert first.read_bytes() == b""  # the broken file kept, not deleted
    assert load_workbook(second).sheetnames  # and so is the one the second restore replaced
    assert load_workbook(root / "control.xlsx").sheetnames
    assert_user_error(
        invoke("--config", str(config), "restore", "control-nope.xlsx"), "control-nope.xlsx", "contest restore --list"
    )


def test_restore_without_any_backup(tmp_path):
    config = example_copy(tmp_path)
    assert_user_error(invoke("--config", str(config), "restore"), "control.xlsx", str(tmp_path / "workspace"))
    listed = invoke("--config", str(config), "restore", "--list")
    assert listed.exit_code == 0 and "көшірме жоқ" in listed.stdout


def test_restore_on_google_says_how(tmp_path):
    config = example_copy(tmp_path, **{"kind: local\n  workspace: workspace": "kind: google"})
    for args in (["restore"], ["restore", "--list"]):
        assert_user_error(
            invoke("--config", str(config), *args, env={"CONTEST_LANGUAGE": "ru"}), "истории версий", "корзины"
        )


# --- language --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "lang,heading,department,tab",
    [
        (None, "ІЛЕСПЕ ХАТ", "Ақпараттық жүйелер кафедрасы", "Тізілім"),
        ("ru", "СОПРОВОДИТЕЛЬНОЕ ПИСЬМО", "Кафедра информационных систем", "Реестр"),
    ],
)
def test_contest_language_from_the_environment_changes_the_documents(tmp_path, lang, heading, department, tab):
    config = example_copy(tmp_path)
    one_response(tmp_path)
    result = invoke(
        "--config", str(config), "--now", "2027-02-02T09:00", "intake", env={"CONTEST_LANGUAGE": lang} if lang else None
    )
    assert result.exit_code == 0, result.output
    letters = sorted((tmp_path / "workspace" / "drive" / "intake").rglob("*.docx"))
    assert len(letters) == 1
    text = "\n".join(p.text for p in Document(str(letters[0])).paragraphs)
    assert heading in text and department in text
    assert tab in load_workbook(tmp_path / "workspace" / "control.xlsx").sheetnames


# --- the installed console script ------------------------------------------------------------------
def _console_script() -> str:
    found = shutil.which("contest") or str(Path(sys.executable).parent / "contest")
    assert Path(found).exists(), "the `contest` console script is not installed (pip install -e .)"
    return found


def test_the_console_script_in_a_real_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEST_")}
    ok = subprocess.run(
        [_console_script(), "--config", str(EXAMPLE), "check-config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout
    (tmp_path / "contest.yaml").write_text("edition: [\n", encoding="utf-8")
    bad = subprocess.run(
        [_console_script(), "--config", str(tmp_path / "contest.yaml"), "status"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("Error: ") and "YAML" in bad.stderr and "строка 2" in bad.stderr
    assert "Traceback" not in bad.stderr and bad.stdout == ""


def test_a_failure_worded_in_kk_ru_keeps_its_technical_detail_in_contest_log(tmp_path):
    """What CDB reads is the kk/ru line; Google's own English words go to contest.log beside the config."""
    from pipelines.cli import State, errors
    from pipelines.demo import write_edition
    from pipelines.i18n import Said
    from pipelines.ports import NotFound

    state = State(str(write_edition(tmp_path / "edition", 2027, "ru")), None, True)
    assert state.lang == "ru"
    failure = NotFound("Google drive files.get: 404 File not found: 1AbC", status=404, reason="notFound")
    failure.said = Said("google_http_not_found", code="404 notFound")
    with pytest.raises(click.ClickException) as caught, errors(state):
        raise failure
    line = caught.value.message
    assert line.startswith("Не найдено: Google не нашёл запрошенный файл или объект (404 notFound)")
    assert "File not found" not in line and "contest.log" in line
    log = (tmp_path / "edition" / "contest.log").read_text(encoding="utf-8")
    assert "NotFound status=404 reason=notFound: Google drive files.get: 404 File not found: 1AbC" in log
