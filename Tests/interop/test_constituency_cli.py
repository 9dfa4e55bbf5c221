"""`confianza lookup` on the demo's constituency, and imports that refuse a bad file without changing
anything."""
import json
import re
import time

from conftest import Server, free_port, run_cli


def demo_database(tmp_path):
    """Starts the demo once to fill a database, then stops it, leaving the file."""
    path = str(tmp_path / "confianza-demo.db")
    demo = Server(path, free_port(), command="demo")
    deadline = time.time() + 30
    while "Sign in as" not in demo.output() and time.time() < deadline:
        time.sleep(0.1)
    assert demo.stop()[0] == 0
    return path


def lookup(database, query):
    result = run_cli("lookup", query, "--json", "--database", database)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_lookup_answers_for_addresses_asns_domains_and_urls(tmp_path):
    database = demo_database(tmp_path)
    code, answer = lookup(database, "198.51.100.7")
    assert code == 0 and answer["rule"] == "prefix 198.51.100.0/25"
    assert [o["name"] for o in answer["organisations"]] == ["Hospital San Martín"]

    _, answer = lookup(database, "AS64500")
    assert answer["rule"] == "asn AS64500" and answer["organisations"][0]["name"] == "Red Universitaria Demo"

    _, answer = lookup(database, "www.salud.gub.example")
    assert answer["rule"] == "domain salud.gub.example", "the exact domain beats its parent gub.example"
    _, answer = lookup(database, "tramites.gub.example")
    assert answer["rule"] == "domain gub.example"

    _, answer = lookup(database, "hxxps://banco-del-litoral[.]example/login")
    assert answer["organisations"][0]["name"] == "Banco del Litoral"

    _, answer = lookup(database, "http://[2001:db8:f000::1]:8080/")
    assert answer["rule"] == "prefix 2001:db8:f000::/40"

    code, answer = lookup(database, "8.8.8.8")
    assert code == 1 and answer["organisations"] == [] and "rule" not in answer

    bad = run_cli("lookup", "10.0.0.0/33x", "--database", database)
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1

    text = run_cli("lookup", "198.51.100.7", "--database", database).stdout
    assert "198.51.100.7 → Hospital San Martín" in text and "rule: prefix 198.51.100.0/25" in text


def test_an_import_with_one_bad_row_changes_nothing(tmp_path, sqlite_db):
    organisations = tmp_path / "organisations.csv"
    organisations.write_text("name,sector,country,kind\nAntel,telecom,UY,public\n")
    assert run_cli("constituency", "import", str(organisations), "--database", sqlite_db).returncode == 0

    assets = tmp_path / "assets.csv"
    assets.write_text("organisation,kind,value\nAntel,prefix,203.0.113.0/24\nAntel,prefix,10.0.0.1/8\nAntel,asn,AS64500\n")
    before = run_cli("constituency", "export", "--database", sqlite_db).stdout
    result = run_cli("constituency", "import", str(assets), "--database", sqlite_db)
    assert result.returncode != 0
    assert result.stderr.strip().endswith(
        "assets.csv: line 3, column value: '10.0.0.1/8': '10.0.0.1/8' has host bits set: did you mean 10.0.0.0/8?")
    assert run_cli("constituency", "export", "--database", sqlite_db).stdout == before
    assert run_cli("lookup", "203.0.113.9", "--database", sqlite_db).returncode == 1

    exported = tmp_path / "constituency.json"
    assert run_cli("constituency", "export", "--output", str(exported), "--database", sqlite_db).returncode == 0
    document = json.loads(exported.read_text())
    document["organisations"][0]["assets"] = [{"kind": "prefix", "value": "203.0.113.0/24"}]
    exported.write_text(json.dumps(document))
    replaced = run_cli("constituency", "import", str(exported), "--replace", "--database", sqlite_db)
    assert replaced.returncode == 0, replaced.stderr
    assert re.search(r"Replaced the constituency with 1 organisations, 0 contacts and 1 assets", replaced.stdout)
    assert run_cli("lookup", "203.0.113.9", "--database", sqlite_db).returncode == 0
