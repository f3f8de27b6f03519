import base64
import datetime as dt
from email.message import EmailMessage

import pytest
from googleapiclient.errors import HttpError


def _seed(fake):
    form_id = fake.add_form(
        "Registration",
        questions=[
            ("q_team", "Team name", "text"),
            ("q_langs", "Languages", "checkbox", ["C++", "Python", "Java"]),
            ("q_file", "Solution", "file"),
        ],
    )
    ids = []
    for i in range(5):
        ids.append(
            fake.add_response(
                form_id,
                answers={
                    "q_team": f"team{i}",
                    "q_langs": ["C++", "Python"],
                    "q_file": {"files": [(f"file{i}", f"sol{i}.docx", "application/msword")]},
                },
                create_time=f"2026-01-0{i + 1}T10:00:00Z",
                respondent_email=f"t{i}@example.com",
            )
        )
    return form_id, ids


def test_form_get_and_responses_paging_filter_files(fake, forms):
    form_id, ids = _seed(fake)
    form = forms.forms().get(formId=form_id).execute()
    assert form["info"]["title"] == "Registration"
    questions = [i["questionItem"]["question"] for i in form["items"]]
    assert [q["questionId"] for q in questions] == ["q_team", "q_langs", "q_file"]
    assert questions[1]["choiceQuestion"]["type"] == "CHECKBOX"
    assert "fileUploadQuestion" in questions[2]

    got, token, pages = [], None, 0
    while True:
        res = forms.forms().responses().list(formId=form_id, pageSize=2, pageToken=token).execute()
        got += res["responses"]
        pages += 1
        token = res.get("nextPageToken")
        if not token:
            break
    assert pages == 3 and [r["responseId"] for r in got] == ids
    first = got[0]
    assert first["respondentEmail"] == "t0@example.com"
    assert first["createTime"] == "2026-01-01T10:00:00.000Z" == first["lastSubmittedTime"]
    assert first["answers"]["q_langs"]["textAnswers"]["answers"] == [{"value": "C++"}, {"value": "Python"}]
    assert first["answers"]["q_file"]["fileUploadAnswers"]["answers"] == [
        {"fileId": "file0", "fileName": "sol0.docx", "mimeType": "application/msword"}
    ]

    later = forms.forms().responses().list(formId=form_id, filter="timestamp > 2026-01-03T10:00:00Z").execute()
    assert [r["answers"]["q_team"]["textAnswers"]["answers"][0]["value"] for r in later["responses"]] == [
        "team3",
        "team4",
    ]
    same = forms.forms().responses().list(formId=form_id, filter="timestamp >= 2026-01-03T10:00:00Z").execute()
    assert len(same["responses"]) == 3
    assert forms.forms().responses().list(formId=form_id, filter="timestamp > 2027-01-01T00:00:00Z").execute() == {}

    # an edit keeps the responseId and moves lastSubmittedTime
    fake.edit_response(
        form_id, ids[0], {"q_team": "renamed"}, last_submitted_time=dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    )
    edited = forms.forms().responses().list(formId=form_id, filter="timestamp > 2026-01-31T00:00:00Z").execute()
    assert [r["responseId"] for r in edited["responses"]] == [ids[0]]
    assert edited["responses"][0]["answers"] == {
        "q_team": {"questionId": "q_team", "textAnswers": {"answers": [{"value": "renamed"}]}}
    }
    one = forms.forms().responses().get(formId=form_id, responseId=ids[0]).execute()
    assert one["createTime"] == "2026-01-01T10:00:00.000Z"

    with pytest.raises(HttpError) as exc:
        forms.forms().responses().list(formId=form_id, filter="submitted after yesterday").execute()
    assert exc.value.status_code == 400
    with pytest.raises(HttpError) as exc:
        forms.forms().get(formId="nope").execute()
    assert exc.value.status_code == 404
    assert fake.counts()["forms"] == {"forms.get": 2, "forms.responses.list": 8, "forms.responses.get": 1}


def test_gmail_send(fake, gmail):
    msg = EmailMessage()
    msg["To"] = "judge@example.com, second@example.com"
    msg["From"] = fake.identity
    msg["Subject"] = "Результати"
    msg.set_content("Привіт, your score is 42")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="r.pdf")
    raw = base64.urlsafe_b64encode(msg.as_bytes()).decode()
    res = gmail.users().messages().send(userId="me", body={"raw": raw}).execute()
    assert res["labelIds"] == ["SENT"]
    sent = fake.sent_mail[0]
    assert sent["id"] == res["id"] and sent["to"] == ["judge@example.com", "second@example.com"]
    assert sent["subject"] == "Результати" and "your score is 42" in sent["text"]
    assert sent["attachments"] == [("r.pdf", "application/pdf", b"%PDF-1.4")]
    nobody = EmailMessage()
    nobody["Subject"] = "x"
    nobody.set_content("x")
    with pytest.raises(HttpError) as exc:
        gmail.users().messages().send(
            userId="me", body={"raw": base64.urlsafe_b64encode(nobody.as_bytes()).decode()}
        ).execute()
    assert exc.value.status_code == 400 and len(fake.sent_mail) == 1
    fake.gmail_precondition_failure = True  # e.g. a service account without delegation
    with pytest.raises(HttpError) as exc:
        gmail.users().messages().send(userId="me", body={"raw": raw}).execute()
    assert exc.value.status_code == 400 and "Precondition" in exc.value.reason
