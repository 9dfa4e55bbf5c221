"""`confianza risk` as a CIRT would run it: the README's matrix validates and a damaged one is refused
with its place; a register file is imported, exported and imported again into another database with
the same content; a bad file is refused whole, naming the place, with a non-zero exit."""
import json
import re

from conftest import ROOT, run_cli


def readme_matrix():
    readme = (ROOT / "README.md").read_text()
    return json.loads(re.search(r"### Risk registers.*?```json\n(.*?)```", readme, re.S).group(1))


def register_file(matrix):
    return {"format": "confianza-risk", "version": 1, "registers": [{"organisation": "Ministerio de Salud", "cycles": [
        {"startedAt": "2026-03-01", "nextReview": "2026-09-01", "matrix": matrix, "scenarios": [
            {"title": "Ransomware on patient records", "asset": "Hospital system", "threat": "ransomware",
             "inherent": {"likelihood": "certain", "impact": "severe"}, "current": {"likelihood": "likely", "impact": "severe"},
             "residual": {"likelihood": "rare", "impact": "major"}, "treatment": "reduce", "controls": ["PR.DS-11", "RC.RP-01"],
             "owner": "CISO", "due": "2026-06-30"}]},
        {"startedAt": "2026-09-01", "matrix": matrix, "scenarios": [
            {"title": "Ransomware on patient records", "asset": "Hospital system", "threat": "ransomware",
             "inherent": {"likelihood": "certain", "impact": "severe"}, "current": {"likelihood": "possible", "impact": "severe"},
             "residual": {"likelihood": "rare", "impact": "major"}, "treatment": "reduce"}]}]}]}


def constituency(tmp_path, database):
    path = tmp_path / "constituency.json"
    path.write_text(json.dumps({"format": "confianza-constituency", "version": 1, "organisations": [
        {"name": "Ministerio de Salud", "sector": "health", "country": "UY", "kind": "public"}]}))
    assert run_cli("constituency", "import", str(path), "--database", database).returncode == 0


def test_the_readme_matrix_validates_and_damaged_ones_are_refused_with_their_place(tmp_path):
    matrix = readme_matrix()
    good = tmp_path / "matrix.json"
    good.write_text(json.dumps(matrix))
    result = run_cli("risk", "validate-matrix", str(good))
    assert result.returncode == 0 and "ministry-4x4, 4×4" in result.stdout, result.stderr
    cases = [
        (dict(matrix, impact=matrix["impact"][:3]), "$.impact", "not square"),
        (dict(matrix, levels=[matrix["levels"][0], dict(matrix["levels"][1], min=5), matrix["levels"][2]]), "$.levels[1].min", "no level"),
        (dict(matrix, levels=[matrix["levels"][0], dict(matrix["levels"][1], min=3), matrix["levels"][2]]), "$.levels[1].min", "two levels"),
        (dict(matrix, levels=[matrix["levels"][0], dict(matrix["levels"][1], colour="sunshine"), matrix["levels"][2]]), "$.levels[1].colour", "not a colour"),
    ]
    for damaged, place, reason in cases:
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(damaged))
        result = run_cli("risk", "validate-matrix", str(bad))
        assert result.returncode != 0 and place in result.stderr and reason in result.stderr, result.stderr
    for text in ("", "{", "\xff", json.dumps(matrix)[:200]):
        bad = tmp_path / "bad.json"
        bad.write_bytes(text.encode("latin-1", "replace") if text == "\xff" else text.encode())
        assert run_cli("risk", "validate-matrix", str(bad)).returncode != 0


def test_registers_travel_between_databases_and_bad_files_change_nothing(tmp_path):
    first, second = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    constituency(tmp_path, first)
    constituency(tmp_path, second)
    file = tmp_path / "register.json"
    content = register_file(readme_matrix())

    broken = json.loads(json.dumps(content))
    broken["registers"][0]["cycles"][1]["scenarios"][0]["current"]["likelihood"] = "often"
    file.write_text(json.dumps(broken))
    result = run_cli("risk", "import", str(file), "--database", first)
    assert result.returncode != 0 and "$.registers[0].cycles[1].scenarios[0].current.likelihood" in result.stderr, result.stderr
    unknown = json.loads(json.dumps(content))
    unknown["registers"][0]["organisation"] = "Nobody"
    file.write_text(json.dumps(unknown))
    result = run_cli("risk", "import", str(file), "--database", first)
    assert result.returncode != 0 and "$.registers[0].organisation" in result.stderr and "Nobody" in result.stderr
    assert json.loads(run_cli("risk", "export", "--database", first).stdout)["registers"] == [], "nothing was imported"

    file.write_text(json.dumps(content))
    result = run_cli("risk", "import", str(file), "--database", first)
    assert result.returncode == 0 and "imported 2 cycles" in result.stdout, result.stderr
    exported = tmp_path / "export.json"
    assert run_cli("risk", "export", "--organisation", "ministerio de salud", "-o", str(exported), "--database", first).returncode == 0
    data = json.loads(exported.read_text())
    cycles = data["registers"][0]["cycles"]
    assert [c["nextReview"] for c in cycles] == ["2026-09-01", None]
    assert cycles[0]["scenarios"][0]["key"] == cycles[1]["scenarios"][0]["key"], "one risk across cycles"
    assert cycles[0]["matrix"]["id"] == "ministry-4x4"
    again = run_cli("risk", "import", str(exported), "--database", first)
    assert again.returncode != 0 and "already" in again.stderr
    assert run_cli("risk", "import", str(exported), "--database", second).returncode == 0
    copy = json.loads(run_cli("risk", "export", "--database", second).stdout)
    for register in (data, copy):
        for cycle in register["registers"][0]["cycles"]:
            cycle.pop("createdBy")
        register["registers"][0].pop("organisationId")
    assert copy == data


def test_a_sites_threat_catalogue_is_laid_over_the_bundled_one(tmp_path):
    database = str(tmp_path / "a.db")
    constituency(tmp_path, database)
    content = register_file(readme_matrix())
    content["registers"][0]["cycles"] = content["registers"][0]["cycles"][:1]
    content["registers"][0]["cycles"][0]["scenarios"][0]["threat"] = "drone-intrusion"
    file = tmp_path / "register.json"
    file.write_text(json.dumps(content))
    refused = run_cli("risk", "import", str(file), "--database", database)
    assert refused.returncode != 0 and "drone-intrusion" in refused.stderr and ".threat" in refused.stderr
    threats = tmp_path / "threats.json"
    threats.write_text(json.dumps({"id": "site-threats", "version": "1", "threats": [
        {"id": "drone-intrusion", "title": {"en": "Drone over the data centre", "es": "Dron sobre el centro de datos"}, "csf": ["PR.IR"]}]}))
    assert run_cli("risk", "import", str(file), "--database", database, "--risk-threats", str(threats)).returncode == 0
    threats.write_text(json.dumps({"threats": [{"id": "x", "title": "X", "csf": ["ZZ.ZZ"]}]}))
    bad = run_cli("risk", "export", "--database", database, "--risk-threats", str(threats))
    assert bad.returncode != 0 and "ZZ.ZZ" in bad.stderr and "$.threats[0].csf[0]" in bad.stderr
