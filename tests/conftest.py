"""Shared by every test: what the host machine may lack.

Local PDF conversion runs LibreOffice (`soffice`); a fresh machine may not have it. Tests that need it
carry `@pytest.mark.needs_libreoffice` and are skipped there with the reason below, so that `make test`
passes with or without LibreOffice (`.ci/run` installs it where it can)."""

from __future__ import annotations

import shutil

import pytest

LIBREOFFICE_INSTALLED = bool(shutil.which("soffice") or shutil.which("libreoffice"))
NO_LIBREOFFICE = "LibreOffice is not installed (apt-get install libreoffice-writer-nogui); the PDF path is not tested"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "needs_libreoffice: converts a document to PDF on the local workspace "
        "(skipped when soffice/libreoffice is not on PATH)",
    )


def pytest_collection_modifyitems(config, items):
    if LIBREOFFICE_INSTALLED:
        return
    skip = pytest.mark.skip(reason=NO_LIBREOFFICE)
    for item in items:
        if item.get_closest_marker("needs_libreoffice"):
            item.add_marker(skip)
