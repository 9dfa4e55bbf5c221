"""In real Chromium: a peer's indicators, imported with the command line, are searched and one is
revoked from the indicators page."""
import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import PASSWORD, Server, free_port, run_cli


def test_an_analyst_finds_and_revokes_an_indicator(tmp_path, admin_db, browser):
    objects = [{"type": "indicator", "spec_version": "2.1", "id": f"indicator--00000000-0000-4000-8000-00000000000{n}",
                "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": name,
                "pattern": f"[ipv4-addr:value = '198.51.100.{n}']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
               for n, name in ((1, "Emotet C2"), (2, "Scanner"))]
    bundle = tmp_path / "peer.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000009", "objects": objects}))
    assert run_cli("stix", "import", str(bundle), "--source", "CERT.br", "--database", admin_db).returncode == 0
    assert run_cli("user", "create", "ana", "--role", "analyst", "--password-stdin", "--database", admin_db, stdin=PASSWORD + "\n").returncode == 0
    server = Server(admin_db, free_port())
    try:
        sign_in(browser, server.url, username="ana")
        browser.get(server.url + "/indicators")
        assert len(browser.find_elements(By.CSS_SELECTOR, "#indicators tbody tr")) == 2
        browser.find_element(By.ID, "indicator-q").send_keys("emotet")
        submit_and_wait(browser, "indicator-filter")
        rows = browser.find_elements(By.CSS_SELECTOR, "#indicators tbody tr")
        assert len(rows) == 1 and "Emotet C2" in rows[0].text and "active" in rows[0].text
        button = rows[0].find_element(By.TAG_NAME, "button")
        browser.execute_script("arguments[0].id = 'revoke-first'", button)
        submit_and_wait(browser, "revoke-first")
        assert browser.current_url.endswith("/indicators")
        Select(browser.find_element(By.ID, "indicator-state")).select_by_value("revoked")
        submit_and_wait(browser, "indicator-filter")
        rows = browser.find_elements(By.CSS_SELECTOR, "#indicators tbody tr")
        assert len(rows) == 1 and "Emotet C2" in rows[0].text and "revoked" in rows[0].text
    finally:
        server.stop()
