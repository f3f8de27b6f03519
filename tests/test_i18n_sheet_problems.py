"""Every problem the rating-sheet reader and the sheet jobs write (in English, read back by the
pipeline) has its Kazakh and Russian words (i18n.sheet_problem): none reaches people in English."""

from __future__ import annotations

import pytest

from pipelines import i18n

# the details as pipelines/rating_sheet.py, pipelines/jobs/sheets.py and the backends word them
DETAILS = {
    "this sheet was not made for the current list of DERs or criteria (its checksum ab12 is not cd34); "
    "not scored: re-create the sheet": "why_checksum",
    "this is the rating sheet of Ким В. А. (v.kim@atu.edu.kz), returned under the name of a@atu.edu.kz; "
    "not scored: ask a@atu.edu.kz to return their own sheet": "why_someone_elses",
    "this sheet belongs to another stage, group or edition (stage 2, FIT); not scored: ask a@atu.edu.kz "
    "to return the sheet of stage 1, FIT-IS": "why_other_stage",
    "2 tabs carry this sheet's identity and none can be told for the original; not scored: keep one tab "
    "and delete the copies": "why_many_tabs",
    "no tab carries this sheet's identity (it was removed, or this is not a sheet the pipeline made for "
    "a@atu.edu.kz); not scored: ask a@atu.edu.kz to return the original sheet, or re-create it": "why_no_identity",
    "an extra tab in the sheet; ignored": "why_extra_tab",
    "a copy of the rating tab; ignored (the original is read)": "why_copy_tab",
    "column-header row not found; no score is counted": "why_no_header",
    "columns were inserted or deleted: the score columns moved by 1; read where their headers are": "why_columns_moved",
    "column header changed: expected «СББР ID»": "why_header_changed",
    "column header and position disagree: expected «Дизайн» here; «Дизайн» is now in column H; "
    "its scores are not counted": "why_header_moved_scores",
    "column header and position disagree: expected «Пікір» here; «Пікір» is now in column N; not read": "why_header_moved",
    "column header and position disagree: expected «Дизайн» here; its scores are not counted": "why_header_lost_scores",
    "column header and position disagree: expected «Пікір» here; not read": "why_header_lost",
    "row added: unexpected DER id 'DER-XXXXXX'; ignored": "why_row_unknown_id",
    "row added without a DER id; ignored": "why_row_no_id",
    "row deleted: DER DER-1 «Базы данных» is missing": "why_row_deleted",
    "row added: DER DER-1 appears again (first in row 9); this row is ignored": "why_row_again",
    "the hidden DER id DER-1 and the title disagree (expected «Базы данных»); the scores of this row are "
    "not counted": "why_id_title",
    "СББР сілтемесі changed: expected «https://skills.atu.kz/course/view.php?id=5»": "why_label_changed",
    "text, not a number: '8 баллов'": "why_not_number",
    "not a whole number: 7.5": "why_not_whole",
    "out of range: 11 (allowed 1-10)": "why_out_of_range",
    "blank": "why_blank",
    "sum formula removed": "why_sum",
    "sum formula changed: expected =SUM(F9:L9)": "why_sum",
    "edited after the freeze; the frozen scores are used": "why_edited_after_freeze",
    "edited after the freeze; not used": "why_edited_after_freeze",
    "the frozen copy changed; it is not used": "why_frozen_copy_changed",
    "the rating sheet of a@atu.edu.kz is missing: sheets/a.xlsx: gone. To go on, restore it (on Google, "
    "Drive's trash keeps it 30 days), or re-create it from its last frozen copy with `contest recreate-sheet 2 "
    "a@atu.edu.kz --group FIT`, or record a close_incomplete decision": "why_sheet_missing",
    "the rating sheet of a@atu.edu.kz could not be read: empty file. To go on, restore it (on Google, "
    "Drive's trash keeps it 30 days), or re-create it from its last frozen copy with `contest recreate-sheet 1 "
    "a@atu.edu.kz --group FIT-IS`, or record a close_incomplete decision": "why_sheet_unreadable",
}


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("detail", sorted(DETAILS))
def test_each_sheet_problem_has_its_words(detail, lang):
    said = i18n.sheet_problem(detail, lang)
    key = DETAILS[detail]
    assert said == i18n.text(key, lang, **_values(detail, key)), said
    assert said != detail


def _values(detail: str, key: str) -> dict[str, str]:
    for pattern, k in i18n._WHY:
        if k == key and (m := pattern.search(detail)):
            return {n: v for n, v in m.groupdict().items() if v is not None}
    raise AssertionError(f"no pattern of {key} matches {detail!r}")


def test_the_values_a_problem_names_are_kept():
    said = i18n.sheet_problem(
        "the rating sheet of a@atu.edu.kz could not be read: empty file. To go on, restore it, or re-create it "
        "with `contest recreate-sheet 1 a@atu.edu.kz --group FIT-IS`, or record a close_incomplete decision",
        "ru",
    )
    assert (
        "a@atu.edu.kz" in said
        and "empty file" in said
        and "contest recreate-sheet 1 a@atu.edu.kz --group FIT-IS" in said
    )
    assert i18n.sheet_problem("row deleted: DER DER-1 «Базы данных» is missing", "kk") == (
        "жол өшірілген: DER-1 «Базы данных» СББР-ы жоқ"
    )
