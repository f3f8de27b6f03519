"""On the fake of Google: an application rejected in error is reinstated after stage 1 opened. Its
author, told during intake what was missing, receives the rejection after CDB's review time and
then exactly one correction through Gmail; its department's experts get new rating spreadsheets holding it, with their scores kept."""

from __future__ import annotations

from datetime import timedelta

from editions import copy_edition, demo_factory_over, load_fake

from pipelines.config import load_config
from pipelines.formats import rating_sheet
from pipelines.jobs.common import Run
from pipelines.jobs.sheets import sheet_ref
from pipelines.jobs.tick import tick


def _mail(fake, address: str, der: str) -> list[dict]:
    return [m for m in fake.sent_mail if address in m["to"] and der in m["subject"] + m["text"]]


def test_a_reinstated_application_gets_one_correction_through_gmail(tmp_path, google_opened):
    path = copy_edition(google_opened / "edition", tmp_path / "edition")
    fake = load_fake(google_opened / "fake.pickle")
    factory = demo_factory_over(fake)
    close = load_config(path, environ={}).calendar.intake_close

    def run_at(now) -> Run:
        config = load_config(path, environ={})
        return Run(config=config, workspace=factory(config), now=now)

    run = run_at(close + timedelta(hours=1))
    wrong = next(
        a
        for a in run.state.counting().values()
        if a.status.value == "rejected" and a.response.link.startswith("skills.")
    )
    author, der = wrong.response.respondent_email.lower(), wrong.id
    # in intake's first week she was told what was missing, not "rejected"; at the close the final
    # rejection waits for CDB's review
    (incomplete,) = _mail(fake, author, der)
    assert "жетпейді" in incomplete["subject"] and "Бұл бас тарту емес" in incomplete["text"]
    fake.sleep(300)
    tick(run_at(close + timedelta(hours=25)))
    (_incomplete, rejection) = _mail(fake, author, der)
    assert "қабылданбады" in rejection["subject"]

    run = run_at(close + timedelta(hours=25, minutes=10))
    sheets = [a for a in run.state.sheets(1) if a.group == wrong.department_id]
    lay = rating_sheet.layout(run.config)
    column = next(iter(lay.scores.values()))
    run.workspace.sheets.write_as_expert(sheet_ref(run, sheets[0]), {(lay.data_row(0), column): 9})
    scored = sheets[0].application_ids[0]

    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "decisions: []\n",
            f"decisions:\n  - kind: reinstate\n    applications: [{der}]\n    by: ЦДБ\n    at: 2027-02-20T20:00\n"
            '    reason: "университет платформасы, сілтеме схемасыз жазылған"\n',
        ),
        encoding="utf-8",
    )
    fake.sleep(300)
    sent_before = len(fake.sent_mail)
    run = run_at(close + timedelta(hours=26))
    assert "joined" in tick(run), run.messages
    new = fake.sent_mail[sent_before:]
    (correction,) = [m for m in new if author in m["to"] and der in m["subject"]]
    assert "түзету" in correction["subject"] and "қате болды" in correction["text"]
    assert f"Тіркеу нөмірі: {der}" in correction["text"]

    after = run_at(close + timedelta(hours=26, minutes=5))
    joined = [a for a in after.state.sheets(1) if der in a.application_ids]
    assert {a.expert.email for a in joined} == {a.expert.email for a in sheets}
    told = {m["to"][0] if isinstance(m["to"], list) else m["to"] for m in new if "СББР қосылды" in m["subject"]}
    assert {str(t).lower() for t in told} == {a.expert.email for a in joined}
    mine = next(a for a in joined if a.expert.email == sheets[0].expert.email)
    values = fake.sheet_values(mine.sheet_id, "A1:Z60")
    assert der in str(values) and scored in str(values)
    row = lay.data_row(mine.application_ids.index(scored))
    assert values[row][column] == 9  # the expert's score, typed back

    fake.sleep(300)
    sent = len(fake.sent_mail)
    assert "joined" not in tick(run_at(close + timedelta(hours=27)))
    assert not [m for m in fake.sent_mail[sent:] if author in m["to"]]
