"""In real Chromium, the knowledge base.

A visitor with no account opens the public portal from the sign-in page, searches, narrows by a facet,
opens a record and the agreements network; nothing above TLP:CLEAR appears anywhere: not in results,
snippets, facet counts, the record pages or the network. An analyst imports a file and adds an
agreement through the form, and both are found."""
import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import PASSWORD, Server, free_port, run_cli

SECRETS = ["Zorro", "Zorrolandia", "TLP:AMBER", "TLP:RED", "Kenya", "Secret pact"]

BASE = {
    "initiatives": [
        {"title": "Regional incident response network", "summary": "CIRTs of the region handle incidents together.", "level": "regional",
         "countries": ["AR", "UY", "PY"], "region": "americas", "pillars": ["cooperation"], "tlp": "TLP:CLEAR"},
        {"title": "Stratégie nationale de cybersécurité", "summary": "Appui à la réponse aux incidents.", "countries": ["SN"], "region": "africa",
         "pillars": ["organizational"], "tlp": "TLP:CLEAR"},
        {"title": "Confidential incident drill Zorro", "summary": "An incident exercise with Zorrolandia.", "countries": ["UY"], "region": "americas",
         "pillars": ["technical"], "tlp": "TLP:AMBER"},
    ],
    "caseStudies": [
        {"title": "A CIRT in the e-government agency", "country": "UY", "institutionType": "national-cirt", "tlp": "TLP:CLEAR",
         "body": "## History\n\nHandles **incidents** since 2008. <script>document.title='pwned'</script> [x](javascript:alert(1))"}],
    "agreements": [
        {"title": "MoU AR-UY on incident response", "parties": ["AR", "UY"], "scope": ["incident-response"], "status": "in-force", "tlp": "TLP:CLEAR"},
        {"title": "MoU BR-UY", "parties": ["BR", "UY"], "scope": ["information-sharing"], "status": "in-force", "tlp": "TLP:CLEAR"},
        {"title": "MoU AR-BR", "parties": ["AR", "BR"], "scope": ["research"], "status": "in-force", "tlp": "TLP:CLEAR"},
        {"title": "Secret pact Zorro", "parties": ["UY", "KE"], "scope": ["incident-response"], "status": "in-force", "tlp": "TLP:RED"},
    ],
}


def assert_nothing_secret(browser):
    page = browser.page_source
    for secret in SECRETS:
        assert secret not in page, secret


def test_a_visitor_searches_the_portal_and_opens_the_network(tmp_path, admin_db, browser):
    file = tmp_path / "knowledge.json"
    file.write_text(json.dumps(BASE))
    result = run_cli("knowledge", "import", str(file), "--database", admin_db)
    assert result.returncode == 0 and "imported 3 initiatives" in result.stdout, result.stderr
    server = Server(admin_db, free_port())
    try:
        browser.get(server.url + "/login")
        browser.find_element(By.ID, "public-knowledge").click()
        assert browser.find_element(By.TAG_NAME, "h1").text == "Knowledge base"
        browser.find_element(By.ID, "knowledge-q").send_keys("incidents")
        submit_and_wait(browser, "knowledge-search-submit")
        titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#hits li > a")]
        # "incidents" meets "incident" and the French "incidents"; the AMBER drill is nowhere, not even counted.
        assert set(titles) == {"Regional incident response network", "Stratégie nationale de cybersécurité", "A CIRT in the e-government agency",
                               "MoU AR-UY on incident response"}, titles
        assert browser.find_element(By.ID, "found").text == "4 found"
        assert browser.find_elements(By.CSS_SELECTOR, "#hits mark")
        assert_nothing_secret(browser)
        browser.find_element(By.CSS_SELECTOR, "[data-facet='region'] a").click()
        assert "region=" in browser.current_url
        assert_nothing_secret(browser)
        browser.get(server.url + "/public/knowledge?q=incidents")
        browser.find_element(By.LINK_TEXT, "A CIRT in the e-government agency").click()
        assert browser.find_element(By.CSS_SELECTOR, "#record-body strong").text == "incidents"
        assert browser.title != "pwned" and not browser.find_elements(By.CSS_SELECTOR, "#record-body script, #record-body a[href^='javascript']")
        assert_nothing_secret(browser)

        browser.get(server.url + "/public/knowledge")
        browser.find_element(By.ID, "network-link").click()
        assert browser.find_element(By.ID, "network-summary").text == "3 links between 3 countries."
        degrees = {row.get_attribute("data-country"): row.find_element(By.CSS_SELECTOR, ".degree").text
                   for row in browser.find_elements(By.CSS_SELECTOR, "#degrees tr[data-country]")}
        assert degrees == {"AR": "2", "BR": "2", "UY": "2"}
        Select(browser.find_element(By.ID, "network-region")).select_by_value("americas")
        submit_and_wait(browser, "network-region-submit")
        assert "Argentina, Brazil, Uruguay" in browser.find_element(By.ID, "clusters").text
        assert "Brazil" in browser.find_element(By.ID, "without-ir").text
        assert_nothing_secret(browser)
    finally:
        server.stop()


def test_an_analyst_imports_and_adds_records(tmp_path, admin_db, browser):
    assert run_cli("user", "create", "ana", "--role", "analyst", "--password-stdin", "--database", admin_db, stdin=PASSWORD + "\n").returncode == 0
    file = tmp_path / "knowledge.json"
    file.write_text(json.dumps({"initiatives": BASE["initiatives"][:1]}))
    server = Server(admin_db, free_port())
    try:
        sign_in(browser, server.url, "ana")
        browser.find_element(By.LINK_TEXT, "Knowledge base").click()
        browser.find_element(By.ID, "knowledge-file").send_keys(str(file))
        submit_and_wait(browser, "knowledge-import-submit")
        assert "Imported 1 initiatives" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
        browser.find_element(By.ID, "new-agreement").click()
        browser.find_element(By.ID, "k-title").send_keys("MoU CL-UY on research")
        browser.find_element(By.ID, "k-parties").send_keys("CL, UY")
        browser.find_element(By.CSS_SELECTOR, "input[name='scope.research']").click()
        Select(browser.find_element(By.ID, "k-status")).select_by_value("in-force")
        Select(browser.find_element(By.ID, "k-tlp")).select_by_value("TLP:CLEAR")
        submit_and_wait(browser, "knowledge-save")
        assert browser.find_element(By.TAG_NAME, "h1").text == "MoU CL-UY on research"
        browser.get(server.url + "/public/knowledge?q=research")
        assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#hits li > a")] == ["MoU CL-UY on research"]
    finally:
        server.stop()
