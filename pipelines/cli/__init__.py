"""contest [--config PATH] [--now ISO-8601] [-q] COMMAND — a thin shell over the jobs.

User mistakes end as `Error: …` on stderr with exit 1 and no traceback. What CDB reads is in the
config's language (pipelines/i18n.py); before the config could be read, in Kazakh and Russian both.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from pipelines import i18n
from pipelines.cli.help import Group as LocalizedGroup
from pipelines.config import Config, ConfigError, load_config

DEFAULT_CONFIG = "contest.yaml"


class State:
    def __init__(self, config_path: str, now: str | None, quiet: bool):
        self.config_path, self.now_text, self.quiet = config_path, now, quiet
        self._config: Config | None = None
        self.runs: list = []  # the command's runs: settled at its end (exclusive)
        self.workspaces: list = []  # closed at the command's end, whatever it ended in
        # while a writing command runs (exclusive): where its runs' edition leases are held until the
        # command's end (make_run takes one); None for a command that only reads
        self.leases: ExitStack | None = None

    def close(self) -> None:
        """What the command's stores hold open (local: the database connection) is let go by the
        command itself, not by the garbage collector: a read-only `status` leaves no -wal or -shm."""
        for workspace in self.workspaces:
            workspace.control.close()

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = read_config(self.config_path)
        return self._config

    @property
    def lang(self) -> str:
        return self.config.language

    @property
    def known_lang(self) -> str | None:
        """The config's language if the config was read already (the demo never reads it), else None."""
        return self._config.language if self._config is not None else None

    def now(self) -> datetime:
        zone = self.config.zone
        if not self.now_text:
            return datetime.now(zone)
        try:
            moment = datetime.fromisoformat(self.now_text)
        except ValueError:
            raise click.ClickException(i18n.text("now_invalid", self.lang, value=repr(self.now_text))) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)

    def echo(self, text: str) -> None:
        if not self.quiet:
            click.echo(text)


def read_config(path: str) -> Config:
    """The config, or a user error `<lead>: <details>` in the config's language when load_config
    could tell it (the details name the key and the value), else in Kazakh and Russian both."""
    if not Path(path).exists():
        raise click.ClickException(f"{i18n.both('config_missing')}: {path}")
    try:
        return load_config(path)
    except ConfigError as exc:
        cause = exc.__context__  # load_config raises `from None`: the cause is still kept here
        key = "config_yaml" if isinstance(cause, yaml.YAMLError) else "config_invalid"
        lead = i18n.text(key, exc.lang) if exc.lang else i18n.both(key)
        raise click.ClickException(f"{lead}: {exc}") from None


def progress_for(quiet: bool):
    """A progress bar on a terminal; silent under -q or when not attached to one."""
    if quiet or not sys.stderr.isatty():
        from pipelines.jobs.common import no_progress

        return no_progress
    from rich.progress import Progress

    def start(label: str, total: int):
        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task(label, total=total)
        done = [0]

        def advance():
            done[0] += 1
            bar.advance(task)
            if done[0] >= total:
                bar.stop()

        if total == 0:
            bar.stop()
        return advance

    return start


def backend_message(exc: Exception, lang: str | None) -> str:
    """One line: the kind of backend failure in the user's language, then the backend's own detail
    (paths, settings, Google's status and reason) as it wrote it; a plain BackendError is its detail
    alone. Before the config's language is known, the kind is said in both languages."""
    from pipelines import ports

    leads = {
        ports.NotFound: "error_not_found",
        ports.PermissionDenied: "error_permission_denied",
        ports.QuotaExceeded: "error_quota_exceeded",
        ports.Conflict: "error_conflict",
        ports.Unavailable: "error_unavailable",
        ports.InvalidRequest: "error_invalid_request",
    }
    detail = " ".join(i18n.error_text(exc, lang).split()) or type(exc).__name__
    key = next((leads[kind] for kind in type(exc).__mro__ if kind in leads), None)
    if key is None:
        return detail
    lead = i18n.text(key, lang) if lang else i18n.both(key)
    return f"{lead}: {detail}"


LOG_NAME = "contest.log"


