"""`confianza knowledge` as a CIRT would run it: the README's example file imports; the export reads back
into another database the same, as JSON and as CSV tables; a bad file is refused whole, naming its place."""
import json
import re

from conftest import ROOT, run_cli


def readme_file():
    readme = (ROOT / "README.md").read_text()
    return json.loads(re.search(r"### Knowledge base.*?```json\n(.*?)```", readme, re.S).group(1))


def test_files_travel_between_databases_and_bad_ones_change_nothing(tmp_path):
    first, second = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    file = tmp_path / "k.json"
    content = readme_file()
    broken = json.loads(json.dumps(content))
    broken["agreements"][0]["parties"][1] = "Uruguay"
    file.write_text(json.dumps(broken))
    refused = run_cli("knowledge", "import", str(file), "--database", first)
    assert refused.returncode != 0 and "$.agreements[0].parties[1]" in refused.stderr, refused.stderr
    assert json.loads(run_cli("knowledge", "export", "--database", first).stdout) == {"initiatives": [], "caseStudies": [], "agreements": []}

    file.write_text(json.dumps(content))
    result = run_cli("knowledge", "import", str(file), "--database", first)
    assert result.returncode == 0 and "imported 1 initiatives, 1 case studies, 1 agreements" in result.stdout, result.stderr
    exported = json.loads(run_cli("knowledge", "export", "--database", first).stdout)
    public = json.loads(run_cli("knowledge", "export", "--clear-only", "--database", first).stdout)
    assert len(public["caseStudies"]) == 0 and len(public["initiatives"]) == 1, "the case study is GREEN by default"

    for table in ("initiatives", "case-studies", "agreements"):
        csv = tmp_path / f"{table}.csv"
        assert run_cli("knowledge", "export", "--format", "csv", "--table", table, "-o", str(csv), "--database", first).returncode == 0
        result = run_cli("knowledge", "import", str(csv), "--database", second)
        assert result.returncode == 0, result.stderr
    assert json.loads(run_cli("knowledge", "export", "--database", second).stdout) == exported

    bad = tmp_path / "bad.csv"
    bad.write_text("title,countries\nGood,UY\nBad,UY; XX\n")
    result = run_cli("knowledge", "import", str(bad), "--database", second)
    assert result.returncode != 0 and "line 3" in result.stderr and "column countries" in result.stderr
