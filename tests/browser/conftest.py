"""The local server and a headless Chromium for the inbox page's tests.

`LOCAL_API_BIN` is the `local-api` binary the test command built; `CHROMIUM` and
`CHROMEDRIVER` are Debian's (scripts/test.sh installs them). Screenshots go to
`INBOX_SCREENSHOTS` (under `target/`), the server's log to `INBOX_LOG`.
"""

import json
import os
import pathlib
import subprocess
import sys
import urllib.request

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from local_api import local_api  # noqa: E402  (tests/local_api.py)
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

TOKEN = "inbox-test-token"
TEST_RECIPIENT = "+12025550100"
TEST_CODE = "246810"


class Api:
    """The local server over HTTP, as a developer's frontend calls it."""

    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        req.add_header("authorization", f"Bearer {TOKEN}")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                text = res.read().decode()
                return res.status, dict(res.headers), json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return e.code, dict(e.headers), json.loads(text) if text else None

    def contract(self, family, action, body, country, sid=None):
        headers = {"client_id": "local", "uuid": "inbox-test", "countryCode": country,
                   "businessCode": "GCB", "channelId": "WEB"}
        if sid:
            headers["sid"] = sid
        path = {"telemarketing": "/v1/x-global/security/tele-marketing/otp/",
                "rao": "/v1/x-global/security/rao/otp/"}[family] + action
        return self.call("POST", path, body, headers)

    def rao_encrypt(self, text, tmp):
        key = tmp / "rao-public.pem"
        if not key.exists():
            with urllib.request.urlopen(self.base + "/_local/rao-public-key") as res:
                key.write_bytes(res.read())
        out = subprocess.run(
            ["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", str(key),
             "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
             "-pkeyopt", "rsa_mgf1_md:sha256"],
            input=text.encode(), capture_output=True, check=True)
        import base64
        return base64.b64encode(out.stdout).decode()


@pytest.fixture(scope="session")
def api(tmp_path_factory):
    log_path = os.environ.get("INBOX_LOG") or tmp_path_factory.mktemp("logs") / "local-api.log"
    with local_api(TOKEN, log_path, OTP_TEST_RECIPIENTS=f"{TEST_RECIPIENT}={TEST_CODE}") as base:
        yield Api(base)


@pytest.fixture(scope="session")
def driver():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--lang=en-US"):
        options.add_argument(arg)
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    d = webdriver.Chrome(options=options, service=service)
    yield d
    d.quit()


@pytest.fixture(scope="session")
def shots():
    path = pathlib.Path(os.environ.get("INBOX_SCREENSHOTS", "target/inbox-screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture()
def page(api, driver):
    """The inbox, opened on an empty outbox."""
    api.call("DELETE", "/_local/outbox")
    driver.set_window_size(1280, 900)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    driver.get(api.base + "/_local/")
    driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": api.base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    return driver
