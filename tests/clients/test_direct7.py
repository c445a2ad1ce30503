"""The Verify API's published Python client (`direct7` on PyPI) against the local server.

scripts/test.sh starts `local-api` and sets LOCAL_API_URL and LOCAL_API_TOKEN.
"""

import os
import pathlib
import sys
import time

import pytest
import requests
from direct7 import Client
from direct7.errors import BadRequest, NotFoundError, AuthenticationError

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from log_audit import audited  # noqa: E402  (tests/log_audit.py, shared by the Python suites)

BASE = os.environ["LOCAL_API_URL"]
TOKEN = os.environ["LOCAL_API_TOKEN"]


@pytest.fixture
def client():
    c = Client(api_token=TOKEN)
    c.host(BASE)
    return c


def last_code(recipient):
    messages = [m for m in requests.get(f"{BASE}/_local/outbox").json() if m["to"] == recipient]
    return audited(messages[-1]["body"].split()[-1])




def test_send_verify_and_status(client):
    sent = client.verify.send_otp(
        originator="SignOTP",
        recipient="+971501234567",
        content="Greetings from D7 API, your mobile verification code is: {}",
        data_coding="text",
        expiry=600,
    )
    assert sent["status"] == "OPEN" and sent["expiry"] == 600
    code = last_code("+971501234567")
    assert client.verify.verify_otp(otp_id=sent["otp_id"], otp_code=code) == {"status": "APPROVED"}
    assert client.verify.verify_otp(otp_id=sent["otp_id"], otp_code=code) == {"status": "ALREADY_VERIFIED"}
    status = client.verify.get_status(sent["otp_id"])
    assert status["otp_id"] == sent["otp_id"] and status["status"] == "APPROVED"


def test_defaults_when_the_client_sends_nulls(client):
    # send_otp with only the required arguments sends content/expiry/data_coding as null.
    sent = client.verify.send_otp(originator="SignOTP", recipient="971501234568")
    assert sent["expiry"] == 600
    body = requests.get(f"{BASE}/_local/outbox").json()[-1]["body"]
    assert body.startswith("Your verification code is ")


def test_template_id_form(client):
    sent = client.verify.send_otp(originator="SignOTP", recipient="+971501234569", template_id=7)
    assert sent["status"] == "OPEN"


def test_resend_waits_for_the_retry_delay_then_sends_a_new_code(client):
    # scripts/test.sh starts local-api with OTP_VERIFY_RETRY_DELAY_SECONDS=2.
    sent = client.verify.send_otp(originator="SignOTP", recipient="+971501234570", content="Code {}")
    first = last_code("+971501234570")
    with pytest.raises(BadRequest, match="Frequent resend request, resend request need minimum 2 seconds delay"):
        client.verify.resend_otp(sent["otp_id"])
    time.sleep(2.1)
    resent = client.verify.resend_otp(sent["otp_id"])
    assert resent == {"otp_id": sent["otp_id"], "status": "OPEN", "expiry": 600, "resend_count": 1}
    second = last_code("+971501234570")
    if second != first:
        with pytest.raises(BadRequest, match="INVALID_OTP_CODE"):
            client.verify.verify_otp(otp_id=sent["otp_id"], otp_code=first)
    assert client.verify.verify_otp(otp_id=sent["otp_id"], otp_code=second) == {"status": "APPROVED"}


def test_wrong_code_raises_bad_request(client):
    sent = client.verify.send_otp(originator="SignOTP", recipient="+971501234571", content="Code {}")
    code = last_code("+971501234571")
    wrong = "".join("1" if c == "0" else "0" for c in code)
    with pytest.raises(BadRequest, match="INVALID_OTP_CODE"):
        client.verify.verify_otp(otp_id=sent["otp_id"], otp_code=wrong)
    assert client.verify.get_status(sent["otp_id"])["attempts"] == 1


def test_unknown_id_raises_not_found(client):
    with pytest.raises(NotFoundError, match="MESSAGE_LOG_NOT_EXISTS"):
        client.verify.get_status("0012c7f5-2ba5-49db-8901-4ee9be6dc8d1")


def test_bad_token_raises_authentication_error():
    c = Client(api_token="not-the-token")
    c.host(BASE)
    with pytest.raises(AuthenticationError):
        c.verify.get_status("0012c7f5-2ba5-49db-8901-4ee9be6dc8d1")
