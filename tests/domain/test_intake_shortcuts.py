"""The intake's shortcuts for large editions (issue 11) give what the long way gives: difflib's
upper bound never hides a similar pair, and rows answered alike are matched once but keep their
own records."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.domain.intake import NEAR, SAME_TITLE, decide
from pipelines.domain.text import similar, similar_above

WORDS = st.sampled_from(
    ["Ақпараттық", "жүйелер", "кафедрасы", "информационных", "систем", "Кафедра", "IT", "жүйелері", "сиситем", "ФИТ"]
)
TEXT = st.lists(WORDS, min_size=0, max_size=5).map(" ".join) | st.text(max_size=30)


@settings(max_examples=400, deadline=None)
@given(TEXT, TEXT, st.sampled_from([0.5, NEAR - 0.01, NEAR, SAME_TITLE]))
def test_similar_above_is_similar_wherever_the_floor_can_be_reached(a, b, floor):
    full, quick = similar(a, b), similar_above(a, b, floor)
    assert (full >= floor) == (quick >= floor)
    assert quick in (0.0, full)


def test_a_near_miss_is_still_found_and_recorded(config, make_response):
    typo = make_response(department="Кафедра информационных сиситем")
    [app] = decide([typo], config.intake_rules())
    assert app.department_id is not None
    assert "сиситем" in app.matched.get("department", "")


def test_rows_answered_alike_keep_records_of_their_own(config, make_response):
    rows = [
        make_response(row_key=f"row-{n}", row_number=n, title=f"Курс {n}", link=f"https://skills.atu.kz/course/{n}")
        for n in range(1, 4)
    ]
    rows.append(
        replace(
            rows[0],
            row_key="row-9",
            row_number=9,
            faculty="Нет такого факультета",
            title="Другой курс",
            link="https://skills.atu.kz/course/9",
        )
    )
    apps = decide(rows, config.intake_rules())
    assert len({a.department_id for a in apps[:3]}) == 1
    apps[0].matched["note"] = "changed by one row"
    assert "note" not in apps[1].matched  # each row's record is its own, not the shared match
    assert all(r.rule != "faculty" for r in apps[1].reasons)
