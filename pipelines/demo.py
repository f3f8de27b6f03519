"""`contest demo [DIR]`: a whole sample edition, driven by `tick` across its calendar with `--now`.

It writes DIR/contest.yaml (the shipped example) and DIR/responses.csv, lets seeded experts fill
their sheets at each stage, records the commission's decision on the planned tie, and ends with
every document in place. Afterwards every command works on DIR/contest.yaml.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path

from pipelines import demo_data, i18n
from pipelines.config import Config, load_config
from pipelines.domain.state import StageState
from pipelines.formats import rating_sheet
from pipelines.jobs.common import Run, no_progress
from pipelines.jobs.remind import remind
from pipelines.jobs.sheets import sheet_ref
from pipelines.jobs.status import build_status
from pipelines.jobs.tick import tick
from pipelines.ports import Workspace

# The shipped example edition: package data of the top-level `examples` package, so that an installed
# wheel has it too.
EXAMPLE = files("examples") / "atu-2027" / "contest.yaml"

# Experts who do not behave: one leaves a DER blank, one types words instead of a number.
CARELESS = {1: {"i.sidorenko@atu.edu.kz": "blank", "t.sokolova@atu.edu.kz": "text"}}


# What the stage-3 job says when it could not convert the results to PDF; without LibreOffice the demo
# says it once at the end instead, in the edition's language, with how to get the PDF.
def _pdf_not_made(message: str) -> bool:
    """The stage-3 job's note that results.pdf was not made (jobs/paperwork.py), in either language."""
    return any(
        message.startswith(i18n.text("note_no_results_pdf", lang, error="").split("(")[0]) for lang in i18n.LANGS
    )


MARKER = ".contest-demo"  # what a folder made by the demo carries, so that it may be cleared again


class DemoError(Exception):
    """The demo would overwrite a folder it did not make (said in Kazakh and Russian: no config yet)."""


def write_edition(directory: Path, seed: int, language: str | None = None) -> Path:
    """DIR/contest.yaml and DIR/responses.csv; an old demo's workspace is cleared first. `language`
    (kk|ru): the edition's, written into its contest.yaml (the example's, Kazakh, when None).

    A folder holding a contest.yaml or a workspace that no demo made (a real edition) is left alone."""
    if directory.exists() and not directory.is_dir():
        raise DemoError(i18n.both("demo_is_file", directory=directory))
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / MARKER).exists():
        theirs = [n for n in ("contest.yaml", "workspace", "responses.csv") if (directory / n).exists()]
        if theirs:
            raise DemoError(i18n.both("demo_not_ours", directory=directory, names=", ".join(theirs)))
    (directory / MARKER).write_text(
        "made by `contest demo`; running it again here clears this folder's workspace\n", encoding="utf-8"
    )
    for old in ("workspace", ".contest-tick.lock"):
        target = directory / old
        if target.is_dir():
            for path in target.rglob("*"):
                path.chmod(0o644) if path.is_file() else None
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    config_path = directory / "contest.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    if language is not None:  # every later command on the folder speaks it, not only the demo's own run
        text = re.sub(r"(?m)^language: kk\b", f"language: {language}", text, count=1)
    config_path.write_text(text, encoding="utf-8")
    config = load_config(config_path)
    rows = demo_data.responses(config.calendar.intake_open, config.calendar.intake_close, seed)
    (directory / "responses.csv").write_text(demo_data.to_csv(rows), encoding="utf-8")
    return config_path


# what the simulated experts write as their general impression, in the edition's language (form 02
# prints it); as many in each language, so that the seeded scores are the same in both editions
EXPERT_COMMENTS = {
    "kk": ["", "", "Жақсы құрылым", "Тесттер көбірек болуы керек", "Бейнесабақтар жақсы құрылған"],
    "ru": ["", "", "Хорошая структура", "Нужно больше тестов", "Видеоуроки хорошо выстроены"],
}


