"""contest.yaml -> typed, validated objects. Defaults < file < CONTEST_* environment variables.

Errors name the key and say what is wrong (ConfigError). The working-day rule of 9.1 is checked by
`check_config`, which returns problems rather than raising, so that `contest check-config` lists
every one of them.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.domain import rules
from pipelines.domain.models import Decision, Expert


class ConfigError(Exception):
    """A user mistake in contest.yaml: the message names the key."""


DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date_only_message(key: str, value: str) -> str:
    return (
        f"{value} has no time of day and would be read as 00:00; write the time the order gives, "
        f'e.g. {key}: "{value} 23:59" for the end of that day'
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Edition(_Strict):
    name: str
    year: int = Field(ge=2000, le=2100)
    name_kk: str | None = None  # the edition's name in each language; `name` when not given
    name_ru: str | None = None


class Calendar(_Strict):
    """Dates from the rector's order (9.1). Naive times are read in the config's time zone."""

    announcement: datetime
    intake_open: datetime
    intake_close: datetime
    stage1_close: datetime
    stage2_close: datetime
    stage3_close: datetime

    @field_validator("*", mode="before")
    @classmethod
    def _with_time(cls, v: Any, info: Any) -> Any:
        """A calendar date without a time is refused: read as 00:00 it would silently cut the day
        off (intake closing at midnight instead of the evening the order means)."""
        if isinstance(v, date) and not isinstance(v, datetime) or (isinstance(v, str) and DATE_ONLY.match(v.strip())):
            raise ValueError(date_only_message(info.field_name, str(v).strip()))
        return v

    def stage_close(self, stage: int) -> datetime:
        return getattr(self, f"stage{stage}_close")

    def check_order(self) -> None:
        """Each date after the one before; called once every date carries its zone."""
        names = list(Calendar.model_fields)
        for earlier, later in zip(names, names[1:]):
            if getattr(self, earlier) >= getattr(self, later):
                raise ValueError(f"calendar.{earlier} must come before calendar.{later}")


class Department(_Strict):
    id: str
    name_kk: str
    name_ru: str
    spellings: list[str] = []

    def name(self, lang: str) -> str:
        return self.name_kk if lang == "kk" else self.name_ru


class Faculty(_Strict):
    id: str
    name_kk: str
    name_ru: str
    spellings: list[str] = []
    departments: list[Department]

    def name(self, lang: str) -> str:
        return self.name_kk if lang == "kk" else self.name_ru


class Member(_Strict):
    name: str
    email: str
    department: str | None = None
    conflicts: list[str] = []

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if "@" not in v or " " in v.strip():
            raise ValueError(f"not an e-mail address: {v!r}")
        return v.strip().lower()

    def expert(self) -> Expert:
        return Expert(self.name, self.email, self.department, tuple(self.conflicts))


class Commissions(_Strict):
    departments: dict[str, list[Member]] = {}
    faculties: dict[str, list[Member]] = {}
    contest: list[Member]
    chair: str | None = None  # name printed on the final protocol


class Criterion(_Strict):
    key: str
    kk: str
    ru: str
    min: int = 1
    max: int = 10

    def label(self, lang: str) -> str:
        return self.kk if lang == "kk" else self.ru


DEFAULT_CRITERIA = [
    Criterion(key="completeness", kk="СББР материалдарының толықтығы", ru="Полнота материалов ЦОР"),
    Criterion(
        key="text_quality",
        kk="Мәтіндік материалды жобалаудың қолжетімділігі мен сапасы",
        ru="Доступность и качество оформления текстового материала",
    ),
    Criterion(
        key="video_quality",
        kk="Бейне/анимация дизайнының қолжетімділігі мен сапасы",
        ru="Доступность и качество дизайна видео/анимации",
    ),
    Criterion(key="design", kk="СББР жобалау және безендіру", ru="Дизайн и оформление ЦОР"),
    Criterion(key="interactivity", kk="Интерактивті әдістерді қолдану", ru="Использование интерактивных методов"),
    Criterion(
        key="tests",
        kk="Тест тапсырмаларының (сауалнама, сауалнама) болуы және сапасы",
        ru="Наличие и качество тестовых заданий (квиз, опрос)",
    ),
    Criterion(
        key="impression",
        kk="Жалпы әсер (бірнеше жол жаза аласыз)",
        ru="Общее впечатление (можно написать несколько строк)",
    ),
]
# The wording above is form 02 as approved (Ү. ЖИЦДО-7.5.1-2025-04-02), column by column; the
# Kazakh text is the source, including its "(сауалнама, сауалнама)".


class Quotas(_Strict):
    department: int = Field(3, ge=1)  # 9.4.1
    faculty: int = Field(2, ge=1)  # 9.4.2
    prize_places: int = Field(3, ge=1)  # 11.3, 11.5


class Scoring(_Strict):
    aggregate: Literal["mean", "sum"] = "mean"
    min_experts: int = Field(2, ge=1)
    exclude_same_department: bool = False  # stages 2-3: experts of the DER's own department stand aside
    # How a tie at the cut-off is broken without a recorded decision: "none" waits for a decision;
    # "criterion:<key>" prefers the higher mean on that criterion (then still waits if equal).
    tie_break: str = "none"

    @field_validator("tie_break")
    @classmethod
    def _tie_break(cls, v: str) -> str:
        if v != "none" and not v.startswith("criterion:"):
            raise ValueError("must be 'none' or 'criterion:<criterion key>'")
        return v


class PreviousWinner(_Strict):
    title: str
    link: str = ""
    authors: list[str] = []
    year: int | None = None
    place: int | None = None  # the prize place it won (contest winners --export writes it)
    id: str = ""  # its DER id in that edition


class Votes(_Strict):
    """A vote as the minutes record it (9.4.1: the department selects by vote)."""

    yes: int = Field(0, ge=0, alias="for")
    against: int = Field(0, ge=0)
    abstained: int = Field(0, ge=0)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Meeting(_Strict):
    """The record of one commission meeting, as its minutes name it. Every key is optional: an
    extract without one prints the commission's members as attendees, the stage's deadline (or the
    latest decision recorded for the group) as the date, and blank lines to fill in by hand."""

    stage: int = Field(ge=1, le=3)
    group: str | None = None  # department (1) or faculty (2) id; none: every group of the stage
    date: datetime | None = None
    number: str = ""  # the protocol's number, e.g. "7"
    chair: str = ""
    secretary: str = ""
    attendees: list[str] = []  # names present; default: the commission's members
    votes: Votes | None = None  # the vote on the selection (the decision)


class Ceremony(_Strict):
    """The award ceremony the results announce (11.4)."""

    at: datetime | None = None
    place: str = ""


class DecisionConfig(_Strict):
    kind: Literal["tie_break", "close_incomplete", "disqualify"]
    stage: int | None = Field(None, ge=1, le=3)
    group: str | None = None
    applications: list[str]
    order: list[str] = []  # tie_break: the order the commission decided, best first
    votes: Votes | None = None  # the vote the decision was taken by, when the minutes record one
    by: str
    at: datetime
    reason: str

    @model_validator(mode="after")
    def _complete(self) -> DecisionConfig:
        if self.kind == "tie_break" and sorted(self.order) != sorted(self.applications):
            raise ValueError("a tie_break decision lists the same ids in 'order' as in 'applications'")
        if self.kind in ("tie_break", "close_incomplete") and (self.stage is None or self.group is None):
            raise ValueError(f"a {self.kind} decision names its stage and group")
        if not self.reason.strip():
            raise ValueError("a decision records its reason")
        return self


class FormSourceConfig(_Strict):
    """Where responses come from. Local: an export file. Google: the linked sheet or the Forms API."""

    kind: Literal["file", "sheet", "forms_api"] = "file"
    path: str | None = None  # file: .csv or .xlsx export (relative to the config file)
    spreadsheet_id: str | None = None
    worksheet: str | None = None
    form_id: str | None = None
    timestamp_column: int = 1  # 1-based; the label differs by locale (docs/google.md)
    aliases: dict[str, list[str]] = {}  # extra header aliases per field


class LocalBackend(_Strict):
    kind: Literal["local"] = "local"
    workspace: str = "workspace"
    control_backups: int = Field(10, ge=1)  # copies of control.xlsx kept in workspace/backups/ (contest restore)


class GoogleBackend(_Strict):
    kind: Literal["google"] = "google"
    credentials: str | None = None  # service-account key or OAuth client file; else GOOGLE_APPLICATION_CREDENTIALS
    auth: Literal["service_account", "oauth"] = "service_account"
    token_path: str = "token.json"  # OAuth user token (git-ignored)
    shared_drive_id: str | None = None
    root_folder_id: str | None = None
    control_spreadsheet_id: str | None = None  # created (and found again by appProperties) when absent
    cdb_editors: list[str] = []  # who may edit protected ranges besides the pipeline
    gmail: bool = False  # send reminders through Gmail (else Drive's share notification only)
    sender: str | None = None
    sheets_per_minute: int = 55  # client-side limiter, under Google's 60/min/user
    drive_per_minute: int = 600
    max_retries: int = 5


class Remind(_Strict):
    days_before: int = Field(2, ge=0)


class Config(_Strict):
    edition: Edition
    timezone: str = "Asia/Almaty"
    language: Literal["kk", "ru"] = "kk"
    calendar: Calendar
    faculties: list[Faculty]
    commissions: Commissions
    criteria: list[Criterion] = Field(default_factory=lambda: list(DEFAULT_CRITERIA))
    quotas: Quotas = Quotas()
    scoring: Scoring = Scoring()
    previous_winners: list[PreviousWinner] = []
    # Files written by `contest winners --export` in earlier editions (relative to this file):
    # their winners join previous_winners (9.9), so nobody retypes them.
    previous_winners_files: list[str] = []
    decisions: list[DecisionConfig] = []
    meetings: list[Meeting] = []
    ceremony: Ceremony = Ceremony()
    form: FormSourceConfig = FormSourceConfig()
    backend: LocalBackend | GoogleBackend = Field(LocalBackend(), discriminator="kind")
    remind: Remind = Remind()
    base_dir: Path = Path(".")  # the config file's folder; relative paths resolve against it

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        zone = ZoneInfo(self.timezone)
        for name in Calendar.model_fields:
            value = getattr(self.calendar, name)
            if value.tzinfo is None:
                setattr(self.calendar, name, value.replace(tzinfo=zone))
        self.calendar.check_order()  # naive and offset-given times alike, now that all are aware
        for d in self.decisions:
            if d.at.tzinfo is None:
                d.at = d.at.replace(tzinfo=zone)
        for m in self.meetings:
            if m.date is not None and m.date.tzinfo is None:
                m.date = m.date.replace(tzinfo=zone)
        if self.ceremony.at is not None and self.ceremony.at.tzinfo is None:
            self.ceremony.at = self.ceremony.at.replace(tzinfo=zone)
        fac_ids = [f.id for f in self.faculties]
        dep_ids = [d.id for f in self.faculties for d in f.departments]
        for ids, what in ((fac_ids, "faculty"), (dep_ids, "department")):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"faculties: {what} id {dupes[0]!r} is used twice")
        for dep in self.commissions.departments:
            if dep not in dep_ids:
                raise ValueError(f"commissions.departments.{dep}: no department with that id in faculties")
        for fac in self.commissions.faculties:
            if fac not in fac_ids:
                raise ValueError(f"commissions.faculties.{fac}: no faculty with that id in faculties")
        for where, members in self._commission_lists():
            seen: dict[str, str] = {}
            for member in members:  # e-mails are folded to lower case by Member
                if member.email in seen:
                    raise ValueError(
                        f"{where}: {member.email} is listed twice ({seen[member.email]!r} and {member.name!r}); "
                        "one rating sheet would serve two members: give each member their own e-mail"
                    )
                seen[member.email] = member.name
        keys = [c.key for c in self.criteria]
        if len(set(keys)) != len(keys) or not keys:
            raise ValueError("criteria: keys must be unique and at least one criterion given")
        if self.scoring.tie_break.startswith("criterion:"):
            key = self.scoring.tie_break.split(":", 1)[1]
            if key not in keys:
                raise ValueError(f"scoring.tie_break: no criterion with key {key!r}")
        return self

    # -- convenience ------------------------------------------------------------------------
    def _commission_lists(self) -> list[tuple[str, list[Member]]]:
        c = self.commissions
        return [
            *((f"commissions.departments.{k}", v) for k, v in c.departments.items()),
            *((f"commissions.faculties.{k}", v) for k, v in c.faculties.items()),
            ("commissions.contest", c.contest),
        ]

    def edition_name(self, lang: str | None = None) -> str:
        """The edition's name in `lang` (kk|ru; the config's language by default): edition.name_kk /
        edition.name_ru, else edition.name."""
        lang = lang or self.language
        given = self.edition.name_kk if lang == "kk" else self.edition.name_ru
        return given or self.edition.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def edition_key(self) -> str:
        """A short, stable key of the edition for idempotency properties (≤ 124 bytes with its name)."""
        slug = "".join(ch if ch.isalnum() else "-" for ch in self.edition.name.lower()).strip("-")
        return f"{self.edition.year}-{slug}"[:60]

    def path(self, relative: str) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def departments(self) -> dict[str, tuple[Faculty, Department]]:
        return {d.id: (f, d) for f in self.faculties for d in f.departments}

    def faculty(self, faculty_id: str) -> Faculty:
        return next(f for f in self.faculties if f.id == faculty_id)

    def meeting(self, stage: int, group: str | None) -> Meeting:
        """The meeting record of one group's stage: its own entry, else the stage's, else defaults."""
        own = [m for m in self.meetings if m.stage == stage and m.group == group]
        shared = [m for m in self.meetings if m.stage == stage and m.group is None]
        return (own or shared or [Meeting(stage=stage, group=group)])[0]

    def all_previous_winners(self) -> list[PreviousWinner]:
        """previous_winners and the winners of every file in previous_winners_files (9.9)."""
        out = list(self.previous_winners)
        for name in self.previous_winners_files:
            path = self.path(name)
            if not path.is_file():
                raise ConfigError(f"previous_winners_files: {path} not found")
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError:
                raise ConfigError(f"previous_winners_files: {path} is not valid YAML") from None
            rows = data.get("previous_winners") if isinstance(data, dict) else None
            if not isinstance(rows, list):
                raise ConfigError(f"previous_winners_files: {path} has no previous_winners list")
            for n, row in enumerate(rows, start=1):
                try:
                    out.append(PreviousWinner.model_validate(row))
                except ValidationError as exc:
                    raise ConfigError(f"previous_winners_files: {path}, entry {n}: {_describe(exc)}") from None
        return out

    def domain_decisions(self) -> list[Decision]:
        return [
            Decision(
                kind=d.kind,
                stage=d.stage,
                group=d.group,
                applications=list(d.applications),
                by=d.by,
                at=d.at,
                reason=d.reason,
                order=list(d.order),
            )
            for d in self.decisions
        ]

    # -- the small values the domain rules take ---------------------------------------------
    def domain_criteria(self) -> tuple[rules.Criterion, ...]:
        return tuple(rules.Criterion(c.key, c.kk, c.ru, c.min, c.max) for c in self.criteria)

    def scoring_rules(self) -> rules.ScoringRules:
        q, s = self.quotas, self.scoring
        return rules.ScoringRules(
            criteria=self.domain_criteria(),
            department_quota=q.department,
            faculty_quota=q.faculty,
            prize_places=q.prize_places,
            aggregate=s.aggregate,
            min_experts=s.min_experts,
            tie_break=s.tie_break,
            exclude_same_department=s.exclude_same_department,
        )

    def units(self) -> tuple[rules.Unit, ...]:
        return tuple(
            rules.Unit(
                f.id,
                f.name_kk,
                f.name_ru,
                tuple(f.spellings),
                tuple(rules.Unit(d.id, d.name_kk, d.name_ru, tuple(d.spellings)) for d in f.departments),
            )
            for f in self.faculties
        )

    def organisation(self) -> rules.Organisation:
        c = self.commissions

        def experts(members: list[Member]) -> tuple[Expert, ...]:
            return tuple(m.expert() for m in members)

        return rules.Organisation(
            faculties=self.units(),
            department_commissions={k: experts(v) for k, v in c.departments.items()},
            faculty_commissions={k: experts(v) for k, v in c.faculties.items()},
            contest_commission=experts(c.contest),
            language=self.language,
        )

    def intake_rules(self) -> rules.IntakeRules:
        return rules.IntakeRules(
            intake_open=self.calendar.intake_open,
            intake_close=self.calendar.intake_close,
            zone=self.zone,
            faculties=self.units(),
            previous_winners=tuple(
                rules.PreviousWinner(w.title, w.link, tuple(w.authors), w.year) for w in self.all_previous_winners()
            ),
            decisions=tuple(self.domain_decisions()),
        )

    def dates(self) -> rules.Dates:
        cal = self.calendar
        return rules.Dates(cal.intake_open, cal.intake_close, (cal.stage1_close, cal.stage2_close, cal.stage3_close))


ENV_PREFIX = "CONTEST_"


def _apply_env(data: dict[str, Any], environ: dict[str, str]) -> None:
    """CONTEST_A__B=value sets data["a"]["b"] (double underscore descends), after the file."""
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "CONTEST_CONFIG":
            continue
        keys = name[len(ENV_PREFIX) :].lower().split("__")
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{name}: {'.'.join(keys[:-1])} is not a section")
        node[keys[-1]] = yaml.safe_load(value) if value else value


def _describe(error: ValidationError) -> str:
    lines = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (misspelt?)"
        elif e["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"{where}: {msg}" if e["loc"] else msg)
    return "; ".join(lines)


def _refuse_dates_without_time(path: Path, data: dict[str, Any]) -> None:
    """The calendar check of `Calendar._with_time`, said in the file's language with the fix."""
    from pipelines import i18n

    lang = str(data.get("language")) if data.get("language") in ("kk", "ru") else "kk"
    given = data.get("calendar")
    calendar: dict[str, Any] = given if isinstance(given, dict) else {}
    for key, value in calendar.items():
        if (
            isinstance(value, date)
            and not isinstance(value, datetime)
            or (isinstance(value, str) and DATE_ONLY.match(value.strip()))
        ):
            raise ConfigError(
                f"{path}: calendar.{key}: "
                + i18n.text("config_date_without_time", lang, value=str(value).strip(), field=key)
            )


def load_config(path: str | Path, environ: dict[str, str] | None = None) -> Config:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        began = getattr(exc, "context_mark", None)  # an unclosed quote or bracket: where it began
        if began is not None and (mark is None or began.line != mark.line):
            where += f" ({getattr(exc, 'context', None) or 'an item'} that began at line {began.line + 1}, column {began.column + 1})"
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    _apply_env(data, dict(os.environ if environ is None else environ))
    data["base_dir"] = str(path.resolve().parent)
    _refuse_dates_without_time(path, data)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from None