def log_detail(state: State | None, exc: Exception) -> Path | None:
    """A failure said to CDB in kk/ru words (`exc.said`) whose technical detail is other words (Google's
    own message, the HTTP status and reason, the chain of causes): that detail, in English, appended to
    contest.log beside the config (the log a developer reads). Returns the log's path, or None when
    there was nothing more to keep or no config to put it beside."""
    said = getattr(exc, "said", None)
    if said is None or str(said) == str(exc) or state is None or state._config is None:
        return None  # not worded apart, or the words are all there is
    causes: list[str] = []
    seen = exc.__cause__ or exc.__context__
    while seen is not None and len(causes) < 5:
        causes.append(f"{type(seen).__name__}: {' '.join(str(seen).split())}")
        seen = seen.__cause__ or seen.__context__
    status, reason = getattr(exc, "status", None), getattr(exc, "reason", None)
    entry = f"{datetime.now().astimezone().isoformat(timespec='seconds')} {type(exc).__name__}"
    entry += f" status={status} reason={reason}" if status or reason else ""
    entry += f": {' '.join(str(exc).split())}" + "".join(f" <- {c}" for c in causes) + "\n"
    path = state._config.base_dir / LOG_NAME
    try:
        with open(path, "a", encoding="utf-8") as log:
            log.write(entry)
    except OSError:
        return None
    return path


@contextmanager
def errors(state: State | None = None) -> Iterator[None]:
    """Known failures become one line; anything else still shows its traceback (a bug)."""
    from pipelines.formats.documents import DocumentError
    from pipelines.formats.forms import FormError
    from pipelines.jobs.stages import StageError
    from pipelines.ports import BackendError

    try:
        yield
    except BackendError as exc:
        line = backend_message(exc, state.known_lang if state else None)
        log = log_detail(state, exc)
        if log is not None:
            lang = state.known_lang if state else None
            line = i18n.text("error_detail_logged", lang, line=line, log=log) if lang else f"{line} ({log})"
        raise click.ClickException(line) from None
    except (ConfigError, StageError, DocumentError, FormError) as exc:
        raise click.ClickException(i18n.error_text(exc, state.known_lang if state else None)) from None


def make_run(state: State, workspace=None, *, guard: bool = True):
    """The job's Run. `guard`: first make sure the edition's control tables are not lost
    (pipelines/jobs/guard.py) — every job command does; check-config --access only reads."""
    from pipelines.backends import open_workspace
    from pipelines.jobs.common import Run
    from pipelines.jobs.guard import ensure_control_intact

    config = state.config
    workspace = workspace or open_workspace(config)
    state.workspaces.append(workspace)
    if guard:
        ensure_control_intact(workspace, state.lang)
    run = Run(config=config, workspace=workspace, now=state.now(), progress=progress_for(state.quiet))
    state.runs.append(run)
    if state.leases is not None:  # a writing command: the edition's lease too, not only this machine's lock
        from pipelines.jobs.tick import edition_lease

        state.leases.enter_context(edition_lease(run))
    return run


def lock_path(config) -> Path:
    """Where the lock of writing jobs lives: in a local workspace's own folder, so two configs naming
    one workspace never run at once; beside a Google edition's config (its control spreadsheet's
    lease keeps its configs apart)."""
    from pipelines.backends.local.lock import LOCK_NAME

    if config.backend.kind == "local":
        return config.path(config.backend.workspace) / LOCK_NAME
    return config.base_dir / LOCK_NAME


@contextmanager
def exclusive(state: State, *, busy_ok: bool = False, lease: bool = True) -> Iterator[None]:
    """Jobs that write the workspace run one at a time: the tick's lock, taken by hand-run jobs too,
    so that `contest close-stage 1` typed while cron's tick runs cannot lose either one's writes; and,
    for each run the command makes (make_run), the edition's lease in the control store, which keeps
    a job typed on one machine apart from cron's tick on another (Google). Both are held until the
    command's appends are settled. `lease=False`: `contest unlock`, which clears a lease.

    `busy_ok`: another tick holding the lock is normal for cron's tick (a note, exit 0); for a
    command typed by hand it is an error to retry."""
    from pipelines.backends.local.lock import LockBusy, workspace_lock
    from pipelines.jobs.tick import TickBusy

    lock = lock_path(state.config)
    try:
        with workspace_lock(lock, state.lang, sweep=state.config.backend.kind == "local"):
            with ExitStack() as leases:  # let go after the settling below, before the lock
                state.leases = leases if lease else None
                try:
                    yield
                except BaseException:
                    _settle(state, quiet=True)  # the job's own failure is what is said
                    raise
                finally:
                    state.leases = None
                _settle(state)
    except (TickBusy, LockBusy) as busy:
        if isinstance(busy, LockBusy) and busy.held is not None:
            where = i18n.text("lock_held_by", state.lang, lock=lock, **_holder_words(busy.held))
        elif isinstance(busy, LockBusy):
            where = str(lock)
        else:  # another machine's job holds the control store's lease
            where = _lease_words(busy, state.lang)
        if not busy_ok:
            raise click.ClickException(i18n.text("tick_busy", state.lang, lock=where)) from None
        click.echo(i18n.text("tick_busy_note", state.lang, lock=where), err=True)
        sys.exit(0)


