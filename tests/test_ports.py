"""The backend errors of pipelines/ports.py: typed, each still a BackendError, carrying status and reason."""

from __future__ import annotations

import pytest

from pipelines import ports

KINDS = [
    ports.NotFound,
    ports.PermissionDenied,
    ports.QuotaExceeded,
    ports.Conflict,
    ports.Unavailable,
    ports.InvalidRequest,
]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_kind_is_caught_by_except_backend_error(kind):
    with pytest.raises(ports.BackendError) as error:
        raise kind("Google drive files.get: 404 File not found", status=404, reason="notFound")
    assert str(error.value) == error.value.message == "Google drive files.get: 404 File not found"
    assert (error.value.status, error.value.reason) == (404, "notFound")


def test_the_kinds_are_distinct():
    for kind in KINDS:
        assert [k for k in KINDS if issubclass(kind, k)] == [kind]


def test_a_plain_backend_error_needs_only_its_message():
    error = ports.BackendError("the manifest is damaged")
    assert str(error) == "the manifest is damaged" and error.status is None and error.reason is None
