"""Every Lambda binary, run by cargo-lambda's runtime emulator (`cargo lambda watch`) against
moto, fed the sample events of `events/`: mains, wiring and configuration as deployed.

scripts/test.sh starts moto and `cargo lambda watch`, creates the tables, and sets
AWS_ENDPOINT_URL, LAMBDA_RUNTIME_URL and the OTP_* variables.
"""

import base64
import copy
import subprocess
import json
import os
import sys
import pathlib
import urllib.request

import boto3
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from log_audit import audited  # noqa: E402  (tests/log_audit.py, shared by the Python suites)

ROOT = pathlib.Path(__file__).resolve().parents[2]
MOTO = os.environ["AWS_ENDPOINT_URL"]
RUNTIME = os.environ["LAMBDA_RUNTIME_URL"]


def event(name):
    return json.loads((ROOT / "events" / f"{name}.json").read_text())


def invoke_raw(function, payload):
    req = urllib.request.Request(
        f"{RUNTIME}/2015-03-31/functions/{function}/invocations",
        data=json.dumps(payload).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=120) as res:
        return json.loads(res.read())


def invoke(function, payload):
    out = invoke_raw(function, payload)
    return out["statusCode"], json.loads(out.get("body") or "null")


def delivered(to):
    data = json.loads(urllib.request.urlopen(f"{MOTO}/moto-api/data.json").read())
    texts = [m["message"] for m in data["sns"]["SMS"] if m["phone_number"] == to]
    texts += [m["body"] for m in data["ses"]["Message"] if to in m["destinations"]["ToAddresses"]]
    return texts


def code_in(text):
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if len(w) >= 4 and any(ch.isdigit() for ch in w)]
    return audited(words[-1])




@pytest.fixture(scope="module", autouse=True)
def contacts():
    table = boto3.resource("dynamodb", endpoint_url=MOTO).Table(os.environ["OTP_CONTACTS_TABLE"])
    table.put_item(Item={"contactId": 1, "phone": "+12025550101", "email": "ana@example.com", "language": "en"})
    table.put_item(Item={"contactId": 2, "phone": "+34612345602", "pendingPhone": "+34612345622", "language": "es"})


def test_verify_api_functions_send_verify_and_report():
    status, sent = invoke("send-otp", event("send-otp"))
    assert status == 200 and sent["status"] == "OPEN", sent
    code = code_in(delivered("+971501234567")[-1])
    verify = event("verify-otp")
    verify["body"] = json.dumps({"otp_id": sent["otp_id"], "otp_code": code})
    assert invoke("verify-otp", verify) == (200, {"status": "APPROVED"})
    report = event("otp-report")
    report["pathParameters"] = {"otp_id": sent["otp_id"]}
    status, body = invoke("otp-report", report)
    assert status == 200 and body["status"] == "APPROVED", body
    resend = event("resend-otp")
    resend["body"] = json.dumps({"otp_id": sent["otp_id"]})
    status, body = invoke("resend-otp", resend)
    assert (status, body["detail"]["code"]) == (400, "OTP_ALREADY_VERIFIED")


def test_contact_functions_send_check_and_verify():
    status, sent = invoke("send-verification-key", event("send-verification-key"))
    assert status == 200, sent
    session = sent["generatedSessionId"]
    sms = delivered("+12025550101")[-1]
    assert sms.startswith("Tu clave para entrar es"), sms  # ?language=es, template "login"
    code = code_in(sms)
    for function in ("check-verification-key", "verify-verification-key"):
        ev = event(function)
        ev["pathParameters"] = {"contactId": "1", "sessionId": session, "key": code}
        assert invoke(function, ev) == (200, {"keyStatus": "Valid", "attemptsLeft": 5})
    status, _ = invoke("send-pending-verification-key", event("send-pending-verification-key"))
    assert status == 200
    assert delivered("+34612345622"), "the pending phone got its code"


def test_telemarketing_functions_generate_and_validate():
    out = invoke_raw("telemarketing-generate", event("telemarketing-generate"))
    assert out["statusCode"] == 200, out
    head = json.loads(out["body"])["oneTimePasswordToken"]
    sid = out["headers"]["sid"]
    sms = delivered("+525587654321")[-1]
    prefix = "Citi Identification Code Service "
    assert sms.startswith(prefix), sms
    tail = sms[len(prefix):].split(" ")[0]
    validate = event("telemarketing-validate")
    validate["headers"]["sid"] = sid
    validate["body"] = json.dumps({"customerId": "test_1234", "oneTimePasswordToken": head + tail})
    assert invoke("telemarketing-validate", validate) == (200, {})
    status, body = invoke("telemarketing-validate", validate)
    assert (status, body["code"]) == (400, "OTP Token Invalid")


