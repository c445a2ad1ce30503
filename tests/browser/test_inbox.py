"""The local inbox page (`GET /_local/`) in a real, headless Chromium: messages arrive live,
codes copy and verify, session states follow, and nothing a caller wrote runs as markup."""

import time
import urllib.request

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import TEST_CODE, TEST_RECIPIENT

LIVE = 1.0  # seconds a delivered message may take to show on an open page


def until(driver, condition, timeout=LIVE, what="condition"):
    return WebDriverWait(driver, timeout, poll_frequency=0.02).until(
        lambda d: condition(d), message=f"{what} not within {timeout} s")


def live(driver):
    until(driver, lambda d: d.find_element(By.ID, "live").text == "live", 5, "the event stream")


def items(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#messages > li")


def item_to(driver, to, timeout=LIVE):
    def find(d):
        for li in items(d):
            if li.find_element(By.CSS_SELECTOR, ".to").text == to:
                return li
        return None
    return until(driver, find, timeout, f"a message to {to}")


def state_of(li):
    return li.find_element(By.CSS_SELECTOR, ".state").text


def no_alert(driver):
    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def send_otp(api, to, content="Your code is {}"):
    status, _, body = api.call("POST", "/verify/v1/otp/send-otp", {"recipient": to, "content": content})
    assert status == 200, body
    return body["otp_id"]


def test_a_send_in_each_family_appears_live_without_a_reload(page, api, shots, tmp_path):
    live(page)
    sends = [
        ("verify-api", "+971501234567", lambda: send_otp(api, "+971501234567")),
        ("contacts", "+12025550101", lambda: api.call(
            "POST", "/contacts/1/verification-keys", {"channel": "Sms"})),
        ("telemarketing", "+573001234567", lambda: api.contract(
            "telemarketing", "generate",
            {"customerId": "c-1", "phoneNumber": "3001234567", "messagePrefix": "Tu codigo"}, "CO")),
        ("rao", "+525512345678", lambda: api.contract(
            "rao", "generate", {"phoneCountryCode": "+52",
                                "encryptedPhoneNumber": api.rao_encrypt("5512345678", tmp_path)},
            "MX", sid="inbox-rao-1")),
    ]
    page_id = page.execute_script("return window.performance.timeOrigin")
    for family, to, send in sends:
        send()
        started = time.monotonic()
        li = item_to(page, to)
        elapsed = time.monotonic() - started
        print(f"{family}: shown {elapsed * 1000:.0f} ms after the send returned")
        assert li.find_element(By.CSS_SELECTOR, ".family").text == family
        assert li.find_element(By.CSS_SELECTOR, "mark.code").text
        assert state_of(li) == "pending"
        assert "segment" in li.find_element(By.CSS_SELECTOR, ".tag.sms").text
    assert page.execute_script("return window.performance.timeOrigin") == page_id, "the page reloaded"
    assert [li.find_element(By.CSS_SELECTOR, ".family").text for li in items(page)] == [
        "rao", "telemarketing", "contacts", "verify-api"], "newest first"
    page.save_screenshot(str(shots / "inbox.png"))


def test_the_copied_code_verifies_and_the_state_follows_the_session(page, api, shots):
    live(page)
    otp_id = send_otp(api, "+971501234568")
    li = item_to(page, "+971501234568")
    shown = li.find_element(By.CSS_SELECTOR, "mark.code").text
    li.find_element(By.CSS_SELECTOR, "button.copy").click()
    copied = page.execute_async_script(
        "navigator.clipboard.readText().then(arguments[0], () => arguments[0](null))")
    assert copied == shown
    status, _, body = api.call("POST", "/verify/v1/otp/verify-otp", {"otp_id": otp_id, "otp_code": copied})
    assert (status, body) == (200, {"status": "APPROVED"})
    until(page, lambda d: state_of(li) == "verified", what="the verified state")

    otp_id = send_otp(api, "+971501234569")
    li = item_to(page, "+971501234569")
    wrong = "000000" if li.find_element(By.CSS_SELECTOR, "mark.code").text != "000000" else "111111"
    for _ in range(10):
        status, _, _ = api.call("POST", "/verify/v1/otp/verify-otp", {"otp_id": otp_id, "otp_code": wrong})
        if status != 400:
            break
    until(page, lambda d: state_of(li) == "locked", what="the locked state")
    page.save_screenshot(str(shots / "states.png"))


def test_a_test_recipient_is_marked_and_shows_its_fixed_code(page, api):
    live(page)
    send_otp(api, TEST_RECIPIENT)
    li = item_to(page, TEST_RECIPIENT)
    assert "test recipient" in li.find_element(By.CSS_SELECTOR, ".tag.test").text
    assert li.find_element(By.CSS_SELECTOR, "mark.code").text == TEST_CODE


def test_an_email_renders_its_html_in_a_sandbox_where_scripts_never_run(page, api, shots):
    live(page)
    status, _, _ = api.call("POST", "/contacts/1/verification-keys", {"channel": "Email"})
    assert status == 200
    li = item_to(page, "ana@example.com")
    code = li.find_element(By.CSS_SELECTOR, "mark.code").text
    frame = li.find_element(By.CSS_SELECTOR, "iframe")
    assert frame.get_attribute("sandbox") == ""
    page.switch_to.frame(frame)
    assert code in page.find_element(By.TAG_NAME, "body").text
    page.switch_to.default_content()
    li.find_element(By.CSS_SELECTOR, "button[data-tab=text]").click()
    assert code in li.find_element(By.CSS_SELECTOR, "pre.text").text

    title = page.title
    html = ("<p id='x'>script did not run</p>"
            "<script>document.getElementById('x').textContent = 'script ran';"
            "parent.document.title = 'pwned'; alert(1)</script>"
            "<img src=x onerror=\"document.getElementById('x').textContent = 'handler ran'\">")
    status, _, _ = api.call("POST", "/_local/outbox", {
        "to": "dev@example.com", "subject": "Preview", "body": "text part", "html": html})
    assert status == 201
    li = item_to(page, "dev@example.com")
    frame = li.find_element(By.CSS_SELECTOR, "iframe")
    page.switch_to.frame(frame)
    until(page, lambda d: d.find_elements(By.ID, "x"), 3, "the email's HTML")
    time.sleep(0.3)  # give a script every chance to run
    assert page.find_element(By.ID, "x").text == "script did not run"
    page.switch_to.default_content()
    assert page.title == title and no_alert(page)
    page.save_screenshot(str(shots / "email.png"))


def test_markup_a_caller_wrote_shows_as_text(page, api):
    live(page)
    policy = urllib.request.urlopen(api.base + "/_local/").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy, policy
    title = page.title
    content = "<b>bold</b><img src=x onerror=\"document.title='pwned'\"> {}"
    send_otp(api, "+971501234570", content)
    li = item_to(page, "+971501234570")
    bubble = li.find_element(By.CSS_SELECTOR, ".bubble")
    assert "<b>bold</b><img src=x" in bubble.text
    assert not bubble.find_elements(By.CSS_SELECTOR, "b, img")

    prefix = "<script>alert(1)</script>"
    status, _, body = api.contract("telemarketing", "generate", {
        "customerId": "c-2", "phoneNumber": "3001234568", "messagePrefix": prefix}, "CO")
    assert status == 200, body
    li = item_to(page, "+573001234568")
    assert prefix in li.find_element(By.CSS_SELECTOR, ".bubble").text

    subject = "<i>Hi</i><script>alert(2)</script>"
    api.call("POST", "/_local/outbox", {"to": "x@example.com", "subject": subject, "body": "b"})
    li = item_to(page, "x@example.com")
    assert li.find_element(By.CSS_SELECTOR, ".subject").text == subject
    assert not page.find_elements(By.CSS_SELECTOR, "#messages i, #messages script")
    assert page.title == title and no_alert(page)


def test_a_phone_width_and_dark_mode(page, api, shots):
    live(page)
    send_otp(api, "+971501234571", "Your verification code for the Example app is {}. Never share it.")
    api.call("POST", "/contacts/1/verification-keys", {"channel": "Email"})
    item_to(page, "ana@example.com")
    page.set_window_size(390, 844)
    until(page, lambda d: d.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"), 2, "no sideways scroll")
    page.save_screenshot(str(shots / "phone.png"))
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    background = page.execute_script("return getComputedStyle(document.body).backgroundColor")
    channels = [int(c) for c in background[background.index("(") + 1:-1].split(",")[:3]]
    assert sum(channels) < 3 * 64, background
    page.save_screenshot(str(shots / "phone-dark.png"))


def test_the_page_keeps_up_with_two_hundred_messages(page, api):
    live(page)
    started = time.monotonic()
    for i in range(200):
        status, _, _ = api.call("POST", "/_local/outbox", {"to": f"user{i}@example.com", "body": f"message {i}"})
        assert status == 201
    until(page, lambda d: len(items(d)) == 200, 5, "200 messages")
    print(f"200 messages posted and shown in {time.monotonic() - started:.2f} s")
    to = page.find_element(By.ID, "f-to")
    to.send_keys("user42@")
    until(page, lambda d: [li for li in items(d) if li.is_displayed()].__len__() == 1,
          what="the destination filter")
    to.clear()
    page.find_element(By.ID, "clear").click()
    until(page, lambda d: not items(d), what="the clear button")


def test_every_kind_of_message_side_by_side(page, api, shots, tmp_path):
    """The README's screenshot (docs/inbox.png is a copy of `readme.png`)."""
    live(page)
    otp_id = send_otp(api, "+971501234572", "Your Example code is {}")
    li = item_to(page, "+971501234572")
    code = li.find_element(By.CSS_SELECTOR, "mark.code").text
    assert api.call("POST", "/verify/v1/otp/verify-otp", {"otp_id": otp_id, "otp_code": code})[0] == 200
    api.call("POST", "/contacts/2/verification-keys", {"channel": "Sms"})
    api.contract("telemarketing", "generate",
                 {"customerId": "c-3", "phoneNumber": "3001234569", "messagePrefix": "Tu código"}, "CO")
    send_otp(api, TEST_RECIPIENT)
    api.call("POST", "/contacts/1/verification-keys", {"channel": "Email"})
    item_to(page, "ana@example.com")
    until(page, lambda d: state_of(li) == "verified", what="the verified state")
    states = sorted(e.text for e in page.find_elements(By.CSS_SELECTOR, "#messages .state"))
    assert states == ["pending"] * 4 + ["verified"], states
    page.set_window_size(1100, 1300)
    page.save_screenshot(str(shots / "readme.png"))


def test_a_page_opened_late_shows_what_was_already_delivered(api, driver):
    api.call("DELETE", "/_local/outbox")
    send_otp(api, "+971501234573")
    driver.get(api.base + "/_local/")
    li = item_to(driver, "+971501234573", timeout=3)
    assert li.find_element(By.CSS_SELECTOR, "mark.code").text
