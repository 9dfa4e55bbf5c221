"""`confianza report` on a small constituency with incidents: the same --as-of gives the same bytes in
JSON, Markdown and HTML; the public edition names no organisation; a PDF comes out of headless Chromium;
`report diff` lists what changed between the public and internal editions."""
import json

from conftest import run_cli


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