def _lease_words(busy, lang: str) -> str:
    """The control store's lease as the busy message names it: who holds it, since when, until when."""
    from pipelines import holders

    found = holders.parse(busy.holder)
    host, pid = (found.host, str(found.pid)) if found else (busy.holder or "?", "?")
    return i18n.text("lease_held_by", lang, host=host, pid=pid, until=busy.until or "?")


def _holder_words(held) -> dict[str, str]:
    """host, pid and since of a lease or lock, as the messages name them ("?" when unknown)."""
    found = held.as_dict() if held is not None else {}
    return {
        "host": found.get("host") or "?",
        "pid": str(found.get("pid") or "?"),
        "since": found.get("since") or "?",
    }


def _settle(state: State, *, quiet: bool = False) -> None:
    """What the command's jobs appended goes into the store's tables before the lock is let go."""
    for run in state.runs:
        try:
            run.settle()
        except Exception:
            if not quiet:
                raise


T = TypeVar("T")


def finish(state: State, run) -> None:
    for line in run.messages:
        state.echo(line)
    for line in run.warnings:  # even under -q: what CDB must act on
        click.echo(line, err=True)


def run_job(state: State, work: Callable[[Any], T], *, lock: bool = True) -> T:
    """A job command's one shape: its errors said in the edition's language, the workspace lock while
    it may write (`lock`), then what the run said; `work(run)`'s result."""
    with errors(state), exclusive(state) if lock else nullcontext():
        run = make_run(state)
        result = work(run)
    finish(state, run)
    return result


