"""In real Chromium, the annual report on `confianza demo`.

Staff open Reports from the navigation, view the public edition of this year as its own page (its
stylesheet applies: the page's policy allows exactly it), switch to the internal edition in Spanish,
and publish the public edition. A visitor with no account then finds it from the sign-in page, reads
it in French, and downloads its PDF, whose every page carries the marking and its number; nothing the
visitor reads names a constituent."""
import io
import time

import requests
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import Server, constituent_secrets, free_port


def assert_names_nobody(text, secrets):
    found = [secret for secret in secrets if secret in text]
    assert not found, found[:5]


def test_staff_publish_the_report_and_a_visitor_reads_it(tmp_path, browser):
    database = str(tmp_path / "confianza-demo.db")
    demo = Server(database, free_port(), command="demo")
    try:
        username, password = demo.demo_login()
        secrets = constituent_secrets(database)
        year = str(time.gmtime().tm_year)
        sign_in(browser, demo.url, username=username, password=password)
        browser.find_element(By.LINK_TEXT, "Reports").click()
        assert browser.find_element(By.TAG_NAME, "h1").text == "Reports"
        assert browser.find_element(By.ID, "report-year").get_attribute("value") == year
        assert browser.find_element(By.ID, "edition-clear").is_selected()

        # The public edition as its own page: styled (the policy lets its one stylesheet in), marked, anonymous.
        submit_and_wait(browser, "report-html")
        assert browser.find_element(By.TAG_NAME, "h1").text == f"Annual report to Council, {year}"
        assert browser.find_element(By.ID, "marking").text == "TLP:CLEAR"
        assert browser.execute_script("return getComputedStyle(document.body).maxWidth") == "832px", "the report's stylesheet applies"
        sections = [h.text for h in browser.find_elements(By.TAG_NAME, "h2")]
        assert sections == ["Incidents", "Events and feeds", "Information shared", "National assessments", "Risk",
                            "Initiatives, case studies and agreements"], sections
        assert browser.find_elements(By.CSS_SELECTOR, "svg[id^=chart-]"), "tables of counts have their bars"
        assert "< 5" in browser.find_element(By.TAG_NAME, "body").text
        assert_names_nobody(browser.page_source, secrets)
        # Each figure links to the page it comes from.
        browser.find_element(By.LINK_TEXT, "Incidents created").click()
        assert browser.current_url.endswith("/incidents")
        browser.back()
        browser.back()

        # The internal edition, in Spanish: marked as such.
        browser.find_element(By.ID, "edition-amber").click()
        Select(browser.find_element(By.ID, "report-language")).select_by_value("es")
        submit_and_wait(browser, "report-html")
        assert browser.find_element(By.ID, "marking").text == "TLP:AMBER"
        assert browser.find_element(By.TAG_NAME, "h1").text == f"Informe anual al Consejo, {year}"
        assert "Edición interna (TLP:AMBER)" in browser.page_source
        browser.back()

        # A wrong year is refused with its reason, on the same page.
        year_box = browser.find_element(By.ID, "report-year")
        year_box.clear()
        year_box.send_keys("12")
        submit_and_wait(browser, "report-json")
        assert 'not "12"' in browser.find_element(By.CSS_SELECTOR, ".flash").text

        # Publishing the public edition.
        browser.get(demo.url + "/reports")
        submit_and_wait(browser, "publish-submit")
        assert f"The public edition of {year} is published." in browser.find_element(By.CSS_SELECTOR, ".flash").text
        assert browser.find_element(By.CSS_SELECTOR, f"#published-reports tr[data-year='{year}']")

        # A visitor with no account, from the sign-in page, in French.
        browser.delete_all_cookies()
        browser.get(demo.url + "/login")
        browser.find_element(By.ID, "public-reports").click()
        assert browser.find_element(By.TAG_NAME, "h1").text == "Annual reports"
        browser.find_element(By.CSS_SELECTOR, f"#public-reports li[data-year='{year}'] a").click()
        assert browser.find_element(By.ID, "marking").text == "TLP:CLEAR"
        assert_names_nobody(browser.page_source, secrets)
        browser.get(demo.url + f"/public/reports/{year}?language=fr")
        assert browser.find_element(By.TAG_NAME, "h1").text == f"Rapport annuel au Conseil, {year}"
        assert_names_nobody(browser.page_source, secrets)

        pdf = requests.get(demo.url + f"/public/reports/{year}?format=pdf", timeout=120)
        assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
        pages = PdfReader(io.BytesIO(pdf.content)).pages
        for number, page in enumerate(pages, start=1):
            text = page.extract_text()
            assert text.count("TLP:CLEAR") >= 2 and f"Page {number} of {len(pages)}" in text, (number, text[-200:])
            assert_names_nobody(text, secrets)
        again = requests.get(demo.url + f"/public/reports/{year}?format=pdf", timeout=120)
        assert again.content == pdf.content, "printed once, the same file after"
    finally:
        demo.stop()
