"""Sheets batchUpdate: conditional formats, merges, filters, named ranges."""

from __future__ import annotations

import copy

from .sheets import new_id
from .sheets_batch import grid_range, op
from .util import ApiError


@op("addConditionalFormatRule")
def add_conditional(fake, ss, p):
    rule = copy.deepcopy(p.get("rule") or {})
    if not rule.get("ranges"):
        raise ApiError(400, "ConditionalFormatRule must have at least one range")
    sheet = ss.sheet_by_id(rule["ranges"][0].get("sheetId", 0))
    sheet.conditional_formats.insert(int(p.get("index", len(sheet.conditional_formats))), rule)


def _rule_at(ss, p):
    sheet = ss.sheet_by_id(p.get("sheetId", 0))
    idx = int(p.get("index", 0))
    if not 0 <= idx < len(sheet.conditional_formats):
        raise ApiError(400, f"No conditional format on sheet {sheet.id} at index {idx}")
    return sheet, idx


@op("updateConditionalFormatRule")
def update_conditional(fake, ss, p):
    sheet, idx = _rule_at(ss, p)
    if p.get("rule") is not None:
        sheet.conditional_formats[idx] = copy.deepcopy(p["rule"])
    elif p.get("newIndex") is not None:
        sheet.conditional_formats.insert(int(p["newIndex"]), sheet.conditional_formats.pop(idx))
    return {
        "updateConditionalFormatRule": {
            "newRule": copy.deepcopy(
                sheet.conditional_formats[idx if p.get("rule") is not None else int(p["newIndex"])]
            )
        }
    }


@op("deleteConditionalFormatRule")
def delete_conditional(fake, ss, p):
    sheet, idx = _rule_at(ss, p)
    return {"deleteConditionalFormatRule": {"rule": sheet.conditional_formats.pop(idx)}}


@op("mergeCells")
def merge_cells(fake, ss, p):
    sheet, r0, c0, r1, c1 = grid_range(ss, p.get("range") or {})
    sheet.merges.append(
        {"sheetId": sheet.id, "startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": c0, "endColumnIndex": c1}
    )


@op("unmergeCells")
def unmerge_cells(fake, ss, p):
    sheet, r0, c0, r1, c1 = grid_range(ss, p.get("range") or {})
    sheet.merges = [
        m
        for m in sheet.merges
        if not (
            m["startRowIndex"] < r1
            and r0 < m["endRowIndex"]
            and m["startColumnIndex"] < c1
            and c0 < m["endColumnIndex"]
        )
    ]


@op("setBasicFilter")
def set_basic_filter(fake, ss, p):
    flt = copy.deepcopy(p.get("filter") or {})
    sheet = ss.sheet_by_id((flt.get("range") or {}).get("sheetId", 0))
    sheet.extra["basicFilter"] = flt


@op("clearBasicFilter")
def clear_basic_filter(fake, ss, p):
    ss.sheet_by_id(p.get("sheetId", 0)).extra.pop("basicFilter", None)


@op("addNamedRange")
def add_named_range(fake, ss, p):
    nr = copy.deepcopy(p.get("namedRange") or {})
    if any(n.get("name") == nr.get("name") for n in ss.named_ranges):
        raise ApiError(400, f"Named range with name {nr.get('name')} already exists.")
    nr.setdefault("namedRangeId", new_id(fake, 12, "n"))
    ss.named_ranges.append(nr)
    return {"addNamedRange": {"namedRange": copy.deepcopy(nr)}}


@op("deleteNamedRange")
def delete_named_range(fake, ss, p):
    before = len(ss.named_ranges)
    ss.named_ranges = [n for n in ss.named_ranges if n.get("namedRangeId") != p.get("namedRangeId")]
    if len(ss.named_ranges) == before:
        raise ApiError(400, f"No named range with id: {p.get('namedRangeId')}")