@click.group(cls=LocalizedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    default=None,
    is_eager=True,  # read before --help when typed before it: help speaks that edition's language
    envvar="CONTEST_CONFIG",
    show_envvar=True,
    type=click.Path(dir_okay=False),
    help=f"The edition's contest.yaml (default ./{DEFAULT_CONFIG}).",
)
@click.option("--now", default=None, help="Act as if at this ISO-8601 time (in the config's zone if none given).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (for cron).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, now: str | None, quiet: bool) -> None:
    """Run ATU's contest for the best digital educational resource (regulation АТУ-ЖИЦДО-ІӘЕ-7.5.1-2025-04)."""
    ctx.obj = State(config_path or DEFAULT_CONFIG, now, quiet)
    ctx.call_on_close(ctx.obj.close)


def config_problems(state: State, problems: list) -> click.ClickException:
    """check-config's problems as one line in the edition's language, each with its clause."""
    said = "; ".join(f"{i18n.word(p.notice, state.lang)} ({i18n.clause(p.clause, state.lang)})" for p in problems)
    return click.ClickException(i18n.text("config_problems", state.lang, problems=said))


def check_form_file(state: State) -> str | None:
    """Plain check-config: the export at form.path maps (what `--form` checks, without reaching the
    backend). Not there yet is fine while intake is open (a line says where it is expected); from
    intake's close on it is an error. A Google form source is read by `--form` / `--access`.
    Returns the line to print."""
    from pipelines.formats.forms import ExportFile
    from pipelines.jobs.intake import check_mapping, column_mapping

    config, lang = state.config, state.lang
    if config.form.kind != "file" or not config.form.path:
        return None
    path = config.path(config.form.path)
    close = f"{config.calendar.intake_close.astimezone(config.zone):%d.%m.%Y %H:%M}"
    if not path.exists():
        if state.now() >= config.calendar.intake_close:
            raise click.ClickException(i18n.text("form_source_missing_closed", lang, path=path, close=close))
        return i18n.text("form_source_not_yet", lang, path=path, close=close)
    with errors(state):
        raw = ExportFile(path, config.form.aliases).read_responses()
        mapping = column_mapping(raw, config)
        check_mapping(mapping, lang)
    if not raw:
        return i18n.text("form_mapping_empty", lang, where=path)
    return i18n.text("form_source_ok", lang, path=path, columns=len(mapping.matches), responses=len(raw))


@cli.command("check-config")
@click.option(
    "--access", is_flag=True, help="Also reach the backend (Google or the local folder) and read what the jobs need."
)
@click.option(
    "--form", "form", is_flag=True, help="Also read the form's responses and show how each column is mapped to a field."
)
@click.pass_obj
def check_config_cmd(state: State, access: bool, form: bool) -> None:
    """Validate contest.yaml, including the announcement's 10 working days (9.1)."""
    from pipelines.checks import check_config, config_warnings

    with errors(state):
        problems = check_config(state.config)
        for w in config_warnings(state.config, state.now()):
            click.echo(
                i18n.text("config_warning", state.lang, detail=i18n.word(w.notice, state.lang), clause=w.clause),
                err=True,
            )
    if problems:
        raise config_problems(state, problems)
    form_line = None if form else check_form_file(state)  # before "OK": a failing check never says it
    state.echo(
        i18n.text(
            "config_ok",
            state.lang,
            path=state.config_path,
            edition=state.config.edition_name(),
            faculties=len(state.config.faculties),
            departments=sum(len(f.departments) for f in state.config.faculties),
        )
    )
    if form_line:
        state.echo(form_line)
    if form:
        from pipelines.jobs.intake import check_mapping, mapping_lines, read_mapping

        with errors(state):
            run = make_run(state, guard=False)
            raw, mapping = read_mapping(run, check=False)
        empty = [i18n.text("form_mapping_empty", state.lang, where=state.config.form.path or state.config.form.kind)]
        for line in mapping_lines(mapping, state.lang) if raw else empty:
            click.echo(line)  # asked for: shown even with -q
        with errors(state):
            check_mapping(mapping, state.lang)
            from pipelines.checks import quorum_shortfalls
            from pipelines.jobs.intake import read_applications

            decided = read_applications(run)[0] if raw else []
            short = quorum_shortfalls(state.config, decided)
        for line in held_lines(decided, state.lang):
            click.echo(line)  # needs CDB: what contest.yaml must settle, with the closest matches
        if short:
            raise config_problems(state, short)
    if access:
        from pipelines.jobs.access import check_access

        with errors(state):
            run = make_run(state, guard=False)
            failed = check_access(run)
        finish(state, run)
        if failed:
            raise click.ClickException(i18n.text("access_failed", state.lang, problems="; ".join(failed)))


@cli.command()
@click.option("--mail", is_flag=True, help="Also send one mail through Gmail, to backend.sender itself.")
@click.option(
    "--record",
    "record",
    type=click.Path(file_okay=False),
    default=None,
    help="Write the requests and Google's answers (no credentials, no personal data) as a cassette in this folder.",
)
@click.option(
    "--share-with",
    "share_with",
    default=None,
    help="The CDB address the scratch sheet is shared with (default: backend.sender, else the first of "
    "backend.cdb_editors); best one that is not a member of the shared drive, as experts are not.",
)
@click.pass_obj
def preflight(state: State, mail: bool, record: str | None, share_with: str | None) -> None:
    """Prove the Google setup: once each kind of request an edition makes, on scratch files deleted at the end."""
    from pipelines import backends
    from pipelines.jobs.preflight import run_preflight

    config, lang = state.config, state.lang
    if config.backend.kind != "google":
        raise click.ClickException(i18n.text("preflight_google_only", lang))
    from pipelines.backends.google.cassette import Recorder
    from pipelines.backends.google.preflight import google_preflight

    recorder = Recorder() if record else None
    with errors(state):
        workspace = backends.open_workspace(config, **({"recorder": recorder} if recorder else {}))
        run = make_run(state, workspace, guard=False)
        outcome = run_preflight(run, google_preflight(workspace), mail=mail, say=click.echo, share_with=share_with)
    if recorder is not None and record:
        path = recorder.save(Path(record), config)
        click.echo(i18n.text("preflight_recorded", lang, path=path, count=len(recorder.interactions)))
    if outcome.failed:
        raise click.ClickException(i18n.text("preflight_failed", lang, step=outcome.failed))
    state.echo(i18n.text("preflight_passed", lang, count=outcome.steps))


@cli.command()
@click.option("--no-browser", is_flag=True, help="On a server: print the address to open instead of opening a browser.")
@click.option(
    "--port", default=8765, show_default=True, help="Where Google's answer comes back (http://localhost:PORT)."
)
@click.pass_obj
def auth(state: State, no_browser: bool, port: int) -> None:
    """backend.auth: oauth — sign in as the CDB user once and keep the token at backend.token_path."""
    config, lang = state.config, state.lang
    if config.backend.kind != "google" or config.backend.auth != "oauth":
        raise click.ClickException(i18n.text("auth_not_oauth", lang))
    from pipelines.backends.google import authorize

    with errors(state):
        path = authorize(
            config, open_browser=not no_browser, port=port, prompt=i18n.text("auth_open", lang, url="{url}")
        )
    click.echo(i18n.text("auth_saved", lang, path=path))


def held_lines(applications, lang: str) -> list[str]:
    """One line per application held for CDB (a unit no spelling matches, a link off the allowed
    platforms): its id, row and what to settle, the closest matches named."""
    from pipelines.domain.models import Status

    return [
        i18n.text(
            "form_held_line",
            lang,
            id=a.id,
            row=a.response.row_number,
            reasons="; ".join(i18n.word(r.notice, lang) for r in a.reasons),
        )
        for a in applications
        if a.status is Status.HELD
    ]


@cli.command()
@click.option(
    "--export-complete",
    "export_complete",
    is_flag=True,
    help="After the deadline: record that the export at form.path holds every response up to it "
    "(when its file time cannot show it), so the next tick closes intake.",
)
@click.pass_obj
def intake(state: State, export_complete: bool) -> None:
    """Read the form responses, decide each application, write the registry and form 01 letters."""
    from pipelines.jobs.intake import record_export_complete, run_intake

    def work(run) -> None:
        if export_complete:
            record_export_complete(run)
        run_intake(run)

    run_job(state, work)


@cli.command("open-stage")
@click.argument("stage", type=click.IntRange(1, 3))
@click.pass_obj
def open_stage_cmd(state: State, stage: int) -> None:
    """Assign DERs to experts and create one rating sheet per expert."""
    from pipelines.jobs.stages import open_stage

    run_job(state, lambda run: open_stage(run, stage))


@cli.command("close-stage")
@click.argument("stage", type=click.IntRange(1, 3))
@click.option(
    "--force",
    is_flag=True,
    help="Close before the stage's deadline (the experts may still be scoring); recorded in the journal.",
)
@click.pass_obj
def close_stage_cmd(state: State, stage: int, force: bool) -> None:
    """Freeze and gather the sheets, rank, select, and write the stage's documents."""
    from pipelines.jobs.stages import close_stage

    run_job(state, lambda run: close_stage(run, stage, force=force))


@cli.command("accept-edits")
@click.option("--reason", required=True, help="Who decided the edit, and by which decision (recorded in the journal).")
@click.pass_obj
def accept_edits_cmd(state: State, reason: str) -> None:
    """Accept a person's edit of the control tables as a decision, recorded in the journal."""
    from pipelines.jobs.edits import accept_edits

    run_job(state, lambda run: accept_edits(run, reason))


@cli.command("undo-edits")
@click.pass_obj
def undo_edits_cmd(state: State) -> None:
    """Put the control tables back as the product last wrote them (control.xlsx: the edited file is kept in backups/set-aside/)."""
    from pipelines.cli.restore import undo_edits

    with errors(state), exclusive(state):
        # unguarded: a deleted tab is what it may have to put back
        lines = undo_edits(make_run(state, guard=False).workspace.control, state.lang)
    for line in lines:
        state.echo(line)


@cli.command("recreate-sheet")
@click.argument("stage", type=click.IntRange(1, 3))
@click.argument("expert")
@click.option("--group", default=None, help="The group id, when the expert sits on two commissions.")
@click.pass_obj
def recreate_sheet_cmd(state: State, stage: int, expert: str, group: str | None) -> None:
    """Make an expert's missing or unreadable rating sheet again, with the scores of its last frozen copy."""
    from pipelines.jobs.recreate import RecreateError, recreate_sheet

    with errors(state), exclusive(state):
        run = make_run(state)
        try:
            recreate_sheet(run, stage, expert, group)
        except RecreateError as exc:
            raise click.ClickException(str(exc)) from None
    finish(state, run)


@cli.command()
@click.pass_obj
def tick(state: State) -> None:
    """The cron job: run whatever is due at --now (or now), nothing twice."""
    from pipelines.jobs.tick import LAST_TICK, note_last_tick
    from pipelines.jobs.tick import tick as run_tick

    with errors(state), exclusive(state, busy_ok=True):
        run = make_run(state)
        actions = run_tick(run)
        note_last_tick(state.config.base_dir / LAST_TICK, run.now, actions)
    finish(state, run)
    state.echo(i18n.text("tick_done", state.lang, actions=i18n.actions(actions, state.lang)))


@cli.command()
@click.option("--dry-run", is_flag=True, help="List the experts without sending anything.")
@click.pass_obj
def remind(state: State, dry_run: bool) -> None:
    """List experts with incomplete sheets; notify them within remind.days_before days of the deadline."""
    from pipelines.jobs.remind import remind as run_remind

    run_job(state, lambda run: run_remind(run, send=not dry_run), lock=not dry_run)


@cli.command()
@click.option(
    "--dry-run", is_flag=True, help="Show the messages that would be sent, without sending or recording them."
)
@click.option(
    "--confirm",
    is_flag=True,
    help="CDB has looked: send the final rejections now, without waiting for notify.review_hours.",
)
@click.pass_obj
def notify(state: State, dry_run: bool, confirm: bool) -> None:
    """Tell applicants what happened: accepted, what is missing while intake is open, rejected
    (after CDB's review time), after each stage, the winners' places; corrections when a decision
    changed what an earlier message said."""
    from pipelines.jobs.notify import notify as run_notify

    run_job(state, lambda run: run_notify(run, send=not dry_run, confirm=confirm), lock=not dry_run)


@cli.command()
@click.option(
    "--mark-sent",
    "mark",
    multiple=True,
    metavar="ID|FILE",
    help="Local workspace: record that CDB sent this .eml (its id or file name; repeat for more).",
)
@click.option("--all", "every", is_flag=True, help="Local workspace: record every waiting .eml as sent.")
@click.option(
    "--resend",
    multiple=True,
    metavar="ID",
    help="Send again a mail listed as one that may not have arrived (repeat for more).",
)
@click.pass_obj
def outbox(state: State, mark: tuple[str, ...], every: bool, resend: tuple[str, ...]) -> None:
    """List the messages waiting in the outbox and those that may not have arrived; record what CDB sent."""
    from pipelines.jobs import outbox as jobs

    with errors(state), exclusive(state) if (mark or every or resend) else nullcontext():
        run = make_run(state)
        try:
            if mark or every:
                count = jobs.mark_sent(run, list(mark), every)
                run.say(i18n.text("outbox_marked", state.lang, count=count))
            if resend:
                chosen = jobs.resend(run, list(resend))
                run.say(i18n.text("outbox_resent", state.lang, ids=", ".join(u.id for u in chosen)))
        except jobs.OutboxError as exc:
            raise click.ClickException(str(exc)) from None
        if not (mark or every or resend):
            for line in jobs.outbox_lines(run):
                run.say(line)
    finish(state, run)


@cli.command()
@click.option(
    "--export",
    "export",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the winners in the previous_winners format for the next edition's contest.yaml.",
)
@click.pass_obj
def winners(state: State, export: str | None) -> None:
    """List this edition's winners; --export FILE writes them for the next edition (9.9)."""
    from pipelines.jobs.paperwork import previous_winners, winners_file

    with errors(state):
        run = make_run(state)
        found = previous_winners(run)
        if not found:
            raise click.ClickException(i18n.text("winners_none", state.lang))
        for w in found:
            state.echo(
                i18n.text(
                    "winners_line",
                    state.lang,
                    place=w["place"],
                    id=w["id"],
                    title=w["title"],
                    authors=", ".join(w["authors"]),
                )
            )
        if export:
            from pipelines.backends.local.files import atomic_write

            atomic_write(Path(export), winners_file(run).encode("utf-8"))  # never half a file
            state.echo(i18n.text("winners_written", state.lang, path=export, n=len(found)))


@cli.command()
@click.argument("what", type=click.Choice(["results"]))
@click.pass_obj
def render(state: State, what: str) -> None:
    """Write the results (.docx and PDF) again after stage 3, e.g. once LibreOffice is installed."""
    from pipelines.jobs.paperwork import render_results

    made, said = run_job(state, render_results)
    if not made:
        raise click.ClickException(said)
    state.echo(said)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable: the keys of docs/architecture.md.")
@click.pass_obj
def status(state: State, as_json: bool) -> None:
    """What is done, what waits, who has not scored, the winners."""
    from pipelines.cli.status_view import render_status
    from pipelines.jobs.status import build_status, status_json

    with errors(state):
        run = make_run(state)
        if as_json:
            click.echo(status_json(run))
        else:
            render_status(build_status(run))


@cli.command("audit-sharing")
@click.pass_obj
def audit_sharing(state: State) -> None:
    """List who can open each rating sheet; flag anything but the sheet's own expert."""
    from pipelines.jobs.audit import audit

    bad = run_job(state, audit, lock=False)
    if bad:
        raise click.ClickException(i18n.text("sharing_problems_found", state.lang, count=bad))


@cli.command()
@click.pass_obj
def verify(state: State) -> None:
    """Recompute the chain of score digests from the frozen sheets; name the first break."""
    from pipelines.jobs.verify import verify as verify_chain

    report = run_job(state, verify_chain, lock=False)
    if report.broken:
        raise click.ClickException(i18n.text("verify_failed", state.lang))


@cli.command()
@click.argument("backup", required=False)
@click.option("--list", "list_only", is_flag=True, help="Show the backups with their time and tables.")
@click.pass_obj
def restore(state: State, backup: str | None, list_only: bool) -> None:
    """Put back control.xlsx from workspace/backups/ (the newest readable copy, or BACKUP)."""
    from pipelines.cli.restore import list_backups, restore_control

    if list_only:
        with errors():
            for line in list_backups(state.config, state.lang):
                click.echo(line)
        return
    with errors(), exclusive(state):
        lines = restore_control(state.config, state.lang, backup)
    for line in lines:
        state.echo(line)


@cli.command()
@click.option("--reason", required=True, help="Why the lock is cleared (recorded in the journal).")
@click.pass_obj
def unlock(state: State, reason: str) -> None:
    """Clear the edition's tick lease (a crashed tick's), recording REASON in the journal."""
    from pipelines.backends import open_workspace

    with errors(state):
        workspace = open_workspace(state.config)
        with exclusive(state, lease=False):  # a job running here holds the lock: said, nothing cleared
            run = make_run(state, workspace)
            cleared = workspace.control.clear_lease()
            run.journal("unlock", reason, {"cleared": cleared.as_dict() if cleared else None})
            run.commit()
    if cleared is None:
        state.echo(i18n.text("unlock_nothing", state.lang))
    else:
        state.echo(i18n.text("unlock_done", state.lang, holder=cleared.holder, **_holder_words(cleared)))


@cli.command()
@click.argument("directory", default="demo", type=click.Path(file_okay=False))
@click.option(
    "--backend",
    type=click.Choice(["local", "google-fake"]),
    default="local",
    show_default=True,
    help="google-fake runs the Google backend against the in-process fake and prints request counts.",
)
@click.option("--seed", default=2027, show_default=True, help="Seed of the simulated experts.")
@click.option(
    "--language",
    type=click.Choice(["kk", "ru"]),
    default=None,
    help="The edition's language, written into its contest.yaml (default: the example's, kk).",
)
@click.pass_obj
def demo(state: State, directory: str, backend: str, seed: int, language: str | None) -> None:
    """Build and run a whole sample edition in DIRECTORY (its config at DIRECTORY/contest.yaml)."""
    from pipelines.demo import DemoError, run_demo

    with errors(state):
        try:
            for line in run_demo(
                Path(directory),
                backend=backend,
                seed=seed,
                quiet=state.quiet,
                progress=progress_for(state.quiet),
                language=language,
            ):
                state.echo(line)
        except DemoError as exc:
            raise click.ClickException(str(exc)) from None


def main() -> None:
    cli(prog_name="contest")


if __name__ == "__main__":
    main()
