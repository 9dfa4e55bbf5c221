"""In real Chromium: an admin configures two feeds in the browser — a URL on a local HTTPS server and an
IMAP mailbox on a local Dovecot — and both are fetched by the running server; the health page shows a
feed that used to deliver daily and has gone quiet as silent."""
import sqlite3
import time
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import Server, free_port
from feed_servers import CA_FILE, REPORT, Dovecot, FeedServer, not_a_report, shadowserver_mail


def add_feed(browser, url, fields):
    browser.get(url + "/feeds/sources")
    Select(browser.find_element(By.ID, "feed-kind")).select_by_value(fields.pop("kind"))
    for element_id, value in fields.items():
        box = browser.find_element(By.ID, element_id)
        box.clear()
        box.send_keys(value)
    submit_and_wait(browser, "add-feed")


def wait_for_fetch(browser, outcome, seconds=60):
    """Reloads the feed's page until its newest fetch has `outcome`; returns that row's text."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        browser.refresh()
        rows = browser.find_elements(By.CSS_SELECTOR, "#fetches tbody tr")
        if rows and outcome in rows[0].text:
            return rows[0].text
        time.sleep(0.5)
    raise AssertionError(f"no '{outcome}' fetch within {seconds} s: {browser.find_element(By.TAG_NAME, 'main').text}")


def quiet_history(database: str):
    """A feed that delivered every day until five days ago (runs as the ingest command records them)."""
    now_ms = int(time.time() * 1000)
    with sqlite3.connect(database) as db:
        for back in range(5, 12):
            started = now_ms - back * 86_400_000
            db.execute(
                "INSERT INTO ingest_runs (id, file_name, file_hash, format, feed, started_at, finished_at, lines_read, events_stored, duplicates,"
                " quarantined, checkpoint_line, source) VALUES (?, ?, ?, 'intelmq', 'Partner blocklist', ?, ?, 20, 19, 0, 1, 20, 'cli')",
                (str(uuid.uuid4()).upper(), f"blocklist-{back}.jsonl", uuid.uuid4().hex, started, started + 1000))


def test_feeds_configured_in_the_browser_are_fetched_and_health_shows_a_silent_one(tmp_path, admin_db, browser):
    files = FeedServer({"/reports/2024-05-01-scan_dns-uruguay-geo.csv": REPORT})
    dovecot = Dovecot()
    dovecot.deliver(shadowserver_mail(REPORT.replace(b"192.0.2.", b"198.51.100."), "2024-05-02-scan_dns-uruguay-geo.csv"), "report")
    dovecot.deliver(not_a_report(), "lunch")
    # Migrate first (serve would), then give the database a history before the server starts.
    server = Server(admin_db, free_port(), extra=["--ca-file", CA_FILE])
    server.stop()
    quiet_history(admin_db)
    server = Server(admin_db, free_port(), extra=["--ca-file", CA_FILE])
    try:
        sign_in(browser, server.url)
        add_feed(browser, server.url, {
            "kind": "http", "feed-name": "Scan reports", "feed-location": files.base + "/reports/2024-05-01-scan_dns-uruguay-geo.csv",
            "feed-every": "1d"})
        assert "/feeds/sources/" in browser.current_url
        assert "Scan reports" in browser.find_element(By.TAG_NAME, "h1").text
        first = wait_for_fetch(browser, "delivered")
        assert "2 lines: 2 new events" in first
        submit_and_wait(browser, "fetch-now")
        wait_for_fetch(browser, "nothing new")
        asked = [headers for path, headers in files.requests]
        assert any(h.get("If-None-Match") for h in asked), "the second fetch asked with the ETag"

        add_feed(browser, server.url, {
            "kind": "imap", "feed-name": "Abuse mailbox", "feed-location": dovecot.url, "feed-username": dovecot.user,
            "feed-secret": dovecot.password, "feed-every": "1h"})
        fetched = wait_for_fetch(browser, "delivered")
        assert "left in the mailbox" in fetched and "not a report" in fetched
        assert dovecot.password not in browser.page_source
        assert len(dovecot.files(".Confianza.Done")) == 1, "the report's message moved to the done folder"
        left = dovecot.files("INBOX")
        assert len(left) == 1, "the message that is not a report stays"

        browser.get(server.url + "/feeds/sources")
        rows = {row.get_attribute("data-feed"): row.text for row in browser.find_elements(By.CSS_SELECTOR, "#feed-sources tbody tr")}
        assert set(rows) == {"Scan reports", "Abuse mailbox"}

        browser.get(server.url + "/feeds/health")
        quiet = browser.find_element(By.CSS_SELECTOR, "tr[data-feed='Partner blocklist']")
        assert "silent" in quiet.get_attribute("class")
        assert "silent for more than two days" in quiet.text
        busy = browser.find_element(By.CSS_SELECTOR, "tr[data-feed='Scan reports']")
        assert "silent" not in (busy.get_attribute("class") or "")
        assert "delivering" in busy.text
        assert busy.find_element(By.TAG_NAME, "svg").get_attribute("role") == "img"
        report_feed = browser.find_element(By.CSS_SELECTOR, "tr[data-feed='DNS-Open-Resolvers']")
        assert "2" in report_feed.text, "the mailbox's Shadowserver report counts under its own feed"
    finally:
        code, _, err = server.stop()
        files.stop()
        dovecot.stop()
    assert code == 0, err
