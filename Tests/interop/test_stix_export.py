"""Incidents exported as STIX 2.1 are read by the tools peers use: `stix2` parses every object and
`stix2-validator` 3.2.0 finds no error; a receiver's TLP ceiling keeps marked objects out."""
import json
import sqlite3

import stix2
from stix2validator import ValidationOptions, validate_file

from conftest import run_cli

REPORT = ('"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname","src_naics","src_sector",'
          '"device_vendor","device_type","device_model","severity","dst_ip","dst_port","dst_asn","dst_geo","dst_region","dst_city","dst_hostname",'
          '"dst_naics","dst_sector","public_source","infection","family","tag","application","version","event_id"\r\n'
          + "".join(f'"2024-05-01 03:00:0{n}","tcp","198.51.100.{n}",49152,64501,"UY",,,,,,,,,"critical","203.0.113.10",80,64510,"US",,,,,,,"andromeda","andromeda",,,,\r\n'
                    for n in range(1, 4)))


def ingest_sinkhole_report(tmp_path, db):
    """One constituent (198.51.100.0/24) and a Shadowserver sinkhole report of three of its hosts:
    one TLP:AMBER incident, #1."""
    constituency = tmp_path / "constituency.json"
    constituency.write_text(json.dumps({"format": "confianza-constituency", "version": 1, "organisations": [
        {"name": "Intendencia", "sector": "government", "country": "UY", "kind": "public", "assets": [{"kind": "prefix", "value": "198.51.100.0/24"}]}]}))
    assert run_cli("constituency", "import", str(constituency), "--database", db).returncode == 0
    report = tmp_path / "2024-05-01-event4_sinkhole-uy.csv"
    report.write_text(REPORT)
    assert run_cli("ingest", str(report), "--database", db).returncode == 0


def test_an_exported_incident_is_valid_stix_for_stix2_and_the_validator(tmp_path, sqlite_db):
    ingest_sinkhole_report(tmp_path, sqlite_db)

    bundle_path = tmp_path / "incident-1.json"
    exported = run_cli("stix", "export", "--incident", "1", "--producer", "CERTuy", "--out", str(bundle_path), "--database", sqlite_db)
    assert exported.returncode == 0, exported.stderr
    results = validate_file(str(bundle_path), ValidationOptions(version="2.1", enforce_refs=True))
    errors = [error.message for obj in results.object_results for error in obj.errors]
    assert results.is_valid and not errors, errors

    bundle = stix2.parse(bundle_path.read_text(), allow_custom=True)
    types = sorted({obj["type"] for obj in bundle.objects})
    assert types == ["identity", "incident", "indicator", "ipv4-addr", "marking-definition", "observed-data", "relationship", "report", "sighting"]
    indicators = [obj for obj in bundle.objects if obj["type"] == "indicator"]
    assert sorted(i["pattern"] for i in indicators) == [f"[ipv4-addr:value = '198.51.100.{n}']" for n in range(1, 4)]
    address = next(obj for obj in bundle.objects if obj["type"] == "ipv4-addr" and obj["value"] == "198.51.100.1")
    assert address["id"] == stix2.IPv4Address(value="198.51.100.1").id, "the same deterministic id as stix2 gives"
    markings = [obj for obj in bundle.objects if obj["type"] == "marking-definition"]
    assert [m["id"] for m in markings] == ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"], "TLP:AMBER as TLP 2.0"

    # A receiver that may see TLP:GREEN at most gets none of this TLP:AMBER incident.
    narrow = run_cli("stix", "export", "--incident", "1", "--ceiling", "TLP:GREEN", "--database", sqlite_db)
    assert narrow.returncode == 0
    assert "198.51.100" not in narrow.stdout and '"incident"' not in narrow.stdout
    assert run_cli("stix", "export", "--incident", "9", "--database", sqlite_db).returncode != 0