def simulate_experts(run: Run, stage: int, seed: int) -> int:
    """Every expert of the stage types scores into their own sheet; returns the sheets filled."""
    config = run.config
    lay = rating_sheet.layout(config)
    apps = run.state.counting()
    targets = demo_data.targets_by_link(
        demo_data.responses(config.calendar.intake_open, config.calendar.intake_close, seed)
    )
    comments = EXPERT_COMMENTS.get(config.language, EXPERT_COMMENTS["kk"])
    filled = 0
    for a in run.state.sheets(stage):
        email, ref = a.expert.email, sheet_ref(run, a)
        rng = random.Random(int(hashlib.sha1(f"{seed}/{stage}/{email}".encode()).hexdigest()[:12], 16))
        values: dict[tuple[int, int], object] = {}
        ids = list(a.application_ids)
        for index, app_id in enumerate(ids):
            target = targets.get(apps[app_id].response.link, 35)
            scores = demo_data.simulated_scores(target, len(config.criteria), rng)
            r = lay.data_row(index)
            for (_key, col), score in zip(sorted(lay.scores.items(), key=lambda kv: kv[1]), scores):
                values[(r, col)] = score
            values[(r, lay.fixed["comment"])] = rng.choice(comments)
        habit = CARELESS.get(stage, {}).get(email)
        if habit and ids:
            first_score = (lay.data_row(0), min(lay.scores.values()))
            values[first_score] = None if habit == "blank" else "8 баллов"
        run.workspace.sheets.write_as_expert(ref, values)
        filled += 1
    return filled


def _record_tie_decision(config_path: Path, config: Config, tie: list[str], at: datetime) -> None:
    """What CDB does when a stage waits on a tie: write the commission's decision into the config."""
    order = sorted(tie)
    block = (
        "decisions:\n"
        f"  - kind: tie_break\n    stage: 1\n    group: FIT-IS\n    applications: [{', '.join(tie)}]\n"
        f'    order: [{", ".join(order)}]\n    by: "{config.commissions.departments["FIT-IS"][0].name}, '
        f'кафедра отырысы, хаттама №7"\n    at: {at.isoformat(timespec="minutes")}\n'
        '    reason: "Тең ұпай: кафедра отырысында ашық дауыс беру нәтижесінде (5 қолдап, 2 қарсы)"\n'
    )
    text = config_path.read_text(encoding="utf-8").replace("decisions: []\n", block)
    config_path.write_text(text, encoding="utf-8")


DEMO_BACKENDS = "contest.demo_backends"  # entry point group: name -> make(config_path) -> workspace factory


