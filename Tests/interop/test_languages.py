"""Languages are data, with the real binary: French notices reach a real SMTP server (aiosmtpd) in
French, and a fourth language dropped into a folder named by --locales appears in the pages and in the
notices without rebuilding anything. A broken locale file stops the server with one clear line."""
import email
import json

import requests

from conftest import Server, csrf_token, free_port, login, run_cli, seed_reports


REPORT = ('"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city"\r\n'
          '"2024-05-01 00:14:01","medium","198.51.100.7","udp",53,,"openresolver",64500,"SN",,\r\n')


def german_folder(root):
    (root / "de" / "mail").mkdir(parents=True)
    (root / "de" / "texts.json").write_text(json.dumps({
        "language.name": "Deutsch", "login.title": "Anmelden", "login.submit": "Anmelden", "incidents.title": "Vorfälle",
        "incident.status.new": "neu", "mail.tlp.TLP:AMBER": "TLP:AMBER: nur innerhalb Ihrer Organisation und ihrer Kunden weitergeben."},
        ensure_ascii=False), encoding="utf-8")
    (root / "de" / "mail" / "notice.txt").write_text(
        "Subject: {reference} {title} ({tlp})\n\nLiebes Team von {organisation},\n\nwir haben einen Vorfall erfasst (#{number}).\n\n{tlp_note}\n",
        encoding="utf-8")
    return root


def test_french_and_a_fourth_language_reach_the_pages_and_the_mail(tmp_path, admin_db, smtp):
    seed_reports(tmp_path, admin_db, {
        "name": "ADIE", "sector": "government", "country": "SN", "kind": "public",
        "assets": [{"kind": "prefix", "value": "198.51.100.0/24"}],
        "contacts": [{"name": "Sécurité", "email": "securite@adie.example", "language": "fr", "role": "security"},
                     {"name": "Partner", "email": "partner@adie.example", "language": "de", "role": "abuse"}]},
        analyst="ana", reports={"2024-05-01-scan_dns-sn.csv": REPORT})
    locales = german_folder(tmp_path / "locales")

    server = Server(admin_db, free_port(), extra=("--smtp-url", smtp.url, "--mail-from", "cert@cert.example",
                                                  "--incident-tag", "CERTsn", "--locales", str(locales)))
    try:
        page = requests.get(server.url + "/login", headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert '<html lang="de" dir="ltr">' in page.text and "Anmelden" in page.text
        assert "Password" in page.text, "what the folder does not translate shows in English"
        assert '<option value="de" selected>Deutsch</option>' in page.text
        assert '<option value="fr">Français</option>' in page.text
        french = requests.get(server.url + "/login", headers={"Accept-Language": "fr"})
        assert '<html lang="fr" dir="ltr">' in french.text and "Nom d&#39;utilisateur" in french.text

        session = requests.Session()
        assert login(session, server.url, "ana").status_code == 200
        page = session.get(server.url + "/incidents/1")
        done = session.post(server.url + "/incidents/1/notify", data={"_csrf": csrf_token(page.text)}, allow_redirects=False)
        assert done.status_code == 303, done.text[:500]
        smtp.wait_for(2)
        assert sorted(m[1][0] for m in smtp.messages) == ["partner@adie.example", "securite@adie.example"]
        notices = {m[1][0]: email.message_from_bytes(m[2]) for m in smtp.messages}

        def text(message):
            return next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()

        assert notices["securite@adie.example"]["Content-Language"] == "fr"
        assert text(notices["securite@adie.example"]).startswith("Chère équipe de ADIE,\r\n\r\nNous avons enregistré un incident") or \
            text(notices["securite@adie.example"]).startswith("Chère équipe de ADIE,\n\nNous avons enregistré un incident")
        german = text(notices["partner@adie.example"])
        assert notices["partner@adie.example"]["Content-Language"] == "de"
        assert german.replace("\r\n", "\n").startswith("Liebes Team von ADIE,\n\nwir haben einen Vorfall erfasst (#1).")
        assert "TLP:AMBER: nur innerhalb Ihrer Organisation" in german
    finally:
        code, _, err = server.stop()
        assert code == 0, err


def test_a_broken_locale_folder_stops_the_server_naming_the_file(tmp_path, admin_db):
    locales = tmp_path / "locales"
    (locales / "de").mkdir(parents=True)
    (locales / "de" / "texts.json").write_text('{"login.title": "Anmelden",', encoding="utf-8")
    result = run_cli("serve", "--port", str(free_port()), "--database", admin_db, "--locales", str(locales))
    assert result.returncode != 0
    assert "texts.json" in result.stderr and "is not a JSON object" in result.stderr, result.stderr
    missing = run_cli("serve", "--port", str(free_port()), "--database", admin_db, "--locales", str(tmp_path / "nowhere"))
    assert missing.returncode != 0 and "locales" in missing.stderr and "must be a folder" in missing.stderr, missing.stderr