def test_indicators_made_with_stix2_are_imported_and_raise_an_incident_when_seen(tmp_path, sqlite_db):
    """A peer's indicators, written by python-stix2 with TLP 1.0 markings as many tools still send them."""
    constituency = tmp_path / "constituency.json"
    constituency.write_text(json.dumps({"format": "confianza-constituency", "version": 1, "organisations": [
        {"name": "Intendencia", "sector": "government", "country": "UY", "kind": "public", "assets": [{"kind": "prefix", "value": "198.51.100.0/24"}]}]}))
    assert run_cli("constituency", "import", str(constituency), "--database", sqlite_db).returncode == 0
    seen = stix2.Indicator(name="Andromeda C2", pattern="[ipv4-addr:value = '198.51.100.2']", pattern_type="stix",
                           valid_from="2024-01-01T00:00:00Z", object_marking_refs=[stix2.TLP_GREEN])
    unseen = stix2.Indicator(name="Other", pattern="[domain-name:value = 'bad.example']", pattern_type="stix", valid_from="2024-01-01T00:00:00Z")
    bundle = tmp_path / "peer.json"
    bundle.write_text(stix2.Bundle(seen, unseen, stix2.TLP_GREEN).serialize())
    imported = run_cli("stix", "import", str(bundle), "--source", "CERT.br", "--database", sqlite_db)
    assert imported.returncode == 0, imported.stderr
    assert "2 indicators added, 0 updated, 0 unchanged; 1 other objects skipped" in imported.stdout

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"type": "bundle", "id": "bundle--" + "0" * 8 + "-0000-4000-8000-" + "0" * 12,
                                  "objects": [{"type": "indicator", "id": "indicator--x"}]}))
    refused = run_cli("stix", "import", str(broken), "--database", sqlite_db)
    assert refused.returncode == 1 and "objects[0].id: is not an indicator id" in refused.stderr

    report = tmp_path / "2024-05-01-event4_sinkhole-uy.csv"
    report.write_text(REPORT)
    assert run_cli("ingest", str(report), "--database", sqlite_db).returncode == 0
    with sqlite3.connect(sqlite_db) as db:
        incidents = dict(db.execute("SELECT title, event_count FROM incidents"))
        sightings = db.execute("SELECT COUNT(*) FROM indicator_sightings").fetchone()[0]
    assert incidents == {"Indicator seen: Andromeda C2": 1, "infected-system at Intendencia": 2}
    assert sightings == 1


def test_a_search_of_events_exports_as_valid_stix(tmp_path, admin_db):
    """The events page's "STIX 2.1" link: the events of a search, valid for stix2 and the validator."""
    import requests

    from conftest import Server, free_port, login

    ingest_sinkhole_report(tmp_path, admin_db)
    server = Server(admin_db, free_port())
    try:
        session = requests.Session()
        login(session, server.url, "root")
        page = session.get(server.url + "/events?ip=198.51.100.0%2F30")
        assert 'href="/events/stix?ip=198%2E51%2E100%2E0%2F30"' in page.text or "/events/stix?ip=" in page.text
        response = session.get(server.url + "/events/stix?ip=198.51.100.0%2F30")
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/stix+json")
        path = tmp_path / "events.json"
        path.write_bytes(response.content)
        results = validate_file(str(path), ValidationOptions(version="2.1", enforce_refs=True))
        errors = [error.message for obj in results.object_results for error in obj.errors]
        assert results.is_valid and not errors, errors
        bundle = stix2.parse(response.text, allow_custom=True)
        addresses = sorted(o["value"] for o in bundle.objects if o["type"] == "ipv4-addr")
        assert addresses == ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        assert len([o for o in bundle.objects if o["type"] == "sighting"]) == 3
        narrow = session.get(server.url + "/events/stix?ceiling=TLP:GREEN")
        assert narrow.status_code == 200 and "198.51.100" not in narrow.text
        assert session.get(server.url + "/events/stix?ceiling=PURPLE").status_code == 400
    finally:
        server.stop()
