"""In real Chromium: an admin opens the sharing page, adds a TAXII collection, lets a peer read it,
issues the peer a token, and the peer's TAXII client (taxii2-client) reads the collection with it;
revoking the token shuts the client out."""
import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from taxii2client.v21 import Server as TAXIIServer

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import Server, free_port, run_cli


def test_an_admin_gives_a_peer_access_and_takes_it_back(admin_db, browser):
    added = run_cli("taxii", "add-peer", "--name", "CERT-UY", "--country", "UY", "--contact", "cert@cert.uy.example",
                    "--ceiling", "TLP:AMBER", "--database", admin_db)
    assert added.returncode == 0, added.stderr
    server = Server(admin_db, free_port())
    try:
        sign_in(browser, server.url)
        browser.get(server.url + "/sharing")
        assert browser.find_element(By.ID, "api-root").text.endswith("/taxii2/")
        assert browser.find_elements(By.ID, "no-collections")
        browser.find_element(By.ID, "collection-title").send_keys("Indicators TLP:GREEN")
        Select(browser.find_element(By.ID, "collection-tlp")).select_by_value("TLP:GREEN")
        browser.find_element(By.ID, "collection-alias").send_keys("green")
        submit_and_wait(browser, "add-collection")
        rows = browser.find_elements(By.CSS_SELECTOR, "#collections tbody tr")
        assert len(rows) == 1 and "TLP:GREEN" in rows[0].text

        Select(browser.find_element(By.ID, "access-peer")).select_by_visible_text("CERT-UY")
        browser.find_element(By.ID, "access-read").click()
        submit_and_wait(browser, "set-access")
        assert "CERT-UY (read)" in browser.find_element(By.CSS_SELECTOR, "#collections td.access").text

        Select(browser.find_element(By.ID, "token-peer")).select_by_visible_text("CERT-UY")
        submit_and_wait(browser, "issue-token")
        token = browser.find_element(By.ID, "token-secret").text
        assert token.startswith("cfp_")

        # The peer's client, with the token as its password.
        client = TAXIIServer(server.url + "/taxii2/", user="cert-uy", password=token)
        collections = client.default.collections
        assert [(c.title, c.can_read, c.can_write) for c in collections] == [("Indicators TLP:GREEN", True, False)]

        Select(browser.find_element(By.ID, "revoke-peer")).select_by_visible_text("CERT-UY")
        submit_and_wait(browser, "revoke-tokens")
        with pytest.raises(requests.HTTPError) as refused:
            TAXIIServer(server.url + "/taxii2/", user="cert-uy", password=token).refresh()
        assert refused.value.response.status_code == 401
    finally:
        server.stop()