def test_rao_functions_generate_validate_and_certify():
    assert invoke("rao-generate", event("rao-generate")) == (200, {})
    code = code_in(delivered("+525512345678")[-1])
    validate = event("rao-validate")
    body = json.loads(validate["body"])
    body["encryptedOneTimePasswordToken"] = encrypt(code)
    validate["body"] = json.dumps(body)
    assert invoke("rao-validate", validate) == (200, {})
    assert invoke("rao-certified-phone", event("rao-certified-phone")) == (200, {"phoneCountryCode": "+52", "phoneNumber": "5512345678"})


def encrypt(text):
    """What a consumer does: RSA-OAEP (SHA-256, MGF1 SHA-256) under the public key, base64."""
    out = subprocess.run(
        ["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", str(ROOT / "shared/dev-keys/rao-public.DEVELOPMENT-ONLY.pem"),
         "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"],
        input=text.encode(), capture_output=True, check=True,
    ).stdout
    return base64.b64encode(out).decode()


@pytest.mark.parametrize(
    "name, status",
    [
        ("send-otp.invalid-recipient", 422),
        ("send-verification-key.missing-auth", 401),
        ("send-verification-key.unknown-channel", 400),
        ("telemarketing-generate.access-not-configured", 403),
        ("telemarketing-generate.missing-uuid", 400),
        ("rao-generate.tampered", 400),
    ],
)
def test_bad_sample_events_get_their_error(name, status):
    assert invoke(name.split(".")[0], event(name))[0] == status


def test_a_client_with_a_webhook_gets_its_sms_through_it_signed():
    """Client `hooked` (OTP_SMS_WEBHOOK_URL) as deployed: the secret comes from Secrets Manager
    at cold start, the SMS reaches the relay signed and never SNS, and its code verifies."""
    from http.server import BaseHTTPRequestHandler, HTTPServer
    import threading
    from standardwebhooks.webhooks import Webhook

    received = []

    class Relay(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            received.append(Webhook(os.environ["WEBHOOK_SECRET"]).verify(body, headers))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    relay = HTTPServer(("127.0.0.1", int(os.environ["WEBHOOK_RELAY_PORT"])), Relay)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    try:
        send = event("send-otp")
        send["headers"]["authorization"] = "Bearer hooked-dev-token"
        body = json.loads(send["body"])
        body["recipient"] = "+971501234599"
        send["body"] = json.dumps(body)
        status, sent = invoke("send-otp", send)
        assert status == 200, sent
        [message] = received
        assert (message["client"], message["session"], message["to"]) == ("hooked", sent["otp_id"], "+971501234599")
        assert delivered("+971501234599") == [], "not through SNS"
        verify = event("verify-otp")
        verify["headers"]["authorization"] = "Bearer hooked-dev-token"
        verify["body"] = json.dumps({"otp_id": sent["otp_id"], "otp_code": code_in(message["body"])})
        assert invoke("verify-otp", verify) == (200, {"status": "APPROVED"})
        # The relay reports the carrier's outcome back, signed: `sms-receipts` as deployed.
        receipt = event("sms-receipts")
        receipt["body"] = json.dumps({"id": message["id"], "status": "delivered", "price_usd": 0.0075})
        now = __import__("datetime").datetime.now(__import__("datetime").timezone.utc)
        receipt["headers"].update({"webhook-id": "cb_lambda", "webhook-timestamp": str(int(now.timestamp())),
                                   "webhook-signature": Webhook(os.environ["WEBHOOK_SECRET"]).sign("cb_lambda", now, receipt["body"])})
        assert invoke("sms-receipts", receipt) == (200, {})
        report = event("otp-report")
        report["headers"]["authorization"] = "Bearer hooked-dev-token"
        report["rawPath"] = report["requestContext"]["http"]["path"] = f"/verify/v1/report/{sent['otp_id']}"
        report["pathParameters"] = {"otp_id": sent["otp_id"]}
        status, r = invoke("otp-report", report)
        assert (status, r["delivery"], r["price"]) == (200, "delivered", "0.0075"), r
        assert invoke("sms-receipts", event("sms-receipts"))[0] == 401, "the sample is a stale callback"
    finally:
        relay.shutdown()
