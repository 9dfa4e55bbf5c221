"""Real Chromium for the page tests (Debian's chromium and chromium-driver, headless), and the habits
of a person using it: submit a form and wait for the next page, sign in."""
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import PASSWORD


@pytest.fixture
def browser():
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=en-US", "--window-size=1280,900"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def submit_and_wait(browser, element_id):
    """Clicks a submit button and waits for the next page to load."""
    old_page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, element_id).click()

    def replaced(_):
        # While the page is being swapped, chromedriver may answer with a stale-element error or with an
        # "unknown error" about a node that left the document: both mean the old page is gone.
        try:
            old_page.is_enabled()
            return False
        except (StaleElementReferenceException, WebDriverException):
            return True

    WebDriverWait(browser, 10).until(replaced)
    WebDriverWait(browser, 10).until(lambda driver: driver.execute_script("return document.readyState") == "complete")


def sign_in(browser, url, username="root", password=PASSWORD):
    browser.get(url + "/incidents")
    assert "/login" in browser.current_url
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password)
    submit_and_wait(browser, "login-submit")
