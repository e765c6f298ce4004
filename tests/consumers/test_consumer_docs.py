"""docs/consumers.md is what the models say about the golden shapes."""

from __future__ import annotations

from consumers_testkit import ROOT, matrix_script


def test_consumer_matrix_page_matches_the_models():
    script = matrix_script()
    assert (ROOT / "docs" / "consumers.md").read_text() == script.render(script.load_shapes()), (
        "docs/consumers.md is stale: run .venv/bin/python scripts/consumer_matrix.py")


def test_the_page_shows_the_incident_and_its_fix():
    page = (ROOT / "docs" / "consumers.md").read_text()
    rows = {line.split(" | ")[1]: line for line in page.splitlines() if line.startswith("| Skipper |")}
    null_ports = 2   # the first shape column after consumer and versions
    assert rows["<= v0.21.149"].split(" | ")[null_ports] == "10.0.0.1:0, 10.0.0.2:0, 10.0.0.3:0"
    assert rows[">= v0.21.150"].split(" | ")[null_ports] == "same"
