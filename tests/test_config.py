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
    with pytest.raises(ConfigError, match=r"calendar\.stage1_close must come before calendar\.stage2_close"):
        load_config(
            _variant(tmp_path, "stage2_close: 2027-03-26T18:00", "stage2_close: 2027-03-05T14:00+03:00"), environ={}
        )


def test_unknown_and_missing_keys_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"quotas\.departmnet: unknown key"):
        load_config(_variant(tmp_path, "  department: 3 ", "  departmnet: 3 "), environ={})
    with pytest.raises(ConfigError, match=r"edition\.year: required key is missing"):
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
