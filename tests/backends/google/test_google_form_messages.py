"""A Google form source set up wrong is refused in the edition's language (issue 8 item 7), naming
the key to set: the command line shows the kk or ru words, the backend error keeps both."""

from __future__ import annotations

import pytest

from google_fake.demo import fake_workspace
from pipelines import i18n
from pipelines.cli import backend_message
from pipelines.config import FormSourceConfig
from pipelines.ports import BackendError


@pytest.mark.parametrize(
    ("form", "key"),
    [
        (FormSourceConfig(kind="forms_api"), "form_no_form_id"),
        (FormSourceConfig(kind="sheet"), "form_no_spreadsheet_id"),
        (FormSourceConfig(kind="file"), "form_no_path"),
    ],
)
def test_a_form_source_without_its_id_names_the_key_in_each_language(fake, config, form, key):
    ws = fake_workspace(config.model_copy(update={"form": form}), fake)
    with pytest.raises(BackendError) as caught:
        ws.forms.read_responses()
    for lang in i18n.LANGS:
        said = backend_message(caught.value, lang)
        assert said == i18n.text(key, lang) and said.startswith("form.")
    assert str(caught.value) == i18n.both(key)  # no language known: both
