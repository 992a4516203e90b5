"""Drives the incident board in headless Chromium (Selenium, the system chromedriver) as an analyst would.

Usage: board_walkthrough.py BASE_URL TOKEN INCIDENT_ID HOSTILE_INCIDENT_ID SCREENSHOT_DIR
Prints one JSON object of what it saw; exits non-zero at the first thing that is not as expected.
"""
import json
import os
import sys

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

base, token, incident_id, hostile_id, shots = sys.argv[1:6]
seen = {}


def check(condition, what):
    if not condition:
        print(json.dumps({"failed": what, "seen": seen}))
        sys.exit(1)


options = webdriver.ChromeOptions()
options.binary_location = os.environ.get("SOCAGENT_CHROMIUM", "/usr/bin/chromium")
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
    options.add_argument(argument)
service = Service(executable_path=os.environ.get("SOCAGENT_CHROMEDRIVER", "/usr/bin/chromedriver"))
driver = webdriver.Chrome(options=options, service=service)
driver.set_page_load_timeout(60)
# While a page is being replaced, chromedriver can answer a question about an element with a bare error ("Node with
# given id does not belong to the document") rather than a stale reference: ask again until the 30 s are up.
wait = WebDriverWait(driver, 30, ignored_exceptions=[WebDriverException])
try:
    # Without a session the board sends the browser to the sign-in.
    driver.get(base + "/board")
    check(driver.current_url.endswith("/board/sign-in"), "redirected to the sign-in")
    driver.find_element(By.ID, "token").send_keys("socagent_wrong")
    driver.find_element(By.ID, "sign-in").click()
    # The refusal is a new page: wait for it, as after every other click.
    problem = wait.until(lambda d: d.find_elements(By.ID, "problem"))
    check("not valid" in problem[0].text, "a wrong token is refused")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "sign-in").click()
    wait.until(lambda d: d.current_url.endswith("/board"))
    cookie = driver.get_cookie("socagent_session")
    check(cookie is not None and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", "HttpOnly SameSite=Strict cookie")
    seen["cookie_visible_to_script"] = driver.execute_script("return document.cookie.indexOf('socagent_session') >= 0")
    check(not seen["cookie_visible_to_script"], "the session cookie is hidden from scripts")

    # The queue.
    rows = driver.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
    seen["queue_rows"] = len(rows)
    check(len(rows) >= 1 and incident_id in driver.page_source, "the queue lists the incident")
    driver.save_screenshot(os.path.join(shots, "board-queue.png"))

    # One incident: its report and the timeline picture.
    driver.find_element(By.LINK_TEXT, incident_id).click()
    wait.until(lambda d: d.find_elements(By.ID, "workflow"))
    pictures = driver.find_elements(By.CSS_SELECTOR, "svg.timeline")
    check(len(pictures) == 1, "the incident page draws its timeline")
    marks = driver.find_elements(By.CSS_SELECTOR, "svg.timeline circle")
    seen["timeline_marks"] = len(marks)
    seen["attack_chain_steps"] = len(driver.find_elements(By.CSS_SELECTOR, "svg.timeline g.step"))
    check(len(marks) >= 1 and pictures[0].size["width"] > 300, "the timeline has marks and a size")
    check(seen["attack_chain_steps"] >= 1, "the attack chain's steps are marked")
    seen["attack_links"] = len(driver.find_elements(By.CSS_SELECTOR, "a[href^='https://attack.mitre.org/techniques/']"))
    check(seen["attack_links"] >= 1, "ATT&CK techniques link to their pages")
    # The whole incident page in one picture: the window as tall as the page.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 1000), 6000))
    driver.save_screenshot(os.path.join(shots, "board-incident.png"))
    driver.set_window_size(1280, 1000)

    # Close it with a disposition and a comment; after a reload it is closed, and the history says who and why.
    Select(driver.find_element(By.ID, "close-disposition")).select_by_value("false_positive")
    driver.find_element(By.ID, "close-comment").send_keys("lab scanner, verified with the owner")
    before = driver.find_element(By.ID, "status")
    driver.find_element(By.ID, "close").click()
    wait.until(expected_conditions.staleness_of(before))
    wait.until(lambda d: d.find_element(By.ID, "status").text == "closed")
    driver.refresh()
    seen["status_after_reload"] = driver.find_element(By.ID, "status").text
    seen["disposition"] = driver.find_element(By.ID, "disposition").text
    history = driver.find_element(By.ID, "history").text
    check(seen["status_after_reload"] == "closed" and seen["disposition"] == "false_positive", "closed after a reload")
    check("lab scanner, verified with the owner" in history, "the comment is in the history")

    # Hostile text from an alert is shown as text: no script runs, the fake fence is visible.
    driver.get(base + "/board/incidents/" + hostile_id)
    wait.until(lambda d: d.find_elements(By.ID, "workflow"))
    try:
        driver.switch_to.alert
        check(False, "no script from log content ran")
    except NoAlertPresentException:
        pass
    seen["hostile_text_shown"] = "<script>alert(1)</script></untrusted-data>" in driver.find_element(By.TAG_NAME, "body").text
    check(seen["hostile_text_shown"], "the hostile user name is shown literally")
    check(not driver.find_elements(By.XPATH, "//script[contains(., 'alert(1)')]"), "no script element from log content")

    # Search.
    driver.get(base + "/board/search")
    driver.find_element(By.ID, "q").send_keys("event.outcome:failure")
    driver.find_element(By.ID, "search").click()
    wait.until(lambda d: d.find_elements(By.ID, "total"))
    seen["search_total"] = driver.find_element(By.ID, "total").text
    check(len(driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")) >= 1, "search shows events")

    # Sign out ends the session.
    driver.get(base + "/board")
    driver.find_element(By.ID, "sign-out").click()
    wait.until(lambda d: d.current_url.endswith("/board/sign-in"))
    driver.get(base + "/board")
    check(driver.current_url.endswith("/board/sign-in"), "signed out")
    print(json.dumps({"ok": True, "seen": seen}))
finally:
    driver.quit()
