"""The form's responses offline: the export file (.csv / .xlsx) CDB downloaded from Google Forms."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pipelines.backends.local.files import file_errors
from pipelines.domain.models import RawResponse
from pipelines.ports import BackendError, NotFound


class ExportFormSource:
    """Responses from a Google export file (.csv / .xlsx) that CDB downloaded: forms.ExportFile,
    its FormError as this backend's BackendError."""

    def __init__(self, path: Path, extra_aliases: dict[str, list[str]] | None = None):
        from pipelines.formats.forms import ExportFile

        self.file = ExportFile(path, extra_aliases)
        self.path = self.file.path

    @file_errors
    def read_responses(self) -> list[RawResponse]:
        from pipelines.formats.forms import FormError

        try:
            return self.file.read_responses()
        except FormError as exc:
            kind = BackendError if self.path.exists() else NotFound
            raise kind(str(exc)) from None

    def taken_at(self) -> datetime | None:
        return self.file.taken_at()
