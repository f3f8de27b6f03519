"""The config's YAML read through libyaml gives the very data the pure-Python parser gives, and a
text libyaml refuses is reported with the pure parser's marks (line, column, where a quote began)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines import i18n
from pipelines.config import ConfigError, _safe_load, load_config
from pipelines.demo import write_edition

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _texts(tmp_path) -> list[Path]:
    return sorted(EXAMPLES.rglob("*.yaml")) + [write_edition(tmp_path / "demo", seed=2027)]


def test_libyaml_and_the_pure_parser_read_the_same_data(tmp_path):
    paths = _texts(tmp_path)
    assert len(paths) >= 2
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert _safe_load(text) == yaml.safe_load(text), path


def test_awkward_yaml_reads_the_same():
    text = (
        "a: 2027-03-01T10:00:00+05:00\nb: 2027-03-01\nc: '007'\nd: 0o17\ne: 1_000\nf: yes\ng: ~\n"
        "h: 'Жүйелік «бағдарлама»'\ni: [1, 2.5, .inf, -.inf]\nj: |\n  екі\n  жол\nk: &x {m: 1}\nl: *x\n"
    )
    assert _safe_load(text) == yaml.safe_load(text)


def test_an_unclosed_quote_names_where_it_began(tmp_path):
    path = tmp_path / "contest.yaml"
    path.write_text('language: ru\nedition:\n  name: "АТУ\n  year: 2027\nforms: [\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    try:
        yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        at, began = exc.problem_mark, exc.context_mark
        assert at is not None and began is not None
        assert i18n.both("cfg_yaml_at", line=at.line + 1, column=at.column + 1) in str(caught.value)
        assert i18n.both("cfg_yaml_began", line=began.line + 1, column=began.column + 1) in str(caught.value)
    else:
        pytest.fail("the text is not YAML")
