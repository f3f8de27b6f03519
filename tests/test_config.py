"""contest.yaml -> Config: errors name the key; times with and without offsets; env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.config import ConfigError, load_config

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "atu-2027" / "contest.yaml"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "contest.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_date_with_an_offset_is_compared_with_the_naive_ones(tmp_path):
    config = load_config(
        _variant(tmp_path, "stage2_close: 2027-03-26T18:00", "stage2_close: 2027-03-26T16:00+03:00"), environ={}
    )
    assert config.calendar.stage2_close.utcoffset().total_seconds() == 3 * 3600
    assert config.calendar.stage1_close.utcoffset().total_seconds() == 5 * 3600  # Asia/Almaty
    with pytest.raises(
        ConfigError,
        match=r"calendar\.stage2_close: 2027-03-05 14:00 — calendar\.stage1_close \(2027-03-05 18:00\) мерзімінен кейін",
    ):
        load_config(
            _variant(tmp_path, "stage2_close: 2027-03-26T18:00", "stage2_close: 2027-03-05T14:00+03:00"), environ={}
        )


def test_unknown_and_missing_keys_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"quotas\.departmnet: белгісіз кілт"):
        load_config(_variant(tmp_path, "  department: 3 ", "  departmnet: 3 "), environ={})
    with pytest.raises(ConfigError, match=r"edition\.year: міндетті кілт жазылмаған"):
        load_config(_variant(tmp_path, "  year: 2027\n", ""), environ={})


def test_environment_overrides_the_file(tmp_path):
    config = load_config(EXAMPLE, environ={"CONTEST_LANGUAGE": "ru", "CONTEST_SCORING__MIN_EXPERTS": "3"})
    assert config.language == "ru" and config.scoring.min_experts == 3
    with pytest.raises(ConfigError, match="scoring.min_experts"):
        load_config(EXAMPLE, environ={"CONTEST_SCORING__MIN_EXPERTS": "0"})


def test_a_tie_break_decision_must_list_the_same_ids_in_its_order(tmp_path):
    decision = (
        "decisions:\n  - {kind: tie_break, stage: 1, group: FIT-IS, applications: [A, B], order: [A],"
        " by: chair, at: 2027-03-06T10:00, reason: vote}\n"
    )
    with pytest.raises(ConfigError, match="decisions.0"):
        load_config(_variant(tmp_path, "decisions: []\n", decision), environ={})


def test_meetings_have_defaults_and_a_group_entry_wins_over_the_stage_entry(tmp_path):
    path = _variant(
        tmp_path,
        "decisions: []\n",
        "decisions: []\nmeetings:\n"
        "  - {stage: 1, number: '1', chair: 'A'}\n"
        "  - {stage: 1, group: FIT-IS, number: '7', secretary: 'S', votes: {for: 3, against: 1, abstained: 0}}\n",
    )
    config = load_config(path, environ={})
    own = config.meeting(1, "FIT-IS")
    assert own.number == "7" and own.votes.yes == 3 and own.votes.against == 1
    assert config.meeting(1, "FIT-AU").number == "1"  # the stage's entry
    assert config.meeting(2, "FIT").number == "" and config.meeting(2, "FIT").votes is None  # defaults
    with pytest.raises(ConfigError, match=r"meetings\.0\.votes\.for"):
        load_config(
            _variant(tmp_path, "decisions: []\n", "decisions: []\nmeetings:\n  - {stage: 1, votes: {for: -1}}\n"),
            environ={},
        )


def test_previous_winners_files_join_the_9_9_list_and_name_a_bad_entry(tmp_path):
    (tmp_path / "winners-2026.yaml").write_text(
        "previous_winners:\n  - {title: 'Ескі курс', link: 'https://skills.atu.kz/course/view.php?id=5', "
        "authors: ['Ли А. В.'], year: 2026, place: 1, id: DER-AAAAAA}\n",
        encoding="utf-8",
    )
    path = _variant(tmp_path, "decisions: []\n", "decisions: []\nprevious_winners_files: [winners-2026.yaml]\n")
    config = load_config(path, environ={})
    titles = [w.title for w in config.intake_rules().previous_winners]
    assert "Ескі курс" in titles and len(titles) == len(config.previous_winners) + 1
    (tmp_path / "winners-2026.yaml").write_text("previous_winners:\n  - {link: x}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"winners-2026.yaml, 1-жазба: title: міндетті кілт жазылмаған"):
        load_config(path, environ={}).intake_rules()


def test_check_config_warns_without_the_ceremony_before_stage_3_closes(tmp_path):
    from pipelines.checks import config_warnings

    path = _variant(tmp_path, "ceremony:\n  at: 2027-04-23T15:00\n", "ceremony:\n")
    config = load_config(path, environ={})
    early = config.calendar.stage2_close
    assert [w.clause for w in config_warnings(config, early)] == ["11.4"]
    assert "ceremony.at" in config_warnings(config, early)[0].notice.values["missing"]
    assert config_warnings(config, config.calendar.stage3_close) == []  # after the close: too late to warn
    assert config_warnings(load_config(EXAMPLE, environ={}), early) == []
