"""In real Chromium, from reports to a closed incident: events ingested with the command line become an
incident; an analyst triages it, assigns it to herself, notifies the organisation (the contact gets the
message on a local SMTP server), resolves and closes it; the dashboard counts it."""
import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import PASSWORD, Server, free_port, run_cli


def test_an_analyst_takes_an_incident_from_new_to_closed(tmp_path, admin_db, smtp, browser):
    constituency = tmp_path / "constituency.json"
    constituency.write_text(json.dumps({"format": "confianza-constituency", "version": 1, "organisations": [
        {"name": "Ministerio de Salud", "sector": "health", "country": "UY", "kind": "public",
         "assets": [{"kind": "prefix", "value": "198.51.100.0/24"}],
         "contacts": [{"name": "Seguridad", "email": "seguridad@msp.example", "language": "es", "role": "security"}]}]}))
    assert run_cli("constituency", "import", str(constituency), "--database", admin_db).returncode == 0
    assert run_cli("user", "create", "ana", "--role", "analyst", "--password-stdin", "--database", admin_db, stdin=PASSWORD + "\n").returncode == 0
    report = tmp_path / "2024-05-01-event4_honeypot_brute_force-uy.csv"
    header = ('"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname","src_naics","src_sector",'
              '"device_vendor","device_type","device_model","severity","dst_ip","dst_port","dst_asn","dst_geo","dst_region","dst_city","dst_hostname",'
              '"dst_naics","dst_sector","public_source","infection","family","tag","application","version","event_id","service","start_time","end_time",'
              '"client_version","username","password"')
    row = ('"2024-05-01 05:00:0{n}","tcp","198.51.100.{n}",40000,64500,"UY",,,,,,,,,"high","203.0.113.30",22,64510,"US",,,,,,,,,,,,,"ssh",'
           '"2024-05-01 04:59:00","2024-05-01 05:00:00","SSH-2.0-libssh","root","123456"')
    report.write_text("\r\n".join([header] + [row.format(n=n) for n in range(1, 4)]) + "\r\n")
    assert run_cli("ingest", str(report), "--database", admin_db).returncode == 0

    server = Server(admin_db, free_port(), extra=("--smtp-url", smtp.url, "--mail-from", "cert@cert.example"))
    try:
        sign_in(browser, server.url, username="ana")
        assert browser.current_url.endswith("/incidents")
        rows = browser.find_elements(By.CSS_SELECTOR, "#incidents tbody tr")
        assert len(rows) == 1 and "brute-force at Ministerio de Salud" in rows[0].text
        rows[0].find_element(By.LINK_TEXT, "brute-force at Ministerio de Salud").click()
        assert browser.find_element(By.ID, "incident-status").text == "new"
        assert "3" in browser.find_element(By.CSS_SELECTOR, "#events h2").text

        submit_and_wait(browser, "move-triaged")
        assert browser.find_element(By.ID, "incident-status").text == "triaged"
        Select(browser.find_element(By.ID, "assignee")).select_by_value("ana")
        submit_and_wait(browser, "assign")
        assert browser.find_element(By.ID, "incident-assignee").text == "ana"
        browser.find_element(By.ID, "note").send_keys("Brute force from three hosts of the ministry; their SOC confirms.")
        submit_and_wait(browser, "add-note")

        submit_and_wait(browser, "notify")
        smtp.wait_for(1)
        assert [m[1] for m in smtp.messages] == [["seguridad@msp.example"]]
        browser.refresh()
        assert "notification sent to seguridad@msp.example" in browser.find_element(By.ID, "timeline").text

        submit_and_wait(browser, "move-in-progress")
        submit_and_wait(browser, "move-resolved")
        assert browser.find_element(By.ID, "incident-status").text == "resolved"
        submit_and_wait(browser, "move-closed")
        assert browser.find_element(By.ID, "incident-status").text == "closed"
        timeline = browser.find_element(By.ID, "timeline").text
        for step in ("new → triaged", "triaged → in progress", "in progress → resolved", "resolved → closed", "their SOC confirms"):
            assert step in timeline

        browser.get(server.url + "/incidents/dashboard")
        figures = browser.find_element(By.ID, "figures").text
        assert "Incidents\n1" in figures and "Open\n0" in figures
        assert browser.find_element(By.ID, "chart-type").is_displayed()
        assert len(smtp.messages) == 1
    finally:
        server.stop()
