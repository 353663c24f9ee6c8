"""The import benchmark's data: the realfeeds export scaled up with fresh ids."""

from __future__ import annotations

from bench.import_bench import scaled_export


def test_scaled_export_has_unique_services_beyond_the_fixture():
    services = scaled_export(800)
    assert len(services) == 800
    assert len({s["id"] for s in services}) == 800
    named = [s["name"] for s in services if s.get("name")]
    assert any(name.endswith("(1)") for name in named)
