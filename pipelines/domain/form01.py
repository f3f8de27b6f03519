"""Form 01's fields (the cover letter, Appendix 1 of the regulation) as one table. Pure: no I/O.

Every list of the fields is derived from it: the columns the form export is read into
(`forms.FIELDS`), the required-field rule (`intake.missing_fields`), the registry's form columns
and their mapper (`registry.py`) and form 01's document context (`documents.CONTEXT_KEYS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """How an answer is held: as typed, a multi-select's items, uploaded files, or the authors."""

    TEXT = "text"
    CHOICES = "choices"  # Response holds the items as typed; the registry one cell, ", " between
    FILES = "files"  # Response holds the links; the registry one cell, one link a line
    AUTHORS = "authors"  # Response holds the answer as typed (authors_raw) and the parsed authors


@dataclass(frozen=True)
class FormField:
    name: str  # the Response field, the form_fields.yaml key, the registry column, the document key
    number: int | None  # its number on form 01; None: an attachment the note to form 01 asks for
    label: str  # in English, as a reason names it ("form 01 field 6 (DER type) is empty")
    kind: Kind = Kind.TEXT

    @property
    def attribute(self) -> str:
        """The Response attribute that holds the answer as typed."""
        return "authors_raw" if self.kind is Kind.AUTHORS else self.name


FORM01 = (
    FormField("faculty", 1, "faculty"),
    FormField("department", 2, "department"),
    FormField("title", 3, "DER title"),
    FormField("authors", 4, "author(s)", Kind.AUTHORS),
    FormField("languages", 5, "language of instruction", Kind.CHOICES),
    FormField("der_type", 6, "DER type"),
    FormField("justification", 7, "justification"),
    FormField("link", 8, "link to the DER"),
    FormField("act_files", None, "act of implementation", Kind.FILES),
    FormField("certificate_files", None, "certificate of placement", Kind.FILES),
)
NUMBERED = tuple(f for f in FORM01 if f.number is not None)  # fields 1-8: every one required (9.8)
NAMES = tuple(f.name for f in FORM01)
