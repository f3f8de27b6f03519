"""How the product's Google backend is pointed at a FakeGoogle: the keyword arguments of
pipelines.backends.google.open_google that replace Google's transports with the fake's."""

from __future__ import annotations

from typing import Any


def connect(fake, scopes: list[str]) -> dict[str, Any]:
    """open_google(config, **connect(fake, scopes_for(config))) talks to `fake`: its http and requests
    transports, an OAuth token of the fake's identity granted `scopes` and nothing more (the fake
    refuses what they do not allow, as Google does), and its simulated sleep and clock, so that the
    limiter and the backoff wait without costing real time."""
    from google.oauth2.credentials import Credentials

    return {
        "credentials": Credentials(token=fake.token_for(fake.identity, scopes=scopes), scopes=scopes),
        "http_factory": fake.http,
        "requests_adapter": fake.requests_adapter(),
        "sleep": fake.sleep,
        "clock": fake.monotonic,
    }
