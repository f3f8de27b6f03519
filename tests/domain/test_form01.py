"""Form 01's field table (domain/form01.py) is the one list of its fields: the form's aliases, the
registry's columns, the field names CDB reads and form 01's document keys all follow it."""

from __future__ import annotations

import yaml

from pipelines import i18n
from pipelines.domain.form01 import FORM01, NAMES, NUMBERED
from pipelines.domain.intake import REQUIRED
from pipelines.formats import documents, forms
from pipelines.formats.tables import SCHEMA_DIR, columns, headers


def test_the_registry_holds_form_01_in_its_order_under_its_numbers():
    cols = columns("registry")
    start = cols.index(FORM01[0].name)
    assert cols[start : start + len(FORM01)] == list(NAMES)
    for lang in ("kk", "ru"):
        shown = dict(zip(cols, headers("registry", lang)))
        assert all(shown[f.name].startswith(f"{f.number}. ") for f in NUMBERED), lang


def test_every_field_has_aliases_a_name_for_people_and_a_document_key():
    aliases = yaml.safe_load((SCHEMA_DIR / "form_fields.yaml").read_text(encoding="utf-8"))
    assert list(aliases) == list(forms.FIELDS) == ["timestamp", "respondent_email", *NAMES]
    for name in forms.FIELDS:
        assert {"kk", "ru"} <= set(i18n.catalog()[f"field_{name}"]), name
    assert set(NAMES) <= documents.CONTEXT_KEYS["form01"]


def test_fields_1_to_8_are_the_required_ones():
    assert [number for _attr, number, _label in REQUIRED] == list(range(1, 9))
    assert [attr for attr, _n, _l in REQUIRED][3] == "authors_raw"  # the answer as typed is what must not be empty
