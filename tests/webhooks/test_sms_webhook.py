"""The signed SMS webhook (`OTP_SMS_WEBHOOK_URL`) as an operator's relay sees it: a real HTTP
receiver verifies every request with the Standard Webhooks reference library; retries keep
their `webhook-id`; refusals, outages and timeouts are the family's delivery error and spend
no budget."""

import base64
import json
from datetime import datetime, timezone
import os
import pathlib
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from local_api import free_port, local_api  # noqa: E402  (tests/local_api.py)
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

TOKEN = "webhook-test-token"
SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class Relay:
    """The operator's endpoint: answers from a script (`plan`), then 200; records each request
    and whether its signature verified."""

    def __init__(self):
        self.requests, self.plan = [], []
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(SECRET).verify(body, headers)
                    verified = True
                except WebhookVerificationError:
                    verified = False
                relay.requests.append({"headers": headers, "body": json.loads(body), "verified": verified})
                answer = relay.plan.pop(0) if relay.plan else 200
                if answer == "hang":
                    time.sleep(3)
                    answer = 200
                out = json.dumps({"message_id": f"provider-{len(relay.requests)}"}).encode()
                try:
                    self.send_response(answer)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except BrokenPipeError:
                    pass  # the service gave up on this attempt (the timeout case)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self, plan=()):
        self.requests, self.plan = [], list(plan)


@pytest.fixture(scope="module")
def relay():
    r = Relay()
    yield r
    r.server.shutdown()


@pytest.fixture(scope="module")
def api(relay):
    with local_api(TOKEN, os.environ.get("WEBHOOK_LOG"), OTP_SMS_WEBHOOK_URL=relay.url,
                   OTP_SMS_WEBHOOK_SECRET=SECRET, OTP_DESTINATION_SENDS_PER_WINDOW="2") as base:
        yield base


def answer(req):
    """Status and JSON body of `req`, whatever the status."""
    try:
        with urllib.request.urlopen(req, timeout=15) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def post(base, path, body):
    return answer(urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"authorization": f"Bearer {TOKEN}",
                                                  "content-type": "application/json"}))


def send(api, to):
    return post(api, "/verify/v1/otp/send-otp", {"recipient": to, "content": "Your code is {}"})


def test_each_sms_is_posted_signed_and_its_code_verifies(api, relay):
    relay.reset()
    status, sent = send(api, "+971501110001")
    assert status == 200, sent
    [request] = relay.requests
    assert request["verified"], "the reference library accepts the signature"
    body, headers = request["body"], request["headers"]
    assert headers["webhook-id"] == body["id"] and body["id"].startswith("msg_")
    assert (body["to"], body["channel"], body["family"], body["client"], body["session"]) == (
        "+971501110001", "sms", "verify-api", "local", sent["otp_id"])
    assert body["expires_at"] > time.time()
    with pytest.raises(WebhookVerificationError):
        raw = json.dumps(body).encode()
        Webhook("whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()).verify(raw, headers)
    code = body["body"].removeprefix("Your code is ")
    assert post(api, "/verify/v1/otp/verify-otp", {"otp_id": sent["otp_id"], "otp_code": code}) == (
        200, {"status": "APPROVED"})
    outbox = json.loads(urllib.request.urlopen(api + "/_local/outbox").read())
    assert all(m["to"] != "+971501110001" for m in outbox), "relayed, not kept locally"


def test_a_failed_attempt_is_retried_with_the_same_webhook_id(api, relay):
    relay.reset([500, "hang"])
    started = time.monotonic()
    status, _ = send(api, "+971501110002")
    assert status == 200
    assert [r["verified"] for r in relay.requests] == [True, True, True]
    assert len({r["headers"]["webhook-id"] for r in relay.requests}) == 1
    print(f"500, a timeout, then 200: {time.monotonic() - started:.1f} s")


def test_refusals_and_outages_are_the_family_error_and_spend_nothing(api, relay):
    relay.reset([400])
    status, body = send(api, "+971501110003")
    assert status == 502, body
    assert len(relay.requests) == 1, "a 4xx is not retried"

    # Three failed sends to one number whose budget is 2 per window: none is charged.
    for _ in range(3):
        relay.reset([503, 503, 503])
        status, _ = send(api, "+971501110004")
        assert status == 502
        assert len(relay.requests) == 3, "bounded retries"
    relay.reset()
    assert send(api, "+971501110004")[0] == 200


def test_emails_stay_with_their_own_sender(api, relay):
    relay.reset()
    status, _ = post(api, "/contacts/1/verification-keys", {"channel": "Email"})
    assert status == 200
    assert relay.requests == []


def callback(api, body, secret=SECRET, timestamp=None):
    """The relay reports back, signed by the Standard Webhooks reference library."""
    raw = json.dumps(body)
    msg_id, when = "cb_" + secrets.token_hex(8), timestamp or time.time()
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(when, tz=timezone.utc), raw)
    return answer(urllib.request.Request(
        api + "/webhooks/sms-receipts", data=raw.encode(), method="POST",
        headers={"content-type": "application/json", "webhook-id": msg_id,
                 "webhook-timestamp": str(int(when)), "webhook-signature": signature}))


def report(api, otp_id):
    req = urllib.request.Request(f"{api}/verify/v1/report/{otp_id}", headers={"authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=15) as res:
        return json.loads(res.read())


def test_the_relays_signed_receipt_reaches_the_report_and_a_forged_one_is_refused(api, relay):
    relay.reset()
    status, sent = send(api, "+971501110009")
    assert status == 200, sent
    message = relay.requests[0]["body"]["id"]
    forged = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    delivered = {"id": message, "status": "delivered", "price_usd": 0.0075}
    assert callback(api, delivered, secret=forged)[0] == 401
    assert callback(api, delivered, timestamp=time.time() - 600)[0] == 401, "a replay"
    assert report(api, sent["otp_id"])["delivery"] is None
    assert callback(api, delivered) == (200, {})
    r = report(api, sent["otp_id"])
    assert (r["delivery"], r["price"]) == ("delivered", "0.0075"), r
