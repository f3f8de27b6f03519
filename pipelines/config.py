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

from pipelines import i18n
from pipelines.domain import rules
from pipelines.domain.models import Decision, Expert
from pipelines.domain.text import bare_edition_name


class ConfigError(Exception):
    """A user mistake in contest.yaml: the message names the key and the value, in the config's
    language (`lang`), or in Kazakh and Russian both when the language is not known (lang None)."""

    def __init__(self, message: str, lang: str | None = None):
        super().__init__(message)
        self.lang = lang


class Invalid(i18n.Said, ValueError):
    """A validator's refusal by message key (sheets_schema/messages.yaml `cli:`), said by
    `_describe` in the config's language after the key path pydantic gives."""


DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EditionIdentity(_Strict):
    """Which edition: its name (in each language) and year (the config's `edition:`)."""

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
            raise Invalid("config_date_without_time", value=str(v).strip(), field=info.field_name)
        return v

    def stage_close(self, stage: int) -> datetime:
        return getattr(self, f"stage{stage}_close")

    def check_order(self) -> None:
        """Each date after the one before; called once every date carries its zone."""
        names = list(Calendar.model_fields)
        for earlier, later in zip(names, names[1:]):
            if getattr(self, earlier) >= getattr(self, later):
                raise Invalid(
                    "cfg_calendar_order",
                    earlier=earlier,
                    later=later,
                    first=_shown(getattr(self, earlier)),
                    second=_shown(getattr(self, later)),
                )


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
            raise Invalid("cfg_email", value=v)
        return v.strip().lower()

    def expert(self) -> Expert:
        return Expert(self.name, self.email, self.department, tuple(self.conflicts))


class Commissions(_Strict):
    departments: dict[str, list[Member]] = {}
    faculties: dict[str, list[Member]] = {}
    contest: list[Member]
    chair: str | None = None  # name printed on the final protocol


class CriterionEntry(_Strict):
    """A criterion as contest.yaml gives it (`Config.domain_criteria()`: the rules' rules.Criterion)."""

    key: str
    kk: str
    ru: str
    min: int = 1
    max: int = 10
    # form 02 words criterion 7 "general impression (you may write several lines)": a score AND the
    # expert's words. With `with_text` the sheet's text column beside the scores is this criterion's
    # (headed by its wording); only the last criterion may have it, the column sits right after it.
    with_text: bool = False

    def label(self, lang: str) -> str:
        return self.kk if lang == "kk" else self.ru


