"""In real Chromium, a national capacity assessment from invitation to validation: an admin creates
Uruguay's assessment and invites its focal point by e-mail (the mail reaches a local SMTP server); the
focal point opens the link, sets a password, answers the legal pillar with an uploaded document and a
link, and submits; the reviewer returns one answer with a comment; the focal point fixes it and submits
again; the reviewer validates and publishes. The profile, the comparison table and the public page
show the score and tier, and `confianza assess score` gives the same numbers as the pages."""
import email
import json
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import Server, free_port, run_cli

FOCAL_PASSWORD = "una frase bastante larga"


def mail_text(content: bytes) -> str:
    message = email.message_from_bytes(content)
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode("utf-8")
    raise AssertionError("the invitation has no text part")


def sign_out(browser):
    submit_and_wait(browser, "logout")


def open_assessment(browser, url):
    browser.get(url + "/assessment")
    browser.find_element(By.CSS_SELECTOR, "#comparison tr[data-country='UY'] a").click()


def test_a_focal_point_answers_and_a_reviewer_validates(tmp_path, admin_db, smtp, browser):
    server = Server(admin_db, free_port(), extra=("--smtp-url", smtp.url, "--mail-from", "cirt@cert.example"))
    try:
        sign_in(browser, server.url)
        browser.find_element(By.LINK_TEXT, "Assessment").click()
        assert browser.find_element(By.TAG_NAME, "h1").text == "National capacity assessments"
        Select(browser.find_element(By.ID, "new-country")).select_by_value("UY")
        submit_and_wait(browser, "create-assessment")
        assert browser.find_element(By.ID, "state").text == "draft"
        assessment_url = browser.current_url

        browser.get(server.url + "/assessment")
        browser.find_element(By.ID, "invite-name").send_keys("Lucía Fernández")
        browser.find_element(By.ID, "invite-email").send_keys("lucia@agesic.example")
        Select(browser.find_element(By.ID, "invite-country")).select_by_value("UY")
        Select(browser.find_element(By.ID, "invite-language")).select_by_value("en")
        submit_and_wait(browser, "send-invite")
        assert smtp.wait_for(1), "the invitation reaches the mail server"
        _, recipients, content = smtp.messages[0]
        assert recipients == ["lucia@agesic.example"]
        link = re.search(r"(http://\S+/invite/\S+)", mail_text(content)).group(1)
        sign_out(browser)

        # The focal point opens the link from the mail and chooses a password.
        browser.get(link)
        assert "Uruguay" in browser.page_source
        browser.find_element(By.ID, "invite-username").send_keys("lucia")
        browser.find_element(By.ID, "invite-password").send_keys(FOCAL_PASSWORD)
        browser.find_element(By.ID, "invite-confirm").send_keys(FOCAL_PASSWORD)
        submit_and_wait(browser, "invite-submit")
        browser.find_element(By.ID, "invite-login").click()
        browser.find_element(By.ID, "username").send_keys("lucia")
        browser.find_element(By.ID, "password").send_keys(FOCAL_PASSWORD)
        submit_and_wait(browser, "login-submit")
        assert browser.current_url.endswith("/assessment")
        assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav.modules a")] == ["Assessment", "My account"]
        open_assessment(browser, server.url)

        # The legal pillar: elements ticked, a partial answer, a document and a link as evidence.
        browser.find_element(By.ID, "pillar-legal").click()
        browser.find_element(By.ID, "e-L1.1-access").click()
        browser.find_element(By.ID, "e-L1.1-fraud").click()
        browser.find_element(By.ID, "a-L1.2-partial").click()
        browser.find_element(By.ID, "note-L1.1").send_keys("Ley 18.600")
        submit_and_wait(browser, "save-draft")
        assert browser.find_element(By.ID, "e-L1.1-access").is_selected()
        assert browser.find_element(By.ID, "a-L1.2-partial").is_selected()
        document = tmp_path / "proyecto-de-ley.pdf"
        document.write_bytes(b"%PDF-1.4\n% draft procedural law\n")
        browser.find_element(By.CSS_SELECTOR, "#q-L1\\.2 details summary").click()
        browser.find_element(By.ID, "doc-L1.2").send_keys(str(document))
        submit_and_wait(browser, "upload-L1.2")
        assert "proyecto-de-ley.pdf" in browser.find_element(By.ID, "q-L1.2").text
        browser.find_element(By.CSS_SELECTOR, "#q-L1\\.1 details summary").click()
        browser.find_element(By.ID, "link-L1.1").send_keys("https://www.impo.com.uy/bases/leyes/18600")
        submit_and_wait(browser, "add-link-L1.1")
        # A refused upload says why and stores nothing.
        bad = tmp_path / "tool.exe"
        bad.write_bytes(b"MZ\x90\x00")
        browser.find_element(By.CSS_SELECTOR, "#q-L1\\.2 details summary").click()
        browser.find_element(By.ID, "doc-L1.2").send_keys(str(bad))
        submit_and_wait(browser, "upload-L1.2")
        assert "Documents are taken as" in browser.find_element(By.CSS_SELECTOR, ".flash.error").text
        browser.get(assessment_url)
        submit_and_wait(browser, "submit-assessment")
        assert browser.find_element(By.ID, "state").text == "submitted"
        sign_out(browser)

        # The reviewer returns one answer with a comment.
        sign_in(browser, server.url)
        browser.get(assessment_url)
        submit_and_wait(browser, "start-review")
        browser.find_element(By.ID, "pillar-legal").click()
        browser.find_element(By.ID, "comment-L1.2").send_keys("The procedural law was adopted in 2025: answer yes.")
        submit_and_wait(browser, "comment-submit-L1.2")
        browser.get(assessment_url)
        submit_and_wait(browser, "return-assessment")
        assert browser.find_element(By.ID, "state").text == "returned with comments"
        sign_out(browser)

        # The focal point reads the comment, fixes the answer and submits again.
        sign_in(browser, server.url, username="lucia", password=FOCAL_PASSWORD)
        browser.get(assessment_url + "/pillar/legal")
        assert "adopted in 2025" in browser.find_element(By.ID, "q-L1.2").text
        browser.find_element(By.ID, "a-L1.2-yes").click()
        submit_and_wait(browser, "save-draft")
        browser.get(assessment_url)
        submit_and_wait(browser, "submit-assessment")
        sign_out(browser)

        # The reviewer validates and publishes.
        sign_in(browser, server.url)
        browser.get(assessment_url)
        submit_and_wait(browser, "start-review")
        browser.find_element(By.ID, "publish").click()
        submit_and_wait(browser, "validate-assessment")
        assert browser.find_element(By.ID, "state").text == "validated"
        total = browser.find_element(By.ID, "total").text
        tier = browser.find_element(By.ID, "tier").text
        assert (total, tier) == ("7.70", "Tier 5 – Building")
        timeline = browser.find_element(By.ID, "timeline").text
        for step in ("submitted for review", "returned to the country with 1 comment(s)", "validated and published"):
            assert step in timeline

        browser.find_element(By.ID, "explain").click()
        assert browser.find_element(By.ID, "explained-total").text == "7.70"
        legal = browser.find_element(By.CSS_SELECTOR, "#explain-legal h2").text
        browser.get(assessment_url)
        browser.find_element(By.ID, "profile").click()
        assert browser.find_element(By.ID, "country-name").text == "Uruguay"
        assert browser.find_elements(By.CSS_SELECTOR, "svg.radar") and "7.70" in browser.page_source
        browser.get(server.url + "/assessment?sort=total&dir=desc")
        row = browser.find_element(By.CSS_SELECTOR, "#comparison tr[data-country='UY']")
        assert "7.70" in row.find_element(By.CSS_SELECTOR, "td.total").text and "Tier 5" in row.text
        sign_out(browser)
        browser.get(server.url + "/public/assessment/UY")
        assert "7.70" in browser.page_source and "https://www.impo.com.uy/bases/leyes/18600" in browser.page_source
    finally:
        code = server.stop()[0]
    assert code == 0

    # The calculator on the command line, on the answers the focal point gave, agrees with the pages.
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"framework": "five-pillars", "edition": "2026", "country": "UY",
                                   "answers": {"L1.1": ["access", "fraud"], "L1.2": "yes"}}))
    scored = run_cli("assess", "score", "--framework", "five-pillars", "--answers", str(answers), "--json")
    assert scored.returncode == 0, scored.stderr
    figures = json.loads(scored.stdout)
    assert f"{figures['total']:.2f}" == total and figures["tier"] == "tier-5"
    assert legal.endswith(f"{figures['pillars']['legal']:.2f} / 20.00")
