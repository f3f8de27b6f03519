"""Forms v1: forms.get, forms.responses.list/get, seeded from Python helpers."""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import re
from typing import TYPE_CHECKING, Any

from .drive_model import FORM, DriveFile
from .registry import handles
from .util import ApiError, parse_rfc3339, rfc3339

KINDS: dict[str, dict[str, Any]] = {
    "text": {"textQuestion": {}},
    "short": {"textQuestion": {}},
    "paragraph": {"textQuestion": {"paragraph": True}},
    "radio": {"choiceQuestion": {"type": "RADIO"}},
    "choice": {"choiceQuestion": {"type": "RADIO"}},
    "checkbox": {"choiceQuestion": {"type": "CHECKBOX"}},
    "dropdown": {"choiceQuestion": {"type": "DROP_DOWN"}},
    "file": {"fileUploadQuestion": {"types": ["ANY"], "maxFiles": 1, "maxFileSize": "10485760"}},
    "file_upload": {"fileUploadQuestion": {"types": ["ANY"], "maxFiles": 1, "maxFileSize": "10485760"}},
    "date": {"dateQuestion": {"includeYear": True}},
    "time": {"timeQuestion": {}},
    "scale": {"scaleQuestion": {"low": 1, "high": 5}},
}
_FILTER = re.compile(r"^\s*timestamp\s*(>=|>)\s*(\S+)\s*$")


def _when(value, default: _dt.datetime) -> _dt.datetime:
    if value is None:
        return default
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    return parse_rfc3339(str(value))


class FormsMixin:
    if TYPE_CHECKING:  # provided by ServerCore and DriveMixin, which FakeGoogle combines with this mixin

        def now(self) -> _dt.datetime: ...
        def _rand_chars(self, n: int) -> str: ...
        def register_file(
            self, file_id: str, name: str, mime: str, parents=None, drive_id: str | None = None, **kw
        ) -> DriveFile: ...

    def _init_forms(self) -> None:
        self.forms: dict[str, dict] = {}

    def add_form(
        self,
        title: str,
        questions=(),
        description: str | None = None,
        document_title: str | None = None,
        parent: str | None = None,
    ) -> str:
        """Seed a form. questions: [(question_id, title, kind[, extra])] where kind is one of
        text|paragraph|radio|checkbox|dropdown|file|date|time|scale and extra is a list of
        option strings (choice kinds) or a dict merged into the kind's question body."""
        form_id = "1" + self._rand_chars(43)
        items = []
        for q in questions:
            qid, qtitle, kind = q[0], q[1], q[2]
            extra = q[3] if len(q) > 3 else None
            if kind not in KINDS:
                raise ValueError(f"unknown question kind {kind!r}; use one of {sorted(KINDS)}")
            body = copy.deepcopy(KINDS[kind])
            ((key, spec),) = body.items()
            if isinstance(extra, (list, tuple)):
                spec["options"] = [{"value": str(o)} for o in extra]
            elif isinstance(extra, dict):
                spec.update(copy.deepcopy(extra))
            elif key == "choiceQuestion":
                spec["options"] = [{"value": "Option 1"}]
            items.append(
                {
                    "itemId": self._rand_chars(8).lower(),
                    "title": qtitle,
                    "questionItem": {"question": {"questionId": qid, "required": False, **body}},
                }
            )
        info = {"title": title, "documentTitle": document_title or title}
        if description:
            info["description"] = description
        self.forms[form_id] = {
            "form": {
                "formId": form_id,
                "info": info,
                "items": items,
                "revisionId": "00000001",
                "settings": {"quizSettings": {}, "emailCollectionType": "DO_NOT_COLLECT"},
                "responderUri": f"https://docs.google.com/forms/d/e/{form_id}/viewform",
            },
            "responses": [],
        }
        self.register_file(form_id, document_title or title, FORM, [parent] if parent else None)
        return form_id

    def _answers(self, form_id: str, answers: dict) -> dict:
        form = self.forms[form_id]["form"]
        known = {i["questionItem"]["question"]["questionId"] for i in form["items"] if "questionItem" in i}
        out = {}
        for qid, ans in answers.items():
            if qid not in known:
                raise ValueError(f"form {form_id} has no question {qid!r}")
            if isinstance(ans, dict) and "files" in ans:
                out[qid] = {
                    "questionId": qid,
                    "fileUploadAnswers": {
                        "answers": [
                            {"fileId": fid, "fileName": name, "mimeType": mime} for fid, name, mime in ans["files"]
                        ]
                    },
                }
            else:
                values = ans if isinstance(ans, (list, tuple)) else [ans]
                out[qid] = {"questionId": qid, "textAnswers": {"answers": [{"value": str(v)} for v in values]}}
        return out

    def add_response(
        self,
        form_id: str,
        answers: dict,
        create_time=None,
        last_submitted_time=None,
        respondent_email: str | None = None,
        response_id: str | None = None,
    ) -> str:
        """Seed a submitted response. Times: datetime or RFC3339 string (default: now)."""
        if form_id not in self.forms:
            raise KeyError(form_id)
        created = _when(create_time, self.now())
        rid = response_id or "ACYDBN" + self._rand_chars(40)
        self.forms[form_id]["responses"].append(
            {
                "responseId": rid,
                "created": created,
                "submitted": _when(last_submitted_time, created),
                "email": respondent_email,
                "answers": self._answers(form_id, answers),
            }
        )
        return rid

    def edit_response(self, form_id: str, response_id: str, answers: dict, last_submitted_time=None) -> None:
        """The respondent edited their response: same responseId, new answers/time."""
        for r in self.forms[form_id]["responses"]:
            if r["responseId"] == response_id:
                r["answers"] = self._answers(form_id, answers)
                r["submitted"] = _when(last_submitted_time, self.now())
                return
        raise KeyError(response_id)


