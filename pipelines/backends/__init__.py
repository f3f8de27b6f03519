"""Builds the Workspace the config asks for. Adapters are built here, never at import time."""

from __future__ import annotations

from pipelines.config import Config
from pipelines.ports import Workspace


def open_workspace(config: Config, **google_options) -> Workspace:
    if config.backend.kind == "local":
        from pipelines.backends.local import open_local

        return open_local(config)
    from pipelines.backends.google import open_google

    return open_google(config, **google_options)
