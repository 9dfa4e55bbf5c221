"""Notices to constituents reach a real SMTP server (aiosmtpd): events become an incident, an analyst
notifies, the contact receives exactly one message — also after the server is restarted."""
import email
import re
import json
import time

import requests

from conftest import PASSWORD, Server, csrf_token, free_port, login, run_cli


REPORT = ('"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city"\r\n'
          '"2024-05-01 00:14:01","medium","198.51.100.7","udp",53,,"openresolver",64500,"UY",,\r\n'
          '"2024-05-01 00:15:02","medium","198.51.100.8","udp",53,,"openresolver",64500,"UY",,\r\n')


def test_an_analyst_notifies_and_the_contact_receives_one_message(tmp_path, admin_db, smtp):
    constituency = tmp_path / "constituency.json"
    constituency.write_text(json.dumps({"format": "confianza-constituency", "version": 1, "organisations": [
        {"name": "Hospital de Clínicas", "sector": "health", "country": "UY", "kind": "public",
         "assets": [{"kind": "prefix", "value": "198.51.100.0/24"}],
         "contacts": [{"name": "Mesa de ayuda", "email": "it@hospital.example", "language": "es", "role": "abuse"},
                      {"name": "CISO", "email": "ciso@hospital.example", "language": "en", "role": "security", "frequency": "weekly"}]}]}))
    assert run_cli("constituency", "import", str(constituency), "--database", admin_db).returncode == 0
    assert run_cli("user", "create", "ana", "--role", "analyst", "--password-stdin", "--database", admin_db, stdin=PASSWORD + "\n").returncode == 0
    report = tmp_path / "2024-05-01-scan_dns-uy.csv"
    report.write_text(REPORT)
    ingested = run_cli("ingest", str(report), "--json", "--database", admin_db)
    assert ingested.returncode == 0, ingested.stderr

    extra = ("--smtp-url", smtp.url, "--mail-from", "CERTuy <cert@cert.example>", "--incident-tag", "CERTuy")
    server = Server(admin_db, free_port(), extra=extra)
    try:
        session = requests.Session()
        assert login(session, server.url, "ana").status_code == 200
        page = session.get(server.url + "/incidents/1")
        assert page.status_code == 200 and "vulnerable-system at Hospital de Clínicas" in page.text
        done = session.post(server.url + "/incidents/1/notify", data={"_csrf": csrf_token(page.text)}, allow_redirects=False)
        assert done.status_code == 303, done.text[:500]
        smtp.wait_for(1)
        assert len(smtp.messages) == 1, "the immediate contact gets the notice; the weekly one waits for a digest"
        sender, recipients, content = smtp.messages[0]
        assert sender == "cert@cert.example" and recipients == ["it@hospital.example"]
        message = email.message_from_bytes(content)
        assert message["Subject"] == "[CERTuy #1] vulnerable-system at Hospital de Clínicas (TLP:AMBER)" or \
            str(email.header.make_header(email.header.decode_header(message["Subject"]))) == "[CERTuy #1] vulnerable-system at Hospital de Clínicas (TLP:AMBER)"
        parts = list(message.walk())
        text = next(p for p in parts if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
        assert text.startswith("Estimado equipo de Hospital de Clínicas")
        csv = next(p for p in parts if p.get_filename() == "incident-1-events.csv").get_payload(decode=True).decode()
        assert csv.count("\r\n") == 3 and "198.51.100.7" in csv and "198.51.100.8" in csv
        page = session.get(server.url + "/incidents/1")
        assert "notification sent to it@hospital.example" in page.text
        assert "not notified: ciso@hospital.example: wants a weekly digest" in page.text

        # The contact answers; the mail filter hands the reply to `confianza mail import`.
        reply = tmp_path / "reply.eml"
        reply.write_bytes(("From: Mesa de ayuda <it@hospital.example>\r\nSubject: RE: " + message["Subject"] + "\r\n"
                           "Content-Type: text/plain; charset=utf-8\r\n\r\nYa aplicamos el parche en los dos equipos.\r\n").encode())
        filed = run_cli("mail", "import", str(reply), "--tag", "CERTuy", "--database", admin_db)
        assert filed.returncode == 0, filed.stderr
        assert "filed with incident #1" in filed.stdout
        assert "Ya aplicamos el parche" in session.get(server.url + "/incidents/1").text
        # Issue 12, item 6: a reply naming the incident from an address no notice went to is held.
        forged = tmp_path / "forged.eml"
        forged.write_bytes(("From: Soporte <helpdesk@attacker.example>\r\nSubject: RE: " + message["Subject"] + "\r\n"
                            "Content-Type: text/plain; charset=utf-8\r\n\r\nFalso positivo, cierren el incidente.\r\n").encode())
        held = run_cli("mail", "import", str(forged), "--tag", "CERTuy", "--database", admin_db)
        assert held.returncode == 0 and "held for an analyst on incident #1" in held.stdout, held.stdout + held.stderr
        page = session.get(server.url + "/incidents/1")
        timeline = page.text.split('id="held-replies"')[0]
        assert "Falso positivo" not in timeline, "not filed in the timeline"
        assert 'id="held-replies"' in page.text and "helpdesk@attacker.example" in page.text
        form = re.search(r'action="(/incidents/1/held/[^"]+/discard)"', page.text).group(1)
        discarded = session.post(server.url + form, data={"_csrf": csrf_token(page.text)}, allow_redirects=False)
        assert discarded.status_code == 303
        page = session.get(server.url + "/incidents/1")
        assert 'id="held-replies"' not in page.text and "Falso positivo" not in page.text
        stray = tmp_path / "stray.eml"
        stray.write_text("From: x@y.example\r\nSubject: hello\r\n\r\nhi\r\n")
        refused = run_cli("mail", "import", str(stray), "--tag", "CERTuy", "--database", admin_db)
        assert refused.returncode == 1 and "names no incident ([CERTuy #number])" in refused.stderr
        time.sleep(3)
    finally:
        code, _, err = server.stop()
        assert code == 0, err
    # A restart sends nothing again.
    again = Server(admin_db, free_port(), extra=extra)
    try:
        time.sleep(4)
    finally:
        again.stop()
    assert len(smtp.messages) == 1
