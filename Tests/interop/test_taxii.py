"""TAXII 2.1 with the clients and servers peers run: taxii2-client (what MISP and many connectors use),
a MISP round trip through misp-stix, our `taxii pull` against medallion, and the TLP matrix through
every endpoint."""
import html
import json
import re
import uuid

import pytest
import requests
import stix2
from requests.auth import HTTPBasicAuth
from taxii2client.v21 import ApiRoot, Collection, Server as TAXIIServer, as_pages

from conftest import PASSWORD, Server, free_port, login, run_cli
from medallion_support import COLLECTION as MEDALLION_COLLECTION, Medallion, PASSWORD as MEDALLION_PASSWORD, USER as MEDALLION_USER

TAXII = "application/taxii+json;version=2.1"
LEVELS = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]
TLP2 = {
    "TLP:CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "TLP:GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "TLP:AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "TLP:AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "TLP:RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


def cli(db, *args):
    result = run_cli(*args, "--database", db)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def collection_id(db, alias):
    for line in cli(db, "taxii", "collections").splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1] == alias:
            return parts[0]
    raise AssertionError(f"no collection {alias}")


def indicator(i, tlp="TLP:GREEN", prefix="198.51.100"):
    return json.loads(stix2.Indicator(
        pattern=f"[ipv4-addr:value = '{prefix}.{i % 250}']", pattern_type="stix", valid_from="2024-01-01T00:00:00Z",
        name=f"scanner {i}", allow_custom=False, object_marking_refs=[TLP2[tlp]]).serialize())


@pytest.fixture
def taxii(tmp_path):
    """A server with one collection per TLP level, and a peer with read and write on the GREEN one."""
    db = str(tmp_path / "taxii.db")
    cli(db, "migrate")
    for level in LEVELS:
        alias = level[4:].lower().replace("+", "-")
        cli(db, "taxii", "add-collection", "--title", f"Indicators {level}", "--tlp", level, "--alias", alias)
    cli(db, "taxii", "add-peer", "--name", "CERT-Peer", "--country", "AR", "--contact", "soc@cert.example", "--ceiling", "TLP:AMBER")
    cli(db, "taxii", "grant", "--collection", "green", "--peer", "CERT-Peer", "--read", "--write")
    token = cli(db, "taxii", "token", "--peer", "CERT-Peer").strip()
    assert token.startswith("cfp_")
    server = Server(db, free_port())
    yield server, db, token
    server.stop()


def test_taxii2_client_discovery_paging_add_status_versions_delete(taxii):
    server, db, token = taxii
    discovery = TAXIIServer(server.url + "/taxii2/", user="CERT-Peer", password=token)
    assert discovery.title and [root.url for root in discovery.api_roots] == [server.url + "/taxii2/root/"]
    root = discovery.default
    assert root.max_content_length > 0 and "application/taxii+json;version=2.1" in root.versions
    collections = root.collections
    assert [c.title for c in collections] == ["Indicators TLP:GREEN"], "the peer sees only its collection"
    green = collections[0]
    assert green.can_read and green.can_write

    # 1,200 indicators in three envelopes; the client waits on each status.
    objects = [indicator(i) for i in range(1200)]
    for start in range(0, 1200, 400):
        status = green.add_objects({"objects": objects[start:start + 400]}, wait_for_completion=True, poll_interval=1, timeout=30)
        assert status.status == "complete" and status.success_count == 400 and status.failure_count == 0
        assert root.get_status(status.id).total_count == 400

    # as_pages over more than 1,000 objects: each exactly once, in order.
    seen = []
    for page in as_pages(green.get_objects, per_request=250):
        seen += [o["id"] for o in page.get("objects", [])]
    assert len(seen) == 1200 and set(seen) == {o["id"] for o in objects}
    assert [o["id"] for o in green.get_objects(limit=5)["objects"]] == [o["id"] for o in objects[:5]]

    manifest = green.get_manifest(limit=10)
    assert manifest["more"] is True and len(manifest["objects"]) == 10
    assert all(record["media_type"] == "application/stix+json;version=2.1" for record in manifest["objects"])
    only_type = green.get_objects(type="indicator", limit=3)
    assert len(only_type["objects"]) == 3

    # A newer version; versions lists both, the object endpoint gives the latest by default.
    first = objects[0]
    newer = dict(first, modified="2030-01-01T00:00:00.000Z", name="scanner 0, updated")
    assert green.add_objects({"objects": [newer]}, wait_for_completion=True, poll_interval=1, timeout=30).success_count == 1
    versions = green.object_versions(first["id"])["versions"]
    assert versions == [first["modified"], "2030-01-01T00:00:00.000Z"]
    assert green.get_object(first["id"])["objects"][0]["name"] == "scanner 0, updated"
    assert len(green.get_object(first["id"], version="all")["objects"]) == 2

    # A bad object beside good ones: the status names it and the reason.
    bad = {"type": "indicator", "spec_version": "2.1", "id": "indicator--not-a-uuid"}
    status = green.add_objects({"objects": [indicator(5000), bad]}, wait_for_completion=True, poll_interval=1, timeout=30)
    assert status.success_count == 1 and status.failure_count == 1
    assert status.failures[0]["id"] == "indicator--not-a-uuid" and "UUID" in status.failures[0]["message"]

    green.delete_object(first["id"])
    with pytest.raises(requests.HTTPError) as error:
        green.get_object(first["id"])
    assert error.value.response.status_code == 404
    assert error.value.response.headers["Content-Type"] == TAXII

    # The indicators sent are matched against our incoming events: they are in the indicator store.
    listed = run_cli("taxii", "collections", "--database", db).stdout
    assert "1200 STIX objects held" in listed or "1201 STIX objects held" in listed