DEFAULT_CRITERIA = [
    CriterionEntry(key="completeness", kk="СББР материалдарының толықтығы", ru="Полнота материалов ЦОР"),
    CriterionEntry(
        key="text_quality",
        kk="Мәтіндік материалды жобалаудың қолжетімділігі мен сапасы",
        ru="Доступность и качество оформления текстового материала",
    ),
    CriterionEntry(
        key="video_quality",
        kk="Бейне/анимация дизайнының қолжетімділігі мен сапасы",
        ru="Доступность и качество дизайна видео/анимации",
    ),
    CriterionEntry(key="design", kk="СББР жобалау және безендіру", ru="Дизайн и оформление ЦОР"),
    CriterionEntry(key="interactivity", kk="Интерактивті әдістерді қолдану", ru="Использование интерактивных методов"),
    CriterionEntry(
        key="tests",
        kk="Тест тапсырмаларының (сауалнама, сауалнама) болуы және сапасы",
        ru="Наличие и качество тестовых заданий (квиз, опрос)",
    ),
    CriterionEntry(
        key="impression",
        kk="Жалпы әсер (бірнеше жол жаза аласыз)",
        ru="Общее впечатление (можно написать несколько строк)",
        with_text=True,
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
            raise Invalid("cfg_tie_break", value=v)
        return v


class Fairness(_Strict):
    """The evidence printed beside each ranking (the annex): never changes the official result."""

    spread_flag: float = Field(15.0, ge=0)  # a DER whose experts' totals differ by more needs discussion
    min_ratings: int = Field(3, ge=2)  # an expert's habits are normalised only with this many ratings


class PreviousWinnerEntry(_Strict):
    """A previous winner as contest.yaml or a winners export lists it (rules.PreviousWinner for 9.9)."""

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


DECISION_KINDS = ("tie_break", "close_incomplete", "disqualify", "reinstate", "replace")


class DecisionConfig(_Strict):
    """A recorded decision (who, when, why); README "Recorded decisions" shows each kind."""

    kind: Literal["tie_break", "close_incomplete", "disqualify", "reinstate", "replace"]
    stage: int | None = Field(None, ge=1, le=3)
    group: str | None = None
    applications: list[str] = []
    order: list[str] = []  # tie_break: the order the commission decided, best first
    # replace: the DER that takes the disqualified one's place (the next in the stage's ranking;
    # empty: the ranking decides it)
    replacement: str = ""
    votes: Votes | None = None  # the vote the decision was taken by, when the minutes record one
    by: str
    at: datetime
    reason: str

    @model_validator(mode="after")
    def _complete(self) -> DecisionConfig:
        self.applications = [str(a).strip() for a in self.applications]
        if not any(self.applications) and self.kind != "close_incomplete":  # close_incomplete: [] = the group
            raise Invalid("cfg_decision_no_applications", kind=self.kind)
        if self.kind == "tie_break" and sorted(self.order) != sorted(self.applications):
            raise Invalid(
                "cfg_decision_order", order=", ".join(self.order) or "[]", applications=", ".join(self.applications)
            )
        if self.order and self.kind != "tie_break":
            raise Invalid("cfg_decision_key_not_for", kind=self.kind, key="order")
        if self.replacement and self.kind != "replace":
            raise Invalid("cfg_decision_key_not_for", kind=self.kind, key="replacement")
        if self.kind in ("tie_break", "close_incomplete", "replace") and (self.stage is None or self.group is None):
            raise Invalid("cfg_decision_stage_group", kind=self.kind)
        if self.kind == "replace" and self.stage == 3:
            raise Invalid("cfg_decision_replace_stage", stage=self.stage)
        if self.kind == "reinstate" and (self.stage is not None or self.group is not None):
            raise Invalid("cfg_decision_key_not_for", kind=self.kind, key="stage/group")
        if not self.by.strip():
            raise Invalid("cfg_decision_by", kind=self.kind)
        if not self.reason.strip():
            raise Invalid("cfg_decision_reason")
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
    # the platforms a DER's link may be on (the host or any sub-domain): ATU's own, where AIDC's
    # certificate says the DER is placed. A link elsewhere is held for CDB; [] checks nothing
    link_hosts: list[str] = ["atu.kz", "atu.edu.kz"]


class LocalBackend(_Strict):
    kind: Literal["local"] = "local"
    workspace: str = "workspace"
    control_backups: int = Field(10, ge=1)  # copies of control.xlsx kept in workspace/backups/ (contest restore)
    sender: str | None = None  # CDB's address: the From: of every message written to outbox/


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
    # opt-in: ask Gmail whether an interrupted mail went (exactly once); needs gmail.readonly, which
    # reads the sender's whole mailbox (README "Google scopes")
    mail_lookup: bool = False
    sender: str | None = None
    sheets_per_minute: int = 55  # client-side limiter, under Google's 60/min/user
    drive_per_minute: int = 600
    max_retries: int = 5


class Remind(_Strict):
    days_before: int = Field(2, ge=0)
    # whom an expert asks about the sheet (name, e-mail, phone as CDB writes it): printed in every
    # rating sheet's instructions and every reminder; default: the Google backend's cdb_editors,
    # else "reply to the message the sheet came with"
    contact: str = ""


class Notify(_Strict):
    """When applicants hear what intake decided (README "Notifications")."""

    # hours CDB has to look at the final rejections after intake closes (or after a rejection is
    # first seen, when later) before they go out; `contest notify --confirm` sends them at once
    review_hours: float = Field(24.0, ge=0)


class Config(_Strict):
    edition: EditionIdentity
    timezone: str = "Asia/Almaty"
    language: Literal["kk", "ru"] = "kk"
    calendar: Calendar
    faculties: list[Faculty]
    commissions: Commissions
    criteria: list[CriterionEntry] = Field(default_factory=lambda: list(DEFAULT_CRITERIA))
    quotas: Quotas = Quotas()
    scoring: Scoring = Scoring()
    fairness: Fairness = Fairness()
    previous_winners: list[PreviousWinnerEntry] = []
    # Files written by `contest winners --export` in earlier editions (relative to this file):
    # their winners join previous_winners (9.9), so nobody retypes them.
    previous_winners_files: list[str] = []
    decisions: list[DecisionConfig] = []
    meetings: list[Meeting] = []
    ceremony: Ceremony = Ceremony()
    form: FormSourceConfig = FormSourceConfig()
    backend: LocalBackend | GoogleBackend = Field(LocalBackend(), discriminator="kind")
    remind: Remind = Remind()
    notify: Notify = Notify()
    base_dir: Path = Path(".")  # the config file's folder; relative paths resolve against it

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid("cfg_timezone", value=v) from None
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
        out = {i for d in self.decisions if d.kind == "disqualify" for i in d.applications}
        for n, d in enumerate(self.decisions):
            if d.kind == "replace" and not set(d.applications) <= out:
                missing = ", ".join(i for i in d.applications if i not in out)
                raise Invalid(
                    "cfg_decision_replace_needs_disqualify",
                    where=f"decisions.{n}",
                    kind="replace",
                    ids=missing,
                    needed="disqualify",
                )
        for m in self.meetings:
            if m.date is not None and m.date.tzinfo is None:
                m.date = m.date.replace(tzinfo=zone)
        if self.ceremony.at is not None and self.ceremony.at.tzinfo is None:
            self.ceremony.at = self.ceremony.at.replace(tzinfo=zone)
        fac_ids = [f.id for f in self.faculties]
        dep_ids = [d.id for f in self.faculties for d in f.departments]
        for ids, what in ((fac_ids, "cfg_faculty_id_twice"), (dep_ids, "cfg_department_id_twice")):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise Invalid(what, id=dupes[0])
        for dep in self.commissions.departments:
            if dep not in dep_ids:
                raise Invalid("cfg_no_department", id=dep, known=", ".join(dep_ids))
        for fac in self.commissions.faculties:
            if fac not in fac_ids:
                raise Invalid("cfg_no_faculty", id=fac, known=", ".join(fac_ids))
        for where, members in self._commission_lists():
            seen: dict[str, str] = {}
            for member in members:  # e-mails are folded to lower case by Member
                if member.email in seen:
                    raise Invalid(
                        "cfg_email_twice", where=where, email=member.email, first=seen[member.email], second=member.name
                    )
                seen[member.email] = member.name
        keys = [c.key for c in self.criteria]
        if len(set(keys)) != len(keys) or not keys:
            raise Invalid("cfg_criteria_keys", keys=", ".join(keys) or "[]")
        worded = [c.key for c in self.criteria[:-1] if c.with_text]
        if worded:  # the text column sits right after the last criterion's score column
            raise Invalid("cfg_with_text_last", keys=", ".join(worded), last=keys[-1])
        if self.scoring.tie_break.startswith("criterion:"):
            key = self.scoring.tie_break.split(":", 1)[1]
            if key not in keys:
                raise Invalid("cfg_tie_break_criterion", key=key, keys=", ".join(keys))
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
        edition.name_ru, else edition.name; bare, as the documents and messages print it inside their
        own quotes and word for "contest" (written as the official name, «X» байқауы or Конкурс «X»,
        it gives X)."""
        lang = lang or self.language
        given = self.edition.name_kk if lang == "kk" else self.edition.name_ru
        return bare_edition_name(given or self.edition.name)

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

    def all_previous_winners(self) -> list[PreviousWinnerEntry]:
        """previous_winners and the winners of every file in previous_winners_files (9.9)."""
        out = list(self.previous_winners)
        for name in self.previous_winners_files:
            path = self.path(name)
            lang = self.language
            if not path.is_file():
                raise ConfigError(i18n.text("cfg_winners_missing", lang, path=path), lang)
            try:
                data = _safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError:
                raise ConfigError(i18n.text("cfg_winners_yaml", lang, path=path), lang) from None
            rows = data.get("previous_winners") if isinstance(data, dict) else None
            if not isinstance(rows, list):
                raise ConfigError(i18n.text("cfg_winners_no_list", lang, path=path), lang)
            for n, row in enumerate(rows, start=1):
                try:
                    out.append(PreviousWinnerEntry.model_validate(row))
                except ValidationError as exc:
                    said = i18n.text("cfg_winners_entry", lang, path=path, n=n, problem=_describe(exc, lang))
                    raise ConfigError(said, lang) from None
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
                replacement=d.replacement.strip(),
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

    def fairness_rules(self) -> rules.FairnessRules:
        return rules.FairnessRules(spread_flag=self.fairness.spread_flag, min_ratings=self.fairness.min_ratings)

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
            link_hosts=tuple(h.strip().lower() for h in self.form.link_hosts if h.strip()),
        )

    def dates(self) -> rules.Dates:
        cal = self.calendar
        return rules.Dates(cal.intake_open, cal.intake_close, (cal.stage1_close, cal.stage2_close, cal.stage3_close))


ENV_PREFIX = "CONTEST_"


def _apply_env(data: dict[str, Any], environ: dict[str, str], lang: str | None) -> None:
    """CONTEST_A__B=value sets data["a"]["b"] (double underscore descends), after the file."""
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "CONTEST_CONFIG":
            continue
        keys = name[len(ENV_PREFIX) :].lower().split("__")
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(_say("cfg_env_not_section", lang, name=name, key=".".join(keys[:-1])), lang)
        node[keys[-1]] = yaml.safe_load(value) if value else value


def _say(key: str, lang: str | None, /, **values: Any) -> str:
    return i18n.text(key, lang, **values) if lang else i18n.both(key, **values)


def _shown(value: Any) -> str:
    """A value as the person wrote it, short enough for one line."""
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, (dict, list)):
        text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip()
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


# pydantic's error type -> the message key that says it (the values: {value} as given, and the
# error's context: {expected} of a literal, {limit} of a bound). A type without a key is said in
# pydantic's English, after the key path (tests/test_config_messages.py checks the common ones).
ERROR_KEYS = {
    "extra_forbidden": "cfg_unknown_key",
    "missing": "cfg_missing_key",
    "int_type": "cfg_int",
    "int_parsing": "cfg_int",
    "int_from_float": "cfg_int",
    "float_type": "cfg_number",
    "float_parsing": "cfg_number",
    "string_type": "cfg_string",
    "bool_type": "cfg_bool",
    "bool_parsing": "cfg_bool",
    "list_type": "cfg_list",
    "dict_type": "cfg_mapping",
    "model_type": "cfg_mapping",
    "model_attributes_type": "cfg_mapping",
    "literal_error": "cfg_literal",
    "union_tag_invalid": "cfg_literal",
    "union_tag_not_found": "cfg_tag_missing",
    "greater_than_equal": "cfg_ge",
    "less_than_equal": "cfg_le",
    "greater_than": "cfg_gt",
    "less_than": "cfg_lt",
    "datetime_type": "cfg_datetime",
    "datetime_parsing": "cfg_datetime",
    "datetime_from_date_parsing": "cfg_datetime",
    "timezone_aware": "cfg_datetime",
    "too_short": "cfg_too_short",
    "string_too_short": "cfg_too_short",
    "path_type": "cfg_string",
}


def _problem(e: Any, lang: str | None) -> str:
    """One pydantic error said in `lang` (both languages when None), without its key path."""
    error = (e.get("ctx") or {}).get("error")
    if isinstance(error, i18n.Said):
        return error.say(lang)
    key = ERROR_KEYS.get(e["type"])
    if key is None:
        return str(e["msg"]).removeprefix("Value error, ")
    ctx = e.get("ctx") or {}
    expected = ctx.get("expected") or ctx.get("expected_tags") or ""
    limit = next((ctx[k] for k in ("ge", "le", "gt", "lt", "min_length") if k in ctx), "")
    given = ctx.get("tag") if "tag" in ctx else e.get("input")
    return _say(
        key,
        lang,
        value=_shown(given),
        expected=str(expected).replace("'", ""),
        limit=limit,
        discriminator=str(ctx.get("discriminator", "")).strip("'"),
    )


def _describe(error: ValidationError, lang: str | None = None) -> str:
    """Every error of a validation, each as `key.path: what is wrong (the value given)`."""
    lines = []
    for e in error.errors():
        loc = [str(p) for p in e["loc"]]
        if loc[:1] == ["backend"] and loc[1:2] in (["local"], ["google"]):  # the union's tag is no key
            del loc[1]
        where = ".".join(loc)
        said = _problem(e, lang)
        lines.append(f"{where}: {said}" if where else said)
    return "; ".join(lines)


def _language(data: dict[str, Any]) -> str | None:
    """The config's language as far as it can be known before validation: its `language` key
    (kk when the key is absent, the default); None when the key holds something else."""
    given = data.get("language", "kk")
    return given if given in i18n.LANGS else None


def _refuse_dates_without_time(path: Path, data: dict[str, Any], lang: str | None) -> None:
    """The calendar check of `Calendar._with_time`, before any other: said with the fix."""
    given = data.get("calendar")
    calendar: dict[str, Any] = given if isinstance(given, dict) else {}
    for key, value in calendar.items():
        if (
            isinstance(value, date)
            and not isinstance(value, datetime)
            or (isinstance(value, str) and DATE_ONLY.match(value.strip()))
        ):
            said = _say("config_date_without_time", lang, value=str(value).strip(), field=key)
            raise ConfigError(f"{path}: calendar.{key}: {said}", lang)


def _safe_load(text: str) -> Any:
    """yaml.safe_load through libyaml where installed (the same data, several times faster: a cron
    tick loads the contest's config each time); a text it refuses is parsed again by the pure-Python
    parser, whose error marks (line, column, where a quote began) the messages name."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        try:
            return yaml.load(text, Loader=loader)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def load_config(path: str | Path, environ: dict[str, str] | None = None) -> Config:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{i18n.both('config_missing')}: {path}")
    try:
        data = _safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = " " + i18n.both("cfg_yaml_at", line=mark.line + 1, column=mark.column + 1) if mark else ""
        began = getattr(exc, "context_mark", None)  # an unclosed quote or bracket: where it began
        if began is not None and (mark is None or began.line != mark.line):
            where += " (" + i18n.both("cfg_yaml_began", line=began.line + 1, column=began.column + 1) + ")"
        raise ConfigError(f"{path}:{where}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {i18n.both('cfg_top_level')}")
    _apply_env(data, dict(os.environ if environ is None else environ), _language(data))
    lang = _language(data)
    data["base_dir"] = str(path.resolve().parent)
    _refuse_dates_without_time(path, data, lang)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc, lang)}", lang) from None