def demo_backend(name: str) -> Callable[[Path], Callable[[Config], Workspace]]:
    """The demo backend `name` other than local, from the installed entry points: google-fake is the
    development install's in-process fake of Google, which the product itself neither ships nor knows.
    The wheel declares the entry point too, but without the fake's module: loading it then fails."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=DEMO_BACKENDS, name=name):
        try:
            return entry.load()
        except ModuleNotFoundError as exc:
            if exc.name is None or not (entry.module == exc.name or entry.module.startswith(exc.name + ".")):
                raise  # the backend's module is there but itself misses something: show that
            break
    raise DemoError(i18n.both("demo_needs_dev", backend=name))


def run_demo(
    directory: Path,
    *,
    backend: str = "local",
    seed: int = 2027,
    quiet: bool = False,
    progress=no_progress,
    workspace_factory: Callable[[Config], Workspace] | None = None,
    language: str | None = None,
) -> Iterator[str]:
    """Runs the edition end to end, yielding what it did, line by line."""
    make_factory = demo_backend(backend) if backend != "local" and workspace_factory is None else None
    config_path = write_edition(directory, seed, language)
    if make_factory is not None:
        workspace_factory = make_factory(config_path)
    config = load_config(config_path)
    if workspace_factory is None:
        from pipelines.backends import open_workspace

        workspace_factory = open_workspace
    workspace = workspace_factory(config)
    cal = config.calendar

    lang = config.language

    def at(moment: datetime, label: str) -> Iterator[str]:
        nonlocal config
        config = load_config(config_path)
        run = Run(config=config, workspace=workspace, now=moment, progress=progress)
        actions = tick(run)
        yield i18n.text(
            "demo_tick", lang, time=f"{moment:%Y-%m-%d %H:%M}", label=label, actions=i18n.actions(actions, lang)
        )
        yield from (f"    {m}" for m in run.messages if not (_pdf_not_made(m) and not _libreoffice()))

    def run_at(moment: datetime) -> Run:
        return Run(config=load_config(config_path), workspace=workspace, now=moment, progress=progress)

    yield i18n.text(
        "demo_start", lang, edition=config.edition_name(), directory=directory, backend=i18n.place(workspace, lang)
    )
    yield from at(cal.intake_open + timedelta(days=7), i18n.text("demo_intake_week", lang))
    yield from at(cal.intake_close + timedelta(minutes=5), i18n.text("demo_intake_closes", lang))
    for stage in (1, 2, 3):
        close = cal.stage_close(stage)
        filled = simulate_experts(run_at(close - timedelta(days=3)), stage, seed)
        yield "    " + i18n.text("demo_experts_filled", lang, filled=filled, stage=stage)
        if stage == 1:
            check = run_at(close - timedelta(days=1))
            report = remind(check)
            yield i18n.text("demo_remind", lang, time=f"{check.now:%Y-%m-%d %H:%M}", count=len(report.pending))
        yield from at(close + timedelta(minutes=5), i18n.text("demo_stage_deadline", lang, stage=stage))
        if run_at(close).state.stage(stage).state is StageState.WAITING:
            status = build_status(run_at(close + timedelta(hours=20)))
            ties = [t for g in status["stages"][stage - 1]["groups"] for t in g["ties"]]
            for tie in ties:
                _record_tie_decision(config_path, config, tie, close + timedelta(hours=16))
                yield "    " + i18n.text("demo_tie_decided", lang, tie=" = ".join(tie))
            yield from at(close + timedelta(hours=20), i18n.text("demo_stage_again", lang, stage=stage))
    yield from at(cal.stage3_close + timedelta(days=1), i18n.text("demo_later_tick", lang))
    status = build_status(run_at(cal.stage3_close + timedelta(days=1)))
    counts = Counter(a["registry_status"] for a in status["applications"])
    yield ""
    yield i18n.text("demo_applications", lang, counts=i18n.counts(counts, lang))
    titles = {a["id"]: a["title"] for a in status["applications"]}
    for w in status["winners"]:
        yield i18n.text(
            "demo_place", lang, place=w["place"], id=w["id"], title=titles.get(w["id"], ""), score=f"{w['score']:.2f}"
        )
    kinds = Counter(d["kind"] for d in status["documents"])
    yield i18n.text(
        "demo_documents",
        lang,
        counts=", ".join(
            i18n.text("doc_count", lang, kind=i18n.document_kind(k, lang), n=n) for k, n in sorted(kinds.items())
        ),
    )
    if "results_pdf" not in kinds and not _libreoffice():
        yield i18n.text("demo_no_pdf", lang, command=f"{_program()} demo {directory}")
    yield from workspace.stats.get("report", lambda: [])()
    if backend == "local":
        yield i18n.text(
            "demo_look_at",
            lang,
            paths=f"{directory / 'contest.yaml'}, "
            f"{directory / 'workspace' / 'control.xlsx'}, "
            f"{directory / 'workspace' / 'drive'}",
        )
        yield i18n.text("demo_then_try", lang, command=f"{_program()} --config {directory / 'contest.yaml'} status")
    else:
        yield i18n.text("demo_fake_google", lang)


def _libreoffice() -> bool:
    """Whether local PDF conversion can run (the same look-up as pipelines.formats.documents.to_pdf)."""
    return bool(shutil.which("soffice") or shutil.which("libreoffice"))


def _program() -> str:
    """How the user started `contest` (e.g. .venv/bin/contest from `make demo`), to repeat it back."""
    import os
    import shutil
    import sys

    started = sys.argv[0] if sys.argv and Path(sys.argv[0]).name == "contest" else "contest"
    on_path = shutil.which("contest")
    if os.sep in started and (on_path is None or Path(on_path).resolve() != Path(started).resolve()):
        return started
    return "contest"
