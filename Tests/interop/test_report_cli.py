"""`confianza report` on a small constituency with incidents: the same --as-of gives the same bytes in
JSON, Markdown and HTML; the public edition names no organisation; a PDF comes out of headless Chromium;
`report diff` lists what changed between the public and internal editions."""
import json
import re
import time

from pypdf import PdfReader

from conftest import Server, constituent_secrets, free_port, run_cli


def test_the_annual_report_is_reproducible_and_names_nobody_in_public(tmp_path):
    database = str(tmp_path / "r.db")
    constituency = tmp_path / "constituency.json"
    constituency.write_text(json.dumps({"format": "confianza-constituency", "version": 1, "organisations": [
        {"name": "Banco Ejemplo Oriental", "sector": "finance", "country": "UY", "kind": "private",
         "assets": [{"kind": "prefix", "value": "198.51.100.0/24"}],
         "contacts": [{"name": "Seguridad", "email": "seguridad@banco.example", "language": "es", "role": "security"}]}]}))
    assert run_cli("constituency", "import", str(constituency), "--database", database).returncode == 0
    outputs = {}
    for fmt in ("json", "md", "html"):
        first = run_cli("report", "annual", "--year", "2026", "--format", fmt, "--as-of", "2026-12-31", "--database", database)
        second = run_cli("report", "annual", "--year", "2026", "--format", fmt, "--as-of", "2026-12-31", "--database", database)
        assert first.returncode == 0, first.stderr
        assert first.stdout == second.stdout, fmt
        for secret in ("Banco Ejemplo", "banco.example", "198.51.100"):
            assert secret not in first.stdout, (fmt, secret)
        outputs[fmt] = first.stdout
    assert outputs["md"].startswith("**TLP:CLEAR**") and "TLP:CLEAR" in outputs["html"]
    public = tmp_path / "clear.json"
    internal = tmp_path / "amber.json"
    public.write_text(outputs["json"])
    internal.write_text(run_cli("report", "annual", "--year", "2026", "--tlp", "AMBER", "--as-of", "2026-12-31", "--database", database).stdout)
    diff = run_cli("report", "diff", str(public), str(internal))
    assert diff.returncode == 0 and 'edition: "TLP:CLEAR" → "TLP:AMBER"' in diff.stdout
    pdf = tmp_path / "report.pdf"
    made = run_cli("report", "annual", "--year", "2026", "--format", "pdf", "--as-of", "2026-12-31", "-o", str(pdf), "--database", database, timeout=120)
    assert made.returncode == 0, made.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    bad = run_cli("report", "annual", "--year", "12", "--database", database)
    assert bad.returncode != 0 and "--year" in bad.stderr


def demo_database(tmp_path) -> str:
    """A database `confianza demo` made (started, then stopped once it answers)."""
    database = str(tmp_path / "demo.db")
    demo = Server(database, free_port(), command="demo")
    code, _, err = demo.stop()
    assert code == 0, err
    return database


def counts(value, threshold, path="$"):
    """Every count in a report's JSON that a reader sees, with its path (hidden ones are strings)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("year", "threshold", "cases"):
                continue
            yield from counts(item, threshold, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from counts(item, threshold, f"{path}[{index}]")
    elif isinstance(value, int) and not isinstance(value, bool):
        yield path, value


def test_the_public_edition_of_the_demo_names_nobody_and_shows_no_small_count(tmp_path):
    database = demo_database(tmp_path)
    secrets = constituent_secrets(database)
    assert len(secrets) > 500, "the demo's constituency and events are read"
    year = time.gmtime().tm_year
    outputs = {}
    for fmt in ("json", "md", "html"):
        for language in ("en", "es", "fr"):
            made = run_cli("report", "annual", "--year", str(year), "--format", fmt, "--language", language, "--as-of", f"{year}-12-31", "--database", database)
            assert made.returncode == 0, made.stderr
            again = run_cli("report", "annual", "--year", str(year), "--format", fmt, "--language", language, "--as-of", f"{year}-12-31", "--database", database)
            assert again.stdout == made.stdout, (fmt, language)
            found = [secret for secret in secrets if secret in made.stdout]
            assert not found, (fmt, language, found[:5])
            assert not re.search(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", made.stdout), (fmt, language)
            assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", made.stdout), (fmt, language)
            outputs[(fmt, language)] = made.stdout
    report = json.loads(outputs[("json", "en")])
    assert report["edition"] == "TLP:CLEAR" and report["threshold"] == 5
    shown = list(counts(report["sections"], 5))
    assert len(shown) > 40, "the demo fills every section"
    small = [(path, n) for path, n in shown if n < 5]
    assert not small, small[:5]
    assert set(report["sections"]) == {"incidents", "feeds", "sharing", "assessments", "risk", "knowledge"}
    # Every module's figures are there, in every language; the internal edition keeps the peers' table.
    assert "## Información compartida" in outputs[("md", "es")] and "## Informations partagées" in outputs[("md", "fr")]
    amber = run_cli("report", "annual", "--year", str(year), "--tlp", "AMBER", "--format", "json", "--as-of", f"{year}-12-31", "--database", database)
    assert "by_peer" in json.loads(amber.stdout)["sections"]["sharing"]["tables"] and "by_peer" not in report["sections"]["sharing"]["tables"]

    # The PDF: every page carries the marking at its top and bottom and its number "Page i of n".
    pdf = tmp_path / "report.pdf"
    made = run_cli("report", "annual", "--year", str(year), "--format", "pdf", "--as-of", f"{year}-12-31", "-o", str(pdf), "--database", database, timeout=120)
    assert made.returncode == 0, made.stderr
    pages = PdfReader(str(pdf)).pages
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert text.count("TLP:CLEAR") >= 2, (number, text[:200])
        assert f"Page {number} of {len(pages)}" in text, (number, text[-200:])
        assert not [secret for secret in secrets if secret in text]
