"""The issue's own check, in real Chromium on `confianza demo`: the demo's printed login opens the
incident queue; an incident goes from new to closed; its organisation's contact receives the notice on
a local SMTP server (aiosmtpd); the dashboard shows the metrics."""
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import Server, free_port


def test_from_the_demo_an_incident_goes_from_new_to_closed_and_its_contact_is_told(tmp_path, browser, smtp):
    demo = Server(str(tmp_path / "confianza-demo.db"), free_port(), command="demo",
                  extra=("--smtp-url", smtp.url, "--mail-from", "cert@cert.example"))
    try:
        username, password = demo.demo_login()
        sign_in(browser, demo.url, username=username, password=password)
        assert browser.current_url.endswith("/incidents")
        assert browser.find_element(By.ID, "overdue-count").is_displayed(), "the demo has overdue incidents"

        browser.get(demo.url + "/incidents?status=new")
        links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#incidents tbody td:nth-child(3) a")]
        assert links, "the demo has new incidents"
        notified = False
        for link in links:
            browser.get(link)
            if "Ransomware" in browser.find_element(By.TAG_NAME, "h1").text:
                continue
            submit_and_wait(browser, "move-triaged")
            Select(browser.find_element(By.ID, "assignee")).select_by_value("ana.garcia")
            submit_and_wait(browser, "assign")
            before = len(smtp.messages)
            submit_and_wait(browser, "notify")
            if "notification queued to" not in browser.find_element(By.ID, "timeline").text:
                continue  # this organisation's contacts want digests only: try the next incident
            assert smtp.wait_for(before + 1), "the contact's notice reached the SMTP server"
            _, recipients, content = smtp.messages[-1]
            assert recipients and b"Content-Type: text/csv" in content
            notified = True
            break
        assert notified, "some new incident in the demo has a contact who wants immediate notices"

        for move in ("in-progress", "resolved", "closed"):
            submit_and_wait(browser, f"move-{move}")
        assert browser.find_element(By.ID, "incident-status").text == "closed"
        browser.refresh()
        assert "notification sent to" in browser.find_element(By.ID, "timeline").text

        browser.get(demo.url + "/incidents/dashboard")
        figures = browser.find_element(By.ID, "figures").text
        assert int(re.search(r"Overdue now\n(\d+)", figures).group(1)) >= 1
        for chart in ("chart-type", "chart-sector", "chart-month"):
            assert browser.find_element(By.ID, chart).is_displayed()
    finally:
        demo.stop()
