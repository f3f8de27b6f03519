"""Aggregation, ranking, quotas, ties at the cut-off, closing a group (9.4, 9.10, 11.2, 11.3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial

from _scoring_fixtures import KEYS, assignments, decision, make_app, make_config, make_rules, rating

from pipelines import i18n
from pipelines.domain.models import Standing, Status
from pipelines.domain.scoring import aggregate, close_group, rank, select

ru = partial(i18n.word, lang="ru")  # a notice as CDB reads it


def standing(app_id: str, score: float | None, **means: float) -> Standing:
    return Standing(app_id, score, 2 if score is not None else 0, dict(means))


def ids(standings: list[Standing]) -> list[str]:
    return [s.application_id for s in standings]


# --- aggregate --------------------------------------------------------------------------------
def test_aggregate_mean_and_sum_of_expert_totals():
    ratings = [
        rating("a@atu.kz", "D1", 10),
        rating("b@atu.kz", "D1", 6),  # totals 70 and 42
        rating("a@atu.kz", "D2", 5),
    ]  # total 35
    mean = aggregate(ratings, ["D1", "D2", "D3"], KEYS, "mean")
    assert [(s.application_id, s.score, s.raters) for s in mean] == [("D1", 56.0, 2), ("D2", 35.0, 1), ("D3", None, 0)]
    assert mean[0].criterion_means == {k: 8.0 for k in KEYS}
    assert mean[2].criterion_means == {}
    total = aggregate(ratings, ["D1", "D2", "D3"], KEYS, "sum")
    assert [s.score for s in total] == [112.0, 35.0, None]


def test_only_complete_ratings_count_and_an_experts_last_rating_wins():
    partial = rating("b@atu.kz", "D1", 10, 10, 10, 10, 10, 10, None)
    ratings = [rating("a@atu.kz", "D1", 1), rating("a@atu.kz", "D1", 5), partial, rating("c@atu.kz", "D9", 9)]
    (s,) = aggregate(ratings, ["D1"], KEYS, "mean")
    assert (s.score, s.raters) == (35.0, 1)


def test_aggregate_per_criterion_means():
    ratings = [rating("a@atu.kz", "D1", 10, 9, 8, 7, 6, 5, 4), rating("b@atu.kz", "D1", 8, 9, 8, 7, 6, 5, 2)]
    (s,) = aggregate(ratings, ["D1"], KEYS, "mean")
    assert s.criterion_means["completeness"] == 9.0 and s.criterion_means["impression"] == 3.0
    assert s.score == 47.0  # totals 49 and 45


# --- rank -------------------------------------------------------------------------------------
def test_competition_ranking_with_unscored_last():
    ranked = rank([standing("A", 50), standing("N", None), standing("B", 60), standing("C", 50), standing("D", 40)])
    assert [(s.application_id, s.rank) for s in ranked] == [("B", 1), ("A", 2), ("C", 2), ("D", 4), ("N", None)]


# --- select -----------------------------------------------------------------------------------
def test_fewer_ders_than_quota_selects_every_scored_one():
    selected, ties, waiting = select(
        [standing("A", 40), standing("B", None), standing("C", 50)], 3, group="IS", stage=1
    )
    assert (selected, ties, waiting) == (["C", "A"], [], [])


def test_clean_cut_off_selects_the_quota_in_rank_order():
    st = [standing("A", 40), standing("B", 60), standing("C", 55), standing("D", 39), standing("E", 59)]
    assert select(st, 3, group="IS", stage=1) == (["B", "E", "C"], [], [])
    assert select(st, 2, group="FIT", stage=2) == (["B", "E"], [], [])


def test_ties_that_do_not_cross_the_cut_off_are_fine():
    st = [standing("A", 60), standing("B", 60), standing("C", 50), standing("D", 40)]
    assert select(st, 3, group="IS", stage=1) == (["A", "B", "C"], [], [])
    st = [standing("A", 60), standing("B", 50), standing("C", 50), standing("D", 40)]
    assert select(st, 3, group="IS", stage=1) == (["A", "B", "C"], [], [])


def test_tie_across_the_cut_off_blocks_and_selects_none_of_the_tie():
    st = [standing("A", 60), standing("B", 50), standing("C", 50), standing("D", 40)]
    selected, ties, waiting = select(st, 2, group="FIT", stage=2)
    assert selected == ["A"]
    assert ties == [["B", "C"]]
    assert len(waiting) == 1 and "B, C" in ru(waiting[0]) and "50" in ru(waiting[0]) and "tie_break" in ru(waiting[0])


def test_all_tied_with_more_ders_than_quota_waits_and_with_as_many_selects_all():
    four = [standing(x, 42) for x in "ABCD"]
    assert select(four, 3, group="IS", stage=1)[:2] == ([], [["A", "B", "C", "D"]])
    assert select(four[:3], 3, group="IS", stage=1) == (["A", "B", "C"], [], [])


def test_tie_break_criterion_settles_the_tie():
    st = [
        standing("A", 60, tests=9),
        standing("B", 50, tests=7),
        standing("C", 50, tests=8),
        standing("D", 30, tests=10),
    ]
    assert select(st, 2, tie_break="criterion:tests", group="FIT", stage=2) == (["A", "C"], [], [])


def test_tie_break_criterion_still_equal_stays_a_tie():
    st = [standing("A", 50, tests=9), standing("B", 50, tests=8), standing("C", 50, tests=8)]
    selected, ties, waiting = select(st, 2, tie_break="criterion:tests", group="FIT", stage=2)
    assert selected == ["A"] and ties == [["B", "C"]]
    assert "решающий критерий их не различает" in ru(waiting[0])


def test_a_recorded_decision_settles_the_tie_in_the_commissions_order():
    st = [standing("A", 60), standing("B", 50), standing("C", 50), standing("D", 40)]
    d = decision("tie_break", ["C", "B"], stage=2, group="FIT", order=["C", "B"])
    assert select(st, 2, decisions=[d], group="FIT", stage=2) == (["A", "C"], [], [])
    # a decision of another group, another stage, or not covering the tie does not apply
    for other in (
        decision("tie_break", ["B", "C"], stage=2, group="OTHER", order=["C", "B"]),
        decision("tie_break", ["B", "C"], stage=1, group="FIT", order=["C", "B"]),
        decision("tie_break", ["B", "X"], stage=2, group="FIT", order=["X", "B"]),
    ):
        assert select(st, 2, decisions=[other], group="FIT", stage=2)[1] == [["B", "C"]]


def test_criterion_first_then_decision_for_what_remains():
    st = [standing("A", 50, tests=9), standing("B", 50, tests=8), standing("C", 50, tests=8)]
    d = decision("tie_break", ["A", "B", "C"], stage=2, group="FIT", order=["C", "A", "B"])
    assert select(st, 2, tie_break="criterion:tests", decisions=[d], group="FIT", stage=2) == (["A", "C"], [], [])


# --- close_group ------------------------------------------------------------------------------
def _group(n_apps: int = 4, emails=("a@atu.kz", "b@atu.kz")):
    apps = [make_app(f"D{i}", f"Ресурс {i}") for i in range(1, n_apps + 1)]
    return apps, assignments("IS", list(emails), [a.id for a in apps])


def test_close_group_selects_the_department_quota():
    apps, asg = _group(4)
    ratings = [rating(e, f"D{i}", s) for e in ("a@atu.kz", "b@atu.kz") for i, s in zip(range(1, 5), (9, 5, 7, 8))]
    out = close_group(
        stage=1,
        group="IS",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=make_rules(),
        decisions=[],
    )
    assert out.ready and out.selected == ["D1", "D4", "D3"]
    assert [(s.application_id, s.rank, s.selected) for s in out.standings] == [
        ("D1", 1, True),
        ("D4", 2, True),
        ("D3", 3, True),
        ("D2", 4, False),
    ]


def test_close_group_waits_for_missing_ratings_naming_der_count_and_experts():
    apps, asg = _group(2)
    ratings = [
        rating("a@atu.kz", "D1", 9),
        rating("b@atu.kz", "D1", 8),
        rating("a@atu.kz", "D2", 7),
        rating("b@atu.kz", "D2", 7, 7, 7, 7, 7, 7, None),
    ]
    out = close_group(
        stage=1,
        group="IS",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=make_rules(),
        decisions=[],
    )
    assert not out.ready and out.selected == []
    assert len(out.waiting) == 1
    assert "D2" in ru(out.waiting[0]) and "полных оценок 1" in ru(out.waiting[0]) and "b@atu.kz" in ru(out.waiting[0])
    assert "a@atu.kz" not in ru(out.waiting[0])


def test_close_incomplete_decision_closes_the_group_and_is_listed():
    apps, asg = _group(2)
    ratings = [rating("a@atu.kz", "D1", 9), rating("b@atu.kz", "D1", 8), rating("a@atu.kz", "D2", 7)]
    d = decision("close_incomplete", [], stage=1, group="IS")
    out = close_group(
        stage=1,
        group="IS",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=make_rules(),
        decisions=[d],
    )
    assert out.ready and out.selected == ["D1", "D2"] and out.decisions == [d]
    other_group = decision("close_incomplete", [], stage=1, group="FT")
    assert not close_group(
        stage=1,
        group="IS",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=make_rules(),
        decisions=[other_group],
    ).ready


def test_one_rater_is_enough_when_min_experts_is_one():
    apps, asg = _group(1, emails=("a@atu.kz",))
    out = close_group(
        stage=1,
        group="IS",
        applications=apps,
        assignments=asg,
        ratings=[rating("a@atu.kz", "D1", 3)],
        problems=[],
        rules=make_rules(min_experts=1),
        decisions=[],
    )
    assert out.ready and out.selected == ["D1"] and out.standings[0].score == 21.0


def test_ratings_of_unassigned_experts_never_count():
    apps, asg = _group(1)
    ratings = [rating("a@atu.kz", "D1", 5), rating("b@atu.kz", "D1", 5), rating("author@atu.kz", "D1", 10)]
    out = close_group(
        stage=1,
        group="IS",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=make_rules(),
        decisions=[],
    )
    assert out.standings[0].score == 35.0 and out.standings[0].raters == 2


def test_disqualified_ders_leave_the_ranking_and_the_decision_is_listed():
    apps, asg = _group(4)
    apps[3] = replace(apps[3], status=Status.DISQUALIFIED)  # Applications are frozen: a decision makes a new one
    ratings = [rating(e, f"D{i}", s) for e in ("a@atu.kz", "b@atu.kz") for i, s in zip(range(1, 5), (9, 5, 7, 8))]
    d = decision("disqualify", ["D1"], stage=None, group=None)
    out = close_group(
        stage=1,
        group="IS",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=make_rules(),
        decisions=[d],
    )
    assert ids(out.standings) == ["D3", "D2"] and out.selected == ["D3", "D2"]
    assert out.decisions == [d]


def test_tie_at_the_cut_off_keeps_the_group_waiting_until_decided():
    apps, asg = _group(4)
    ratings = [rating(e, f"D{i}", s) for e in ("a@atu.kz", "b@atu.kz") for i, s in zip(range(1, 5), (9, 7, 7, 7))]
    rules = make_rules()
    out = close_group(
        stage=1, group="IS", applications=apps, assignments=asg, ratings=ratings, problems=[], rules=rules, decisions=[]
    )
    assert not out.ready and out.selected == ["D1"] and out.ties == [["D2", "D3", "D4"]]
    assert [s.tied_at_cutoff for s in out.standings] == [False, True, True, True]
    d = decision("tie_break", ["D2", "D3", "D4"], order=["D4", "D2", "D3"])
    out = close_group(
        stage=1,
        group="IS",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=rules,
        decisions=[d],
    )
    assert out.ready and out.selected == ["D1", "D4", "D2"] and out.decisions == [d]


def test_the_configs_recorded_decisions_reach_the_rule():
    apps, asg = _group(4)
    ratings = [rating(e, f"D{i}", s) for e in ("a@atu.kz", "b@atu.kz") for i, s in zip(range(1, 5), (9, 7, 7, 7))]
    config = make_config(
        decisions=[
            {
                "kind": "tie_break",
                "stage": 1,
                "group": "IS",
                "applications": ["D2", "D3", "D4"],
                "order": ["D3", "D4", "D2"],
                "by": "Кафедра отырысы",
                "at": "2026-03-11T10:00",
                "reason": "дауыс беру",
            }
        ]
    )
    out = close_group(
        stage=1,
        group="IS",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=config.scoring_rules(),
        decisions=config.domain_decisions(),
    )
    assert out.ready and out.selected == ["D1", "D3", "D4"]


def test_stage3_selects_prize_winners_in_place_order():
    apps = [make_app(f"D{i}") for i in range(1, 6)]
    asg = assignments("contest", ["chair@atu.kz", "second@atu.kz"], [a.id for a in apps], stage=3)
    ratings = [
        rating(e, f"D{i}", s) for e in ("chair@atu.kz", "second@atu.kz") for i, s in zip(range(1, 6), (6, 9, 4, 8, 7))
    ]
    out = close_group(
        stage=3,
        group="contest",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=make_rules(),
        decisions=[],
    )
    assert out.ready and out.selected == ["D2", "D4", "D5"]
    assert [s.rank for s in out.standings] == [1, 2, 3, 4, 5]
    out = close_group(
        stage=3,
        group="contest",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=make_rules(prize_places=1),
        decisions=[],
    )
    assert out.selected == ["D2"]


def test_the_latest_tie_break_decision_wins():
    st = [standing("A", 50), standing("B", 50)]
    old = decision("tie_break", ["A", "B"], stage=3, group="contest", order=["A", "B"], at=datetime(2026, 4, 1))
    new = decision("tie_break", ["A", "B"], stage=3, group="contest", order=["B", "A"], at=datetime(2026, 4, 2))
    assert select(st, 1, decisions=[new, old], group="contest", stage=3)[0] == ["B"]


def test_a_tie_for_a_prize_place_is_never_settled_by_row_order():
    apps = [make_app(f"D{i}") for i in range(1, 5)]
    asg = assignments("contest", ["chair@atu.kz", "second@atu.kz"], [a.id for a in apps], stage=3)
    ratings = [
        rating(e, f"D{i}", s) for e in ("chair@atu.kz", "second@atu.kz") for i, s in zip(range(1, 5), (8, 9, 9, 5))
    ]
    for order in (apps, list(reversed(apps))):
        out = close_group(
            stage=3,
            group="contest",
            applications=order,
            assignments=asg,
            ratings=ratings,
            problems=[],
            rules=make_rules(),
            decisions=[],
        )
        assert not out.ready and [sorted(t) for t in out.ties] == [["D2", "D3"]] and "D1" not in out.ties[0]
        assert "призовые места 1–2" in ru(out.waiting[0])
    d = decision("tie_break", ["D2", "D3"], stage=3, group="contest", order=["D3", "D2"])
    out = close_group(
        stage=3,
        group="contest",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=make_rules(),
        decisions=[d],
    )
    assert out.ready and out.selected == ["D3", "D2", "D1"] and d in out.decisions


def test_a_prize_place_tie_is_settled_by_the_tie_break_criterion_when_configured():
    apps = [make_app(f"D{i}") for i in range(1, 4)]
    asg = assignments("contest", ["chair@atu.kz"], [a.id for a in apps], stage=3)
    ratings = [
        rating("chair@atu.kz", "D1", 9, 9, 9, 9, 9, 3, 1),
        rating("chair@atu.kz", "D2", 7, 7, 7, 7, 7, 7, 7),
        rating("chair@atu.kz", "D3", 3, 3, 3, 3, 3, 3, 3),
    ]
    rules = make_rules(min_experts=1, tie_break="criterion:impression")
    out = close_group(
        stage=3,
        group="contest",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=rules,
        decisions=[],
    )
    assert out.ready and out.selected == ["D2", "D1", "D3"]


def test_the_wait_for_missing_ratings_names_both_ways_out_with_the_config_to_add():
    """Issue 8 item 6: record close_incomplete (who, when, why) or move the deadline; the exact lines."""
    from pipelines import i18n

    apps, asg = _group(2)
    ratings = [rating("a@atu.kz", "D1", 9), rating("b@atu.kz", "D1", 8), rating("a@atu.kz", "D2", 7)]
    out = close_group(
        stage=1, group="IS", applications=apps, assignments=asg, ratings=ratings, problems=[], rules=make_rules()
    )
    [waiting] = out.waiting
    line = "decisions: [{kind: close_incomplete, stage: 1, group: IS, applications: [D2], by:"
    assert line in waiting.values["decision"] and waiting.values["deadline_key"] == "calendar.stage1_close"
    for lang, words in (("kk", "парақтар түзетуге қайта ашылады"), ("ru", "листы откроются для исправления")):
        said = i18n.word(waiting, lang)
        assert line in said and "calendar.stage1_close" in said and words in said


# --- an expert who stands aside (13) ----------------------------------------------------------
def test_a_recused_rating_never_counts_and_the_quorum_is_checked_without_it():
    from dataclasses import replace

    apps, asg = _group(2, emails=("a@atu.kz", "b@atu.kz", "c@atu.kz"))
    ratings = [rating(e, d, 8) for e in ("a@atu.kz", "b@atu.kz") for d in ("D1", "D2")]
    ratings.append(replace(rating("c@atu.kz", "D1", 1), recused=True))  # scores typed, then the mark
    ratings.append(rating("c@atu.kz", "D2", 2))
    out = close_group(
        stage=1,
        group="IS",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=make_rules(),
        decisions=[],
    )
    by = {s.application_id: s for s in out.standings}
    assert by["D1"].raters == 2 and by["D1"].score == 56.0  # c's 1s are not in it
    assert by["D2"].raters == 3
    assert out.ready


def test_a_der_short_of_quorum_because_of_a_recusal_waits_without_naming_who_stood_aside():
    from dataclasses import replace

    apps, asg = _group(1, emails=("a@atu.kz", "b@atu.kz"))
    ratings = [rating("a@atu.kz", "D1", 8), replace(rating("b@atu.kz", "D1", 9), recused=True)]
    out = close_group(
        stage=1,
        group="IS",
        applications=apps,
        assignments=asg,
        ratings=ratings,
        problems=[],
        rules=make_rules(),
        decisions=[],
    )
    assert not out.ready and len(out.waiting) == 1
    assert "b@atu.kz" not in ru(out.waiting[0]) and "полных оценок 1" in ru(out.waiting[0])
