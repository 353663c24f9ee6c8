"""The import benchmark's data: the realfeeds export scaled up with fresh ids."""

from __future__ import annotations

from bench.import_bench import scaled_export


def test_scaled_export_has_unique_services_beyond_the_fixture():
    services = scaled_export(800)
    assert len(services) == 800
    assert len({s["id"] for s in services}) == 800
    named = [s["name"] for s in services if s.get("name")]
    assert any(name.endswith("(1)") for name in named)


def test_figures_go_at_the_end_of_the_import_section(tmp_path):
    from bench.import_bench import insert_in_section

    docs = tmp_path / "benchmarks.md"
    docs.write_text("# B\n\n## Import benchmark (issue 18)\n\nText.\n\n## Page weight\n\nMore.\n")
    insert_in_section(docs, "## Import benchmark (issue 18)", "\n### Run\n\n| a |\n")
    assert docs.read_text() == (
        "# B\n\n## Import benchmark (issue 18)\n\nText.\n\n### Run\n\n| a |\n\n## Page weight"
        "\n\nMore.\n"
    )
    insert_in_section(docs, "## Nowhere", "\n### Last\n")
    assert docs.read_text().endswith("More.\n\n### Last\n")
