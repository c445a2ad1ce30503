"""SMS delivery receipts as deployed: `send-otp` publishes through moto's SNS; SNS's delivery
status line for that message (the documented shape) goes into moto's CloudWatch Logs, is read
back as a subscription delivers it, and `session-events` records it; `otp-report` shows it.
Also the template's custom resource that turns SNS delivery status logging on, run against moto.
"""

import base64
import gzip
import http.server
import json
import pathlib
import threading
import uuid

import boto3
import yaml

from test_functions import contacts, event, invoke, invoke_raw  # noqa: F401 (contacts: a fixture)

ROOT = pathlib.Path(__file__).resolve().parents[2]
GROUP = "sns/us-east-1/123456789012/DirectPublishToPhoneNumber"


def linked_message(otp_id):
    """The SNS message id the service linked to session `otp_id` (its `dr#sns:` item)."""
    items = boto3.client("dynamodb").scan(TableName="lambda-sessions")["Items"]
    ids = [i["pk"]["S"].removeprefix("dr#sns:") for i in items
           if i["pk"]["S"].startswith("dr#sns:") and i["session"]["S"].endswith(otp_id)]
    assert len(ids) == 1, items
    return ids[0]


def status_line(message_id, success, response):
    return json.dumps({
        "notification": {"messageId": message_id, "timestamp": "2026-11-23 01:56:39.558"},
        "delivery": {"phoneCarrier": "My Phone Carrier", "mnc": 270, "destination": "+1XXX5550100",
                     "priceInUSD": 0.00645, "smsType": "Transactional", "mcc": 310,
                     "providerResponse": response, "dwellTimeMs": 599, "dwellTimeMsUntilDeviceAck": 1344},
        "status": "SUCCESS" if success else "FAILURE",
    })


def through_cloudwatch_logs(group, lines):
    """`lines` written to `group` in moto's CloudWatch Logs, read back and wrapped as a
    subscription filter hands them to Lambda (base64 of gzipped JSON)."""
    logs = boto3.client("logs")
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    stream = uuid.uuid4().hex
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": 1795399000000 + i, "message": line} for i, line in enumerate(lines)])
    events = logs.filter_log_events(logGroupName=group, logStreamNames=[stream])["events"]
    data = {"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": group, "logStream": stream,
            "subscriptionFilters": ["otp-sms-receipts"],
            "logEvents": [{"id": e["eventId"], "timestamp": e["timestamp"], "message": e["message"]} for e in events]}
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}


def send():
    status, body = invoke("send-otp", event("send-otp"))
    assert status == 200, body
    return body["otp_id"]


def report(otp_id):
    ev = event("otp-report")
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = f"/verify/v1/report/{otp_id}"
    ev["pathParameters"] = {"otp_id": otp_id}
    status, body = invoke("otp-report", ev)
    assert status == 200, body
    return body


def test_sns_delivery_logs_reach_the_report_through_session_events():
    delivered, unreachable = send(), send()
    invoke_raw("session-events", through_cloudwatch_logs(GROUP, [
        status_line(linked_message(delivered), True, "Message has been accepted by phone carrier")]))
    invoke_raw("session-events", through_cloudwatch_logs(GROUP + "/Failure", [
        status_line(linked_message(unreachable), False, "Phone is currently unreachable/unavailable")]))
    r = report(delivered)
    assert (r["delivery"], r["delivered_at"], r["price"]) == ("delivered", "2026-11-23T01:56:40Z", "0.00645"), r
    r = report(unreachable)
    assert (r["delivery"], r["delivery_reason"]) == ("failed", "Phone is currently unreachable/unavailable"), r


def custom_resource():
    """The inline code of template.yaml's SmsDeliveryLoggingSetup, as Lambda would load it."""
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)
    code = template["Resources"]["SmsDeliveryLoggingSetup"]["Properties"]["Code"]["ZipFile"]
    module = {}
    exec(compile(code, "index.py", "exec"), module)
    return module["handler"]


def answer_of(handler, request_type, role):
    """Runs the handler for one CloudFormation request; what it PUT to the response URL."""
    answers = []

    class ResponseUrl(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):
            answers.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), ResponseUrl)
    threading.Thread(target=server.handle_request, daemon=True).start()
    handler({"RequestType": request_type, "ResponseURL": f"http://127.0.0.1:{server.server_port}/cfn",
             "StackId": "stack", "RequestId": "r1", "LogicalResourceId": "SmsDeliveryLogging",
             "ResourceProperties": {"DeliveryStatusIAMRole": role, "DeliveryStatusSuccessSamplingRate": "100"}},
            None)
    server.server_close()
    return answers[0]


def test_the_template_turns_sns_delivery_status_logging_on_and_off():
    handler, sns = custom_resource(), boto3.client("sns")
    role = "arn:aws:iam::123456789012:role/otp-sms-delivery-status"
    assert answer_of(handler, "Create", role)["Status"] == "SUCCESS"
    attributes = sns.get_sms_attributes()["attributes"]
    assert (attributes["DeliveryStatusIAMRole"], attributes["DeliveryStatusSuccessSamplingRate"]) == (role, "100")
    assert answer_of(handler, "Delete", role)["Status"] == "SUCCESS"
    assert sns.get_sms_attributes()["attributes"].get("DeliveryStatusIAMRole", "") == ""


def test_an_ses_hard_bounce_through_session_events_suppresses_the_address():
    def send(session):
        ev = event("send-verification-key")
        ev["body"] = json.dumps({"channel": "Email", "sessionId": session})
        return invoke("send-verification-key", ev)

    assert send("bounce-1")[0] == 200
    items = boto3.client("dynamodb").scan(TableName="lambda-sessions")["Items"]
    [message_id] = [i["pk"]["S"].removeprefix("dr#ses:") for i in items
                    if i["pk"]["S"].startswith("dr#ses:") and i["session"]["S"].endswith("#bounce-1")]
    bounce = json.loads((ROOT / "events/session-events.email-bounced.json").read_text())
    bounce["detail"]["mail"]["messageId"] = message_id
    bounce["detail"]["bounce"]["bouncedRecipients"][0]["emailAddress"] = "ana@example.com"
    invoke_raw("session-events", bounce)
    status, body = send("bounce-2")
    assert (status, body["subCode"]) == (403, "DestinationSuppressed"), body
