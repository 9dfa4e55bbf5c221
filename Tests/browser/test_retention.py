"""In real Chromium: an admin reads the retention policy the server was started with, in English and in
French, sees a run made from the command line (a dry run, then a real one that takes an old event away and
keeps the one an incident holds), and an analyst may not see the page."""
import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import PASSWORD, Server, free_port, run_cli


def test_the_retention_page_shows_the_policy_and_the_runs(admin_db, tmp_path, browser):
    assert run_cli("user", "create", "ana", "--role", "analyst", "--password-stdin", "--database", admin_db,
                   stdin=PASSWORD + "\n").returncode == 0
    events = tmp_path / "old.jsonl"
    events.write_text("\n".join(json.dumps({"source.ip": f"203.0.113.{i}", "classification.type": "scanner",
                                            "time.source": "2020-01-0%dT10:00:00+00:00" % i}) for i in range(1, 4)) + "\n")
    assert run_cli("ingest", str(events), "--database", admin_db).returncode == 0
    dry = run_cli("retention", "run", "--dry-run", "--json", "--retention", "events=365d,mail=keep", "--database", admin_db)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["events"] == 3
    real = run_cli("retention", "run", "--retention", "events=365d,mail=keep", "--database", admin_db)
    assert real.returncode == 0 and "took away: 3 events" in real.stdout, real.stdout + real.stderr

    server = Server(admin_db, free_port(), extra=("--retention", "events=365d,quarantine=30d,mail=keep"))
    try:
        sign_in(browser, server.url)
        browser.find_element(By.LINK_TEXT, "Retention").click()
        assert browser.current_url.endswith("/admin/retention")
        policy = {row.get_attribute("id"): row.text for row in browser.find_elements(By.CSS_SELECTOR, "#policy tbody tr")}
        assert "365 days" in policy["class-events"] and "incident" in policy["class-events"]
        assert "30 days" in policy["class-quarantine"]
        assert "for good" in policy["class-mail"]
        runs = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")]
        assert len(runs) == 2
        assert "applied" in runs[0] and "dry run" in runs[1]
        assert " 3 " in f" {runs[0]} "

        Select(browser.find_element(By.ID, "language-switch")).select_by_value("fr")
        submit_and_wait(browser, "language-submit")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Conservation des données"
        assert "365 jours" in browser.find_element(By.ID, "class-events").text
        assert "pour toujours" in browser.find_element(By.ID, "class-mail").text
        assert "simulation" in browser.find_element(By.ID, "runs").text

        submit_and_wait(browser, "logout")
        sign_in(browser, server.url, username="ana")
        browser.get(server.url + "/admin/retention")
        assert "/admin/retention" in browser.current_url and "365" not in browser.page_source
        assert not browser.find_elements(By.LINK_TEXT, "Retention")
    finally:
        code = server.stop()[0]
    assert code == 0