def test_misp_round_trip_through_our_server(taxii):
    """What MISP does: an event converted by misp-stix, pushed with taxii2-client the way MISP's
    taxii_push.py does (URL without trailing slash, no waiting), pulled the way misp-modules' taxii21
    import does, and read back by misp-stix."""
    from misp_stix_converter import ExternalSTIX2toMISPParser, InternalSTIX2toMISPParser, MISPtoSTIX21Parser
    from pymisp import MISPEvent

    server, db, token = taxii
    event = MISPEvent()
    event.info = "Scanning from a botnet seen by CERT-Peer"
    event.add_tag("tlp:green")
    event.add_attribute("ip-dst", "198.51.100.77", comment="C2")
    event.add_attribute("domain", "c2.example.net")
    parser = MISPtoSTIX21Parser()
    parser.parse_misp_event(json.loads(event.to_json()))
    bundle = json.loads(parser.bundle.serialize())

    green = collection_id(db, "green")
    push_url = f"{server.url}/taxii2/root/collections/{green}"  # as taxii_push.py builds it
    auth = HTTPBasicAuth("CERT-Peer", token)
    ApiRoot(f"{server.url}/taxii2/root", auth=auth).refresh()
    status = Collection(push_url, auth=auth).add_objects({"objects": bundle["objects"]}, wait_for_completion=False)
    assert status.failure_count == 0, status.failures
    assert status.success_count == len(bundle["objects"])

    pulled = []
    for page in as_pages(Collection(push_url + "/", auth=auth).get_objects, per_request=100, spec_version="2.1"):
        pulled += page.get("objects", [])
    assert {o["id"] for o in pulled} >= {o["id"] for o in bundle["objects"] if o["type"] != "marking-definition"}
    back = stix2.parse({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": pulled}, allow_custom=True)
    importer = InternalSTIX2toMISPParser() if any(o.get("x_misp_category") or o.get("labels") for o in pulled) else ExternalSTIX2toMISPParser()
    importer.load_stix_bundle(back)
    importer.parse_stix_bundle(single_event=True)
    misp = importer.misp_event
    values = {a.value for a in misp.attributes} | {a.value for o in misp.objects for a in o.attributes}
    assert {"198.51.100.77", "c2.example.net"} <= values
    assert any(tag.name == "tlp:green" for tag in misp.tags)


def test_pull_from_medallion_pages_and_resumes(tmp_path):
    objects = [indicator(i, prefix="203.0.113") for i in range(7)]
    peer = Medallion(objects, page_size=3)
    db = str(tmp_path / "pull.db")
    try:
        cli(db, "migrate")
        args = ["taxii", "pull", peer.api_root, "--collection", MEDALLION_COLLECTION, "--user", MEDALLION_USER, "--password",
                MEDALLION_PASSWORD, "--limit", "3"]
        first = cli(db, *args)
        assert "7 objects: 7 indicators added" in first, first
        assert "3 pages" in first
        # Nothing new: nothing taken in, and the checkpoint holds.
        again = cli(db, *args)
        assert "0 indicators added" in again and "0 objects" in again, again
        # New objects on the peer's server: only they come.
        newer = [indicator(100 + i, prefix="203.0.113") for i in range(2)]
        response = requests.post(
            f"{peer.api_root}collections/{MEDALLION_COLLECTION}/objects/", auth=(MEDALLION_USER, MEDALLION_PASSWORD),
            headers={"Content-Type": TAXII, "Accept": TAXII}, data=json.dumps({"objects": newer}))
        assert response.status_code == 202
        third = cli(db, *args)
        assert "2 objects: 2 indicators added" in third, third
        # Wrong credentials: a clear error, no traceback, exit code 1.
        bad = run_cli("taxii", "pull", peer.api_root, "--collection", MEDALLION_COLLECTION, "--user", "admin", "--password", "wrong",
                      "--database", db)
        assert bad.returncode != 0 and "401" in bad.stderr + bad.stdout
        # A server that is not there.
        gone = run_cli("taxii", "pull", f"http://127.0.0.1:{free_port()}/taxii2/root/", "--collection", "x", "--database", db)
        assert gone.returncode != 0
    finally:
        peer.stop()


def test_tlp_matrix_through_every_endpoint(tmp_path):
    """For each TLP level of collection and each peer ceiling, which objects appear anywhere: the
    collections list, objects pages, manifest, each object, versions, match[id] filters. A TLP:RED
    object appears nowhere for any peer."""
    db = str(tmp_path / "matrix.db")
    cli(db, "migrate")
    ids = {}
    objects = []
    for n, level in enumerate(LEVELS):
        obj = indicator(n, tlp=level)
        objects.append(obj)
        ids[obj["id"]] = level
    bundle = tmp_path / "ours.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}))
    collections = {}
    for level in LEVELS:
        alias = level[4:].lower().replace("+", "-")
        cli(db, "taxii", "add-collection", "--title", level, "--tlp", level, "--alias", alias)
        collections[level] = collection_id(db, alias)
    cli(db, "taxii", "publish", str(bundle))
    tokens = {}
    for ceiling in LEVELS:
        name = f"peer-{ceiling[4:]}"
        cli(db, "taxii", "add-peer", "--name", name, "--country", "UY", "--contact", "x@peer.example", "--ceiling", ceiling)
        for level in LEVELS:
            cli(db, "taxii", "grant", "--collection", collections[level], "--peer", name, "--read")
        tokens[ceiling] = cli(db, "taxii", "token", "--peer", name).strip()
    server = Server(db, free_port())
    red_ids = [i for i, level in ids.items() if level == "TLP:RED"]
    try:
        for ceiling, token in tokens.items():
            session = requests.Session()
            session.auth = ("peer", token)
            session.headers["Accept"] = TAXII
            bodies = []

            def get(path):
                response = session.get(server.url + path)
                bodies.append(response.text)
                for name in ("X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"):
                    bodies.append(response.headers.get(name, ""))
                return response

            listing = get("/taxii2/root/collections/").json()
            assert len(listing["collections"]) == 5
            for level, cid in collections.items():
                allowed = LEVELS.index(min(ceiling, level, "TLP:AMBER+STRICT", key=LEVELS.index))
                expected = {i for i, lvl in ids.items() if LEVELS.index(lvl) <= allowed}
                base = f"/taxii2/root/collections/{cid}/"
                seen = set()
                page = get(base + "objects/?limit=1").json()
                seen |= {o["id"] for o in page.get("objects", [])}
                while page.get("more"):
                    page = get(base + f"objects/?limit=1&next={page['next']}").json()
                    seen |= {o["id"] for o in page.get("objects", [])}
                assert seen == expected, (ceiling, level)
                assert {r["id"] for r in get(base + "manifest/").json().get("objects", [])} == expected
                for object_id in ids:
                    visible = object_id in expected
                    assert get(base + f"objects/{object_id}/").status_code == (200 if visible else 404)
                    assert get(base + f"objects/{object_id}/versions/").status_code == (200 if visible else 404)
                    assert get(base + f"objects/{object_id}/?match[version]=all").status_code == (200 if visible else 404)
                    filtered = get(base + f"objects/?match[id]={object_id}").json().get("objects", [])
                    assert len(filtered) == (1 if visible else 0)
                    assert len(get(base + f"manifest/?match[id]={object_id}").json().get("objects", [])) == (1 if visible else 0)
                    assert get(base + f"objects/?match[type]=indicator&added_after=2000-01-01T00:00:00Z").status_code == 200
            everything = "\n".join(bodies)
            for red in red_ids:
                assert red not in everything, f"a TLP:RED id reached {ceiling}"
    finally:
        server.stop()
    # Our own staff do see it, through an API token.
    assert re.search(r"5 STIX objects held", cli(db, "taxii", "collections"))


def test_opencti_ingestion_pattern(taxii):
    """What OpenCTI's ingestion manager sends (opencti ingestionManager.ts): Bearer auth, no limit,
    `next` sent together with the original `added_after`, and `added_after` moved to
    X-TAXII-Date-Added-Last when `more` is false (to "now" when the header is missing)."""
    server, db, token = taxii
    green = collection_id(db, "green")
    url = f"{server.url}/taxii2/root/collections/{green}/objects/"
    headers = {"Accept": TAXII, "Authorization": f"Bearer {token}"}

    def post(objects):
        response = requests.post(url, headers=dict(headers, **{"Content-Type": TAXII}), data=json.dumps({"objects": objects}))
        assert response.status_code == 202 and response.json()["failure_count"] == 0

    def poll(added_after):
        """One ingestion: pages until `more` is false; returns the objects and the new added_after."""
        objects, token_next = [], None
        while True:
            params = {"added_after": added_after} if added_after else {}
            if token_next:
                params["next"] = token_next
            response = requests.get(url, headers=headers, params=params)
            assert response.status_code == 200 and response.headers["Content-Type"] == TAXII
            last = response.headers.get("X-TAXII-Date-Added-Last")
            assert last, "the header is on every page, empty ones too"
            body = response.json()
            objects += body.get("objects", [])
            if body.get("more") and body.get("next"):
                token_next = body["next"]
                continue
            return objects, last

    post([indicator(i) for i in range(250)])
    first, position = poll(None)
    assert len(first) == 250 and len({o["id"] for o in first}) == 250
    # Nothing new: an empty page that keeps the position.
    empty, same = poll(position)
    assert empty == [] and same == position
    post([indicator(1000 + i) for i in range(5)])
    newer, _ = poll(same)
    assert sorted(o["name"] for o in newer) == sorted(f"scanner {1000 + i}" for i in range(5))


def test_share_with_peer_sends_the_bundle_to_its_taxii_server(tmp_path, admin_db):
    """"Share with peer" on the incident page: the peer's TAXII server (medallion here) receives the
    bundle, within the peer's ceiling; with a wrong password nothing is recorded and the page says why."""
    from conftest import csrf_token, login
    from test_stix_export import ingest_sinkhole_report

    ingest_sinkhole_report(tmp_path, admin_db)
    peer_server = Medallion([], page_size=100)
    try:
        for name, secret in (("CERT-AR", MEDALLION_PASSWORD), ("CERT-XX", "wrong")):
            added = run_cli("taxii", "add-peer", "--name", name, "--country", "AR", "--contact", "soc@cert.example", "--ceiling", "TLP:AMBER",
                            "--taxii-url", peer_server.api_root, "--taxii-collection", MEDALLION_COLLECTION, "--taxii-user", MEDALLION_USER,
                            "--taxii-secret", secret, "--database", admin_db)
            assert added.returncode == 0, added.stderr
        server = Server(admin_db, free_port())
        try:
            session = requests.Session()
            login(session, server.url, "root")
            page = session.get(server.url + "/incidents/1")
            peers = {label.split(" (")[0]: value for value, label in re.findall(r'<option value="([0-9A-F-]{36})">([^<]+)</option>', page.text)}
            shared = session.post(server.url + "/incidents/1/share", data={"_csrf": csrf_token(page.text), "peer": peers["CERT-AR"], "tlp": "TLP:AMBER"})
            assert shared.status_code == 200
            assert "sent to CERT-AR's TAXII server" in html.unescape(shared.text)
            received = requests.get(f"{peer_server.api_root}collections/{MEDALLION_COLLECTION}/objects/?limit=100",
                                    auth=(MEDALLION_USER, MEDALLION_PASSWORD), headers={"Accept": TAXII}).json()
            types = {o["type"] for o in received.get("objects", [])}
            assert {"incident", "indicator", "sighting", "report"} <= types

            page = session.get(server.url + "/incidents/1")
            refused = session.post(server.url + "/incidents/1/share", data={"_csrf": csrf_token(page.text), "peer": peers["CERT-XX"], "tlp": "TLP:AMBER"})
            assert refused.status_code == 400 and "did not take the bundle" in html.unescape(refused.text) and "401" in refused.text
            assert "CERT-XX" not in re.sub(r"<select.*?</select>", "", session.get(server.url + "/incidents/1").text, flags=re.S)
        finally:
            server.stop()
    finally:
        peer_server.stop()


def test_pull_refuses_malformed_answers_and_keeps_its_place(tmp_path):
    """A peer's server that answers HTML, broken JSON, a non-envelope, or `more` with no way to page:
    `taxii pull` says what was wrong and exits non-zero, without a crash."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answers = [
        ("text/html", b"<html>maintenance</html>"),
        (TAXII, b'{"objects": [ {"type": "indic'),
        (TAXII, b'["not", "an", "envelope"]'),
        (TAXII, json.dumps({"more": True, "objects": [indicator(1)]}).encode()),
    ]
    state = {"answer": answers[0]}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            content_type, body = state["answer"]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    db = str(tmp_path / "pull.db")
    try:
        cli(db, "migrate")
        for answer, expected in zip(answers, ["not TAXII JSON", "not JSON", "not a TAXII envelope", "cannot page"]):
            state["answer"] = answer
            result = run_cli("taxii", "pull", f"http://127.0.0.1:{httpd.server_port}/taxii2/root/", "--collection", "c1", "--database", db)
            assert result.returncode != 0 and expected in result.stderr + result.stdout, (expected, result.stderr)
            assert "Traceback" not in result.stderr and "Fatal error" not in result.stderr
    finally:
        httpd.shutdown()


def test_credentials_changed_from_the_command_line_reach_the_servers_cache(taxii):
    """Issue 12, item 6: a right taken away or a user disabled with the command line (another
    process) ends TAXII access within about a second, although the server remembers credentials."""
    import time
    server, db, token = taxii
    objects = server.url + "/taxii2/root/collections/green/objects/"
    headers = {"Accept": TAXII}
    assert requests.get(objects, auth=HTTPBasicAuth("CERT-Peer", token), headers=headers).status_code == 200
    cli(db, "taxii", "grant", "--collection", "green", "--peer", "CERT-Peer")

    def status_within(seconds, **kwargs):
        """The first answer that is not 200, or the last one after `seconds`."""
        deadline = time.time() + seconds
        while True:
            code = requests.get(objects, **kwargs).status_code
            if code != 200 or time.time() > deadline:
                return code
            time.sleep(0.1)

    assert status_within(3, headers=headers, auth=HTTPBasicAuth("CERT-Peer", token)) in (403, 404)

    # A staff API token, then the user disabled from the command line.
    made = run_cli("user", "create", "ana", "--role", "analyst", "--password-stdin", "--database", db, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    session = requests.Session()
    login(session, server.url, "ana")
    page = session.get(server.url + "/account")
    form = re.search(r'action="/account/tokens".*?name="_csrf" value="([^"]+)"', page.text, re.S).group(1)
    secret = re.search(r'id="new-token-value">([^<]+)<', session.post(server.url + "/account/tokens", data={"_csrf": form, "name": "t"}).text).group(1)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert requests.get(objects, headers={**headers, **bearer}).status_code == 200
    cli(db, "user", "disable", "ana")
    assert status_within(3, headers={**headers, **bearer}) == 401, "a disabled user's token is refused within a second or so"
