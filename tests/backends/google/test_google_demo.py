"""The whole demo edition on fake Google: every request valid, never over quota, budgets kept."""
from __future__ import annotations

from pipelines.backends.google.offline import demo_workspace_factory
from pipelines.demo import run_demo, write_edition


def test_demo_edition_on_fake_google(tmp_path):
    made = {}

    def factory(config):
        ws = inner(config)
        made["ws"] = ws
        return ws

    inner = demo_workspace_factory(write_edition(tmp_path / "demo", seed=2027))
    lines = list(run_demo(tmp_path / "demo", backend="google-fake", workspace_factory=factory))
    ws = made["ws"]
    fake = ws.stats["fake"]
    fake.assert_all_valid()
    assert not [r for r in fake.requests if r.status == 429]  # quotas enforced: the limiter kept under
    assert any(line.startswith("  place 1:") for line in lines)
    assert any(line.startswith("Google API requests:") for line in lines)
    ops = ws.stats["operations"]
    assert ops["write tables"]["max_per_call"]["sheets"] <= 3  # tab list (once) + values.batchGet + batchUpdate
    writes = {k: n for k, n in ops["write tables"]["requests"].items() if "batchUpdate" in k}
    assert sum(writes.values()) <= ops["write tables"]["calls"]  # one write per job at most
    assert ops["create sheet"]["max_per_call"]["sheets"] <= 2
    assert ops["read sheet at close"]["max_per_call"] == {"sheets": 1}
    sheets = [f for f in fake.files.values() if f.app_properties.get("kind") == "rating_sheet"]
    assert len(sheets) == ops["create sheet"]["calls"]  # nothing created twice
    assert all(p["role"] == "reader" for f in sheets for p in f.permissions)  # every stage closed
