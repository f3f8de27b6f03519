"""`contest accept-edits`: a person's edit of the control tables, taken as a decision (issue 23 item 1).

Every read of the control store proves the tables are as the product last wrote them
(formats/witness.py); an edit stops every job, named. CDB either puts the version back
(`contest undo-edits`) or accepts the edit with a reason —
who decided it and by which decision — recorded in the journal with each cell's before and after.
A tab renamed or deleted, or a header typed over, is never accepted (the product would take the tab
for a new, empty one): it is renamed back or restored.
"""

from __future__ import annotations

from pipelines import i18n
from pipelines.formats.witness import TableEdit, acceptable
from pipelines.jobs.common import Run
from pipelines.ports import BackendError


def accept_edits(run: Run, reason: str) -> list[TableEdit]:
    """Accept every hand edit found, recording them and `reason` in the journal; the edits accepted."""
    store = run.workspace.control
    edits: list[TableEdit] = store.hand_edits()
    if not edits:
        run.say(i18n.text("edits_none", run.lang))
        return []
    if not acceptable(edits):
        said = "; ".join(e.say(run.lang) for e in edits if not acceptable([e]))
        raise BackendError(i18n.text("edits_not_acceptable", run.lang, edits=said))
    store.accept_hand_edits()  # first: the journal's own write reads the tables as they are now
    run.journal("accept-edits", reason, {"edits": [e.as_dict() for e in edits]})
    run.say(i18n.text("edits_accepted", run.lang, count=len(edits), reason=reason))
    return edits
