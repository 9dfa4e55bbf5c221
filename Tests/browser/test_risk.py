"""In real Chromium, the risk module's two stories.

An anonymous visitor (no account) takes the SME self-assessment from the public pages: an answer left
out is asked again with the reason; half-way, the visitor leaves and resumes with the code on a fresh
browser; at the end the action plan is shown and printed (Chromium's own print to PDF); the result is
shared with the CIRT, anonymously.

An analyst adds a custom 4×4 matrix (a bad one is refused, saying where), builds a register on it,
starts a second cycle, changes two risks and reads the comparison and the heat maps."""
import base64
import json
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import browser, sign_in, submit_and_wait  # noqa: F401 (browser is a fixture)
from conftest import PASSWORD, Server, free_port, run_cli

MATRIX = {
    "id": "ministry-4x4", "title": {"en": "Ministry 4×4", "es": "Ministerio 4×4", "fr": "Ministère 4×4"},
    "likelihood": [{"id": "rare", "title": "Rare"}, {"id": "possible", "title": "Possible"}, {"id": "likely", "title": "Likely"}, {"id": "certain", "title": "Certain"}],
    "impact": [{"id": "minor", "title": "Minor"}, {"id": "moderate", "title": "Moderate"}, {"id": "major", "title": "Major"}, {"id": "severe", "title": "Severe"}],
    "levels": [{"id": "low", "title": "Low", "colour": "#2e7d32", "min": 1, "max": 3},
               {"id": "medium", "title": "Medium", "colour": "gold", "min": 4, "max": 8},
               {"id": "high", "title": "High", "colour": "#c62828", "min": 9, "max": 16}],
}


def answer_step(browser, choice):
    """Ticks `choice` for every question of the step and goes on."""
    for fieldset in browser.find_elements(By.CSS_SELECTOR, "fieldset.question"):
        fieldset.find_element(By.CSS_SELECTOR, f"input[type=radio][value='{choice}']").click()
    submit_and_wait(browser, "sme-next")


def test_an_anonymous_business_finishes_resumes_and_prints_its_plan(admin_db, browser):
    server = Server(admin_db, free_port())
    try:
        browser.get(server.url + "/login")
        browser.find_element(By.ID, "public-self-assessment").click()
        assert browser.find_element(By.TAG_NAME, "h1").text == "Cybersecurity self-assessment for small businesses"
        Select(browser.find_element(By.ID, "sme-size")).select_by_value("small")
        Select(browser.find_element(By.ID, "sme-sector")).select_by_value("retail")
        submit_and_wait(browser, "sme-start")
        assert "Step 1 of 6" in browser.find_element(By.ID, "sme-progress").text

        # One question left out: the step again, that question marked with the reason.
        questions = browser.find_elements(By.CSS_SELECTOR, "fieldset.question")
        for fieldset in questions[1:]:
            fieldset.find_element(By.CSS_SELECTOR, "input[value='yes']").click()
        submit_and_wait(browser, "sme-next")
        assert browser.find_element(By.ID, "step-errors").is_displayed()
        marked = browser.find_elements(By.CSS_SELECTOR, "fieldset.question.bad")
        assert len(marked) == 1 and "Choose an answer" in marked[0].text
        answer_step(browser, "yes")
        answer_step(browser, "partly")
        code = browser.find_element(By.ID, "sme-code-value").text
        assert "Step 3 of 6" in browser.find_element(By.ID, "sme-progress").text

        # Another day, another computer: the code brings the visitor back to step 3 with the answers kept.
        browser.delete_all_cookies()
        browser.get(server.url + "/self-assessment")
        browser.find_element(By.ID, "sme-code").send_keys(code.lower().replace("-", " "))
        submit_and_wait(browser, "sme-resume-submit")
        assert "Step 3 of 6" in browser.find_element(By.ID, "sme-progress").text
        browser.find_element(By.LINK_TEXT, "Govern").click()
        assert len(browser.find_elements(By.CSS_SELECTOR, "input[value='yes']:checked")) == len(browser.find_elements(By.CSS_SELECTOR, "fieldset.question"))
        browser.back()
        for choice in ("no", "mostly", "unsure", "no"):
            answer_step(browser, choice)
        assert browser.find_element(By.TAG_NAME, "h1").text == "Your result and action plan"
        actions = browser.find_elements(By.CSS_SELECTOR, "#sme-actions li")
        assert len(actions) >= 10
        # Retail: two-step verification is high impact, low effort and weighs double in the sector.
        assert actions[0].get_attribute("data-question") in ("pr-mfa", "pr-passwords", "pr-updates", "pr-training", "pr-cards")
        functions = {row.get_attribute("data-function") for row in browser.find_elements(By.CSS_SELECTOR, "#sme-functions tr[data-function]")}
        assert functions == {"GV", "ID", "PR", "DE", "RS", "RC"}

        # Printed: the printable form, through Chromium's own printing.
        browser.find_element(By.ID, "sme-print").click()
        assert browser.find_element(By.ID, "sme-print-hint")
        assert len(browser.find_elements(By.CSS_SELECTOR, "#sme-actions tr[data-question]")) == len(actions)
        pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})["data"])
        assert pdf.startswith(b"%PDF") and len(pdf) > 5000
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "the plan prints on one page"
        browser.back()

        # Shared with the CIRT, anonymously.
        browser.find_element(By.ID, "sme-consent").click()
        submit_and_wait(browser, "sme-share-submit")
        assert "shared anonymously" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    finally:
        server.stop()


