"""In real Chromium, in French: an analyst switches the pages to French and works an incident — the
queue, the incident page and a refusal read in French — and the organisation's French-speaking contact
receives the notice in French on a local SMTP server."""
import email

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import Server, free_port, seed_reports


REPORT = ('"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city"\r\n'
          '"2024-05-01 00:14:01","medium","198.51.100.7","udp",53,,"openresolver",64500,"SN",,\r\n'
          '"2024-05-01 00:15:02","medium","198.51.100.8","udp",53,,"openresolver",64500,"SN",,\r\n')


def test_an_analyst_works_an_incident_in_french(tmp_path, admin_db, smtp, browser):
    seed_reports(tmp_path, admin_db, {
        "name": "Agence de l'Informatique de l'État", "sector": "government", "country": "SN", "kind": "public",
        "assets": [{"kind": "prefix", "value": "198.51.100.0/24"}],
        "contacts": [{"name": "Sécurité", "email": "securite@adie.example", "language": "fr", "role": "security"}]},
        analyst="awa", reports={"2024-05-01-scan_dns-sn.csv": REPORT})

    server = Server(admin_db, free_port(), extra=("--smtp-url", smtp.url, "--mail-from", "cert@cert.example", "--incident-tag", "CERTsn"))
    try:
        sign_in(browser, server.url, username="awa")
        Select(browser.find_element(By.ID, "language-switch")).select_by_value("fr")
        submit_and_wait(browser, "language-submit")

        # The queue.
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
        assert "Se déconnecter" in browser.find_element(By.ID, "logout").text
        queue = browser.find_element(By.ID, "incidents").text
        assert "Échéance (UTC)" in queue and "nouveau" in queue
        nav = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav.modules a")]
        assert nav[:4] == ["Vue d'ensemble", "Communauté desservie", "Flux", "Incidents"]

        # The incident page.
        browser.find_element(By.PARTIAL_LINK_TEXT, "vulnerable-system").click()
        assert browser.find_element(By.ID, "incident-status").text == "nouveau"
        headings = [h.text for h in browser.find_elements(By.TAG_NAME, "h2")]
        assert "Historique" in headings and "Tâches" in headings
        submit_and_wait(browser, "move-triaged")
        assert browser.find_element(By.ID, "incident-status").text == "trié"
        assert "nouveau → trié" in browser.find_element(By.ID, "timeline").text

        # A refusal, said in French.
        browser.find_element(By.ID, "link-to").send_keys("1")
        submit_and_wait(browser, "link")
        refusal = browser.find_element(By.CSS_SELECTOR, ".flash.error").text
        assert refusal == "Un incident ne peut pas être lié à lui-même.", refusal
        browser.find_element(By.ID, "merge-into").send_keys("abc")
        submit_and_wait(browser, "merge")
        assert browser.find_element(By.CSS_SELECTOR, ".flash.error").text == "« abc » n'est pas un numéro d'incident."

        # The notice goes out in the contact's language.
        submit_and_wait(browser, "notify")
        smtp.wait_for(1)
        assert [m[1] for m in smtp.messages] == [["securite@adie.example"]]
        message = email.message_from_bytes(smtp.messages[0][2])
        assert message["Content-Language"] == "fr"
        subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
        assert subject == "[CERTsn #1] vulnerable-system at Agence de l'Informatique de l'État (TLP:AMBER)"
        text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
        assert text.startswith("Chère équipe de Agence de l'Informatique de l'État,")
        assert "  Gravité :" in text and "Incident :" in text
        assert "TLP:AMBER : à partager uniquement au sein de votre organisation" in text
        browser.refresh()
        assert "notification envoyée à securite@adie.example" in browser.find_element(By.ID, "timeline").text
    finally:
        assert server.stop()[0] == 0
