"""The OAuth scopes the Google backend asks for: the narrowest that work (regulation 14, least
privilege), all of them here and nowhere else. `scopes_for(config)` picks what one configuration
needs; README.md "Google scopes" lists them for the person who grants them.

Which scope allows which call is written in Google's discovery documents (each method lists its
scopes; google-api-python-client ships them), and the fake of Google enforces it per request."""

from __future__ import annotations

AUTH = "https://www.googleapis.com/auth/"

# Drive and Sheets on the files this app creates: the edition's folders, rating sheets, documents,
# PDFs and the control spreadsheet, all made by files.create (and found again by appProperties in
# files.list, which with drive.file lists only the app's own files). Every Sheets method the
# product calls also accepts drive.file. A shared drive given by `backend.shared_drive_id` is not a
# file: its root can hold the app's files (the preflight proves it on the real account).
DRIVE_FILE = AUTH + "drive.file"
# The whole Drive: only when the config names a Drive item a person made, which drive.file cannot
# see — `backend.root_folder_id` (a folder made by hand) or `backend.control_spreadsheet_id`.
# Leave both empty (the product makes and finds its own) and this scope is not asked for.
DRIVE = AUTH + "drive"
# The form's linked response spreadsheet (form.kind: sheet) was made by Google Forms, not by this
# app, so drive.file cannot open it; read-only is enough (spreadsheets.get and values.get).
SPREADSHEETS_READONLY = AUTH + "spreadsheets.readonly"
# form.kind: forms_api — forms.get (the questions' titles) and forms.responses.list.
FORMS_BODY_READONLY = AUTH + "forms.body.readonly"
FORMS_RESPONSES_READONLY = AUTH + "forms.responses.readonly"
# backend.gmail: send mail, nothing else: no right to read the mailbox.
GMAIL_SEND = AUTH + "gmail.send"
# backend.mail_lookup (opt-in): users.messages.list with q="rfc822msgid:…" to ask whether a mail a
# crash or a lost answer interrupted went out, so that it is sent exactly once. gmail.metadata does
# not allow `q`, so this is gmail.readonly — which lets the account read the WHOLE mailbox of
# backend.sender (every mail, not just the product's). Without it a mail whose fate is unknown is
# never sent twice and is reported as perhaps not arrived.
GMAIL_READONLY = AUTH + "gmail.readonly"

GMAIL_SCOPES = (GMAIL_SEND, GMAIL_READONLY)


def scopes_for(config) -> list[str]:
    """The scopes one configuration needs, in a stable order."""
    backend, form = config.backend, config.form
    out = [DRIVE if backend.root_folder_id or backend.control_spreadsheet_id else DRIVE_FILE]
    if form.kind == "sheet":
        out.append(SPREADSHEETS_READONLY)
    if form.kind == "forms_api":
        out += [FORMS_BODY_READONLY, FORMS_RESPONSES_READONLY]
    return out + gmail_scopes(backend)


def gmail_scopes(backend) -> list[str]:
    """What the mailbox of backend.sender is asked for (a service account: the scopes delegated
    to it in the Workspace Admin console, exactly these)."""
    if not backend.gmail:
        return []
    return [GMAIL_SEND] + ([GMAIL_READONLY] if backend.mail_lookup else [])