def test_an_analyst_builds_a_register_on_a_custom_matrix_and_compares_cycles(tmp_path, admin_db, browser):
    constituency = tmp_path / "constituency.json"
    constituency.write_text(json.dumps({"format": "confianza-constituency", "version": 1, "organisations": [
        {"name": "Ministerio de Salud", "sector": "health", "country": "UY", "kind": "public"}]}))
    assert run_cli("constituency", "import", str(constituency), "--database", admin_db).returncode == 0
    assert run_cli("user", "create", "ana", "--role", "analyst", "--password-stdin", "--database", admin_db, stdin=PASSWORD + "\n").returncode == 0
    server = Server(admin_db, free_port())
    try:
        sign_in(browser, server.url, "ana")
        browser.find_element(By.LINK_TEXT, "Risk").click()
        assert browser.find_element(By.TAG_NAME, "h1").text == "Risk registers"
        browser.find_element(By.ID, "matrices-link").click()

        # A matrix with a gap between its levels is refused, saying where; the good one is added.
        source = browser.find_element(By.ID, "matrix-source")
        bad = dict(MATRIX, levels=[dict(MATRIX["levels"][0]), dict(MATRIX["levels"][1], min=5), dict(MATRIX["levels"][2])])
        source.clear()
        source.send_keys(json.dumps(bad))
        submit_and_wait(browser, "add-matrix-submit")
        assert "$.levels[1].min" in browser.find_element(By.CSS_SELECTOR, ".flash.error").text
        source = browser.find_element(By.ID, "matrix-source")
        source.clear()
        source.send_keys(json.dumps(MATRIX))
        submit_and_wait(browser, "add-matrix-submit")
        assert browser.find_element(By.CSS_SELECTOR, "[data-matrix='ministry-4x4'] svg")

        # A register on it, with three risks.
        browser.find_element(By.LINK_TEXT, "← Risk registers").click()
        browser.find_element(By.ID, "register-organisation").send_keys("Ministerio de Salud")
        Select(browser.find_element(By.ID, "register-matrix")).select_by_value("ministry-4x4")
        submit_and_wait(browser, "start-register")
        assert "Ministry 4×4" in browser.find_element(By.ID, "cycle-matrix").text
        first_cycle = browser.current_url
        for title, threat, likelihood, impact in (("Ransomware on the patient records", "ransomware", "likely", "severe"),
                                                   ("Phishing of hospital staff", "phishing", "likely", "moderate"),
                                                   ("Website defaced", "web-attack", "possible", "moderate")):
            browser.find_element(By.ID, "add-scenario").click()
            browser.find_element(By.ID, "scenario-title").send_keys(title)
            browser.find_element(By.ID, "scenario-asset").send_keys("Hospital information system")
            Select(browser.find_element(By.ID, "scenario-threat")).select_by_value(threat)
            Select(browser.find_element(By.ID, "inherent-likelihood")).select_by_value("certain")
            Select(browser.find_element(By.ID, "inherent-impact")).select_by_value("severe")
            Select(browser.find_element(By.ID, "current-likelihood")).select_by_value(likelihood)
            Select(browser.find_element(By.ID, "current-impact")).select_by_value(impact)
            browser.find_element(By.ID, "scenario-controls").send_keys("PR.DS-11 RC.RP-01")
            browser.find_element(By.ID, "scenario-owner").send_keys("CISO")
            submit_and_wait(browser, "save-scenario")
        assert len(browser.find_elements(By.CSS_SELECTOR, "#scenarios tbody tr")) == 3
        cell = browser.find_element(By.CSS_SELECTOR, "#heatmap-current g[data-likelihood='likely'][data-impact='severe']")
        assert cell.get_attribute("data-count") == "1"

        # The second cycle: a copy; two risks change.
        submit_and_wait(browser, "start-next-cycle")
        assert browser.current_url != first_cycle
        assert len(browser.find_elements(By.CSS_SELECTOR, "#scenarios tbody tr")) == 3
        browser.find_element(By.LINK_TEXT, "Ransomware on the patient records").click()
        Select(browser.find_element(By.ID, "current-likelihood")).select_by_value("rare")
        submit_and_wait(browser, "save-scenario")
        browser.find_element(By.LINK_TEXT, "Phishing of hospital staff").click()
        Select(browser.find_element(By.ID, "current-likelihood")).select_by_value("certain")
        Select(browser.find_element(By.ID, "current-impact")).select_by_value("severe")
        submit_and_wait(browser, "save-scenario")
        cell = browser.find_element(By.CSS_SELECTOR, "#heatmap-current g[data-likelihood='certain'][data-impact='severe']")
        assert cell.get_attribute("data-count") == "1"

        browser.find_element(By.ID, "compare-link").click()
        assert browser.find_element(By.CSS_SELECTOR, "[data-change='improved'] .count").text == "1"
        assert browser.find_element(By.CSS_SELECTOR, "[data-change='worsened'] .count").text == "1"
        assert browser.find_element(By.CSS_SELECTOR, "[data-change='unchanged'] .count").text == "1"
        assert browser.find_element(By.CSS_SELECTOR, "#comparison tr[data-change='worsened'] td").text == "Phishing of hospital staff"
        assert browser.find_element(By.ID, "trend").is_displayed()
    finally:
        server.stop()