def _form(fake, form_id: str) -> dict:
    entry = fake.forms.get(form_id)
    if entry is None or form_id not in fake.files:
        raise ApiError(404, "Requested entity was not found.")
    return entry


def _response_json(form_id: str, r: dict) -> dict:
    out = {
        "formId": form_id,
        "responseId": r["responseId"],
        "createTime": rfc3339(r["created"]),
        "lastSubmittedTime": rfc3339(r["submitted"]),
    }
    if r["email"]:
        out["respondentEmail"] = r["email"]
    if r["answers"]:
        out["answers"] = copy.deepcopy(r["answers"])
    return out


@handles("forms.forms.get")
def forms_get(fake, req):
    return copy.deepcopy(_form(fake, req.p("formId"))["form"])


@handles("forms.forms.responses.get")
def responses_get(fake, req):
    entry = _form(fake, req.p("formId"))
    for r in entry["responses"]:
        if r["responseId"] == req.p("responseId"):
            return _response_json(req.p("formId"), r)
    raise ApiError(404, "Requested entity was not found.")


@handles("forms.forms.responses.list")
def responses_list(fake, req):
    form_id = req.p("formId")
    entry = _form(fake, form_id)
    items = list(entry["responses"])
    flt = req.q("filter")
    if flt:
        m = _FILTER.match(flt)
        try:
            when = parse_rfc3339(m.group(2)) if m else None
        except ValueError:
            when = None
        if when is None:
            raise ApiError(400, f"Invalid filter: {flt}")
        strict = m.group(1) == ">"
        items = [r for r in items if (r["submitted"] > when if strict else r["submitted"] >= when)]
    size = req.qint("pageSize", 0) or 5000
    if size < 0:
        raise ApiError(400, "page_size must be non-negative")
    token = req.q("pageToken")
    start = 0
    if token:
        try:
            kind, _, num = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
            assert kind == form_id[:8]
            start = int(num)
        except Exception:
            raise ApiError(400, "Invalid page token.")
    page = items[start : start + size]
    out = {}
    if page:
        out["responses"] = [_response_json(form_id, r) for r in page]
    if start + size < len(items):
        out["nextPageToken"] = base64.urlsafe_b64encode(f"{form_id[:8]}:{start + size}".encode()).decode()
    return out
