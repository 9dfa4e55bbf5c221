"""In real Chromium: sign in, switch to Spanish, sign out; and the pages fit a phone's screen."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import PASSWORD


def test_sign_in_switch_language_sign_out(server, browser):
    sign_in(browser, server.url, password="wrong password here")
    assert "Unknown username or wrong password." in browser.page_source

    sign_in(browser, server.url)
    assert browser.current_url.endswith("/incidents"), "after signing in, the page asked for opens"
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Incidents")
    assert "Signed in as root (admin)" in browser.find_element(By.ID, "signed-in-as").text
    nav = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav.modules a")]
    assert nav[:9] == ["Overview", "Constituency", "Feeds", "Incidents", "Sharing", "Assessment", "Risk", "Knowledge base", "Reports"]

    Select(browser.find_element(By.ID, "language-switch")).select_by_value("es")
    submit_and_wait(browser, "language-submit")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Incidentes")
    assert "Cerrar sesión" in browser.find_element(By.ID, "logout").text

    browser.find_element(By.LINK_TEXT, "Mi cuenta").click()
    WebDriverWait(browser, 10).until(EC.url_contains("/account"))
    assert "Tokens de API" in browser.page_source

    submit_and_wait(browser, "logout")
    assert "/login" in browser.current_url
    assert "Ha cerrado la sesión." in browser.page_source
    browser.get(server.url + "/account")
    assert "/login" in browser.current_url, "signed out means signed out"


def test_pages_fit_a_phone(server, browser):
    browser.set_window_size(390, 844)
    sign_in(browser, server.url)
    for path in ("/", "/account", "/admin/users", "/admin/audit", "/admin/retention", "/risk"):
        browser.get(server.url + path)
        overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the screen"


def test_find_who_owns_an_address_and_record_a_network(server, browser):
    sign_in(browser, server.url)
    browser.get(server.url + "/constituency/new")
    browser.find_element(By.ID, "org-name").send_keys("Banco del Litoral")
    Select(browser.find_element(By.ID, "org-sector")).select_by_value("finance")
    Select(browser.find_element(By.ID, "org-kind")).select_by_value("private")
    browser.find_element(By.ID, "org-country").send_keys("UY")
    submit_and_wait(browser, "save-organisation")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Banco del Litoral"

    browser.find_element(By.ID, "asset-value").send_keys("198.51.100.1/24")
    submit_and_wait(browser, "add-asset")
    assert "did you mean 198.51.100.0/24?" in browser.find_element(By.CSS_SELECTOR, ".flash.error").text
    field = browser.find_element(By.ID, "asset-value")
    field.clear()
    field.send_keys("198.51.100.0/24")
    submit_and_wait(browser, "add-asset")
    assert "198.51.100.0/24" in browser.find_element(By.ID, "assets").text

    browser.get(server.url + "/constituency")
    browser.find_element(By.ID, "q").send_keys("198.51.100.200")
    submit_and_wait(browser, "search-submit")
    answer = browser.find_element(By.ID, "lookup-answer").text
    assert "198.51.100.200 belongs to:" in answer and "Banco del Litoral" in answer and "prefix 198.51.100.0/24" in answer


def test_an_ingested_report_shows_its_accounting_and_events(admin_db, browser, tmp_path):
    from conftest import Server, free_port, run_cli
    report = tmp_path / "2024-05-01-scan_dns-uy.csv"
    report.write_text('"timestamp","ip","port"\n"2024-05-01 00:00:01","198.51.100.1",53\n"2024-05-01 00:00:01","198.51.100.1",53\n"2024-05-01 00:00:02","bad",53\n')
    assert run_cli("ingest", str(report), "--database", admin_db).returncode == 0
    server = Server(admin_db, free_port())
    try:
        sign_in(browser, server.url)
        browser.get(server.url + "/feeds")
        runs = browser.find_element(By.ID, "runs").text
        assert "2024-05-01-scan_dns-uy.csv" in runs and "DNS-Open-Resolvers" in runs
        browser.find_element(By.LINK_TEXT, "2024-05-01-scan_dns-uy.csv").click()
        WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "accounting")))
        assert browser.find_element(By.ID, "accounting").text.startswith("3 = 1 + 1 + 1")
        assert "not an IP address" in browser.find_element(By.ID, "quarantine").text
        browser.get(server.url + "/events")
        Select(browser.find_element(By.ID, "filter-type")).select_by_value("vulnerable-system")
        submit_and_wait(browser, "filter-submit")
        assert "198.51.100.1" in browser.find_element(By.ID, "events").text
    finally:
        assert server.stop()[0] == 0
