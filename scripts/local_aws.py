"""A local AWS for `cargo lambda watch` and `cargo lambda invoke` (scripts/local-aws.sh runs it).

  local_aws.py setup ENDPOINT           tables as template.yaml defines them, the example
                                        contacts, the SES sender, the pepper and RAO key
                                        secrets; writes .env.local
  local_aws.py sms NUMBER               the last SMS moto received for NUMBER
  local_aws.py event NAME SENT          a sample event of events/ filled from the answer of
                                        the send before it (the file `cargo lambda invoke`
                                        wrote) and the code moto received:
                                        verify-verification-key

The other samples need no filling: setup makes their recipients test recipients
(events/samples.env), with the codes and session ids they name.

Running setup twice is harmless: what exists is kept (the pepper too, so sessions stay
verifiable).
"""

import hashlib
import json
import os
import pathlib
import re
import secrets
import sys
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / ".env.local"
SESSIONS, CONTACTS, SENDER = "otp-sessions", "otp-contacts", "otp@example.com"
TOKEN = "local-dev-token"  # the sample events' Bearer token and header-contract client token
REGION = "us-east-1"


def template_table(name):
    """A table's key, attributes and TTL as template.yaml declares them (its tags ignored)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    props = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)["Resources"][name]["Properties"]
    return props["AttributeDefinitions"], props["KeySchema"], props.get("TimeToLiveSpecification")


def setup(endpoint):
    import boto3

    os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
    db = boto3.client("dynamodb", endpoint_url=endpoint)
    existing = db.list_tables()["TableNames"]
    for table, resource in ((SESSIONS, "SessionsTable"), (CONTACTS, "ContactsTable")):
        attributes, key, ttl = template_table(resource)
        if table not in existing:
            db.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=attributes, KeySchema=key)
        if ttl:
            db.update_time_to_live(TableName=table, TimeToLiveSpecification=ttl)
    contacts = boto3.resource("dynamodb", endpoint_url=endpoint).Table(CONTACTS)
    for contact in json.loads((ROOT / "functions/local-api/contacts.example.json").read_text()):
        contacts.put_item(Item={k: v for k, v in contact.items() if v is not None})
    boto3.client("ses", endpoint_url=endpoint).verify_email_identity(EmailAddress=SENDER)
    sm = boto3.client("secretsmanager", endpoint_url=endpoint)
    names = {s["Name"] for s in sm.list_secrets()["SecretList"]}
    if "local/pepper" not in names:
        sm.create_secret(Name="local/pepper", SecretString=secrets.token_hex(32))
    if "local/rao-private-key" not in names:
        key = (ROOT / "shared/dev-keys/rao-private.DEVELOPMENT-ONLY.pem").read_text()
        sm.create_secret(Name="local/rao-private-key", SecretString=key)
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": REGION,
        "OTP_SESSIONS_TABLE": SESSIONS,
        "OTP_CONTACTS_TABLE": CONTACTS,
        "OTP_EMAIL_FROM": SENDER,
        "OTP_PEPPER_SECRET": "local/pepper",
        "OTP_RAO_PRIVATE_KEY_SECRET": "local/rao-private-key",
        "OTP_API_TOKENS": f"local:{digest}",
        "OTP_ACCESS": json.dumps({"local": {"token_sha256": digest, "allow": ["*/*/*"]}}, separators=(",", ":")),
        "OTP_TEST_RECIPIENTS": samples_test_recipients(),
    }
    ENV_FILE.write_text("# Written by scripts/local-aws.sh: the functions against the local AWS.\n"
                        + "".join(f"{k}='{v}'\n" for k, v in env.items()))
    print(f"tables {SESSIONS} and {CONTACTS}, 3 contacts, sender {SENDER}, secrets local/pepper "
          f"and local/rao-private-key, the samples' test recipients; wrote {ENV_FILE.relative_to(ROOT)}")


def samples_test_recipients():
    for line in (ROOT / "events/samples.env").read_text().splitlines():
        if line.startswith("OTP_TEST_RECIPIENTS="):
            return line.split("=", 1)[1].strip("'")
    sys.exit("events/samples.env sets no OTP_TEST_RECIPIENTS")


def endpoint():
    for line in ENV_FILE.read_text().splitlines():
        if line.startswith("AWS_ENDPOINT_URL="):
            return line.split("=", 1)[1].strip("'")
    sys.exit("no .env.local: run scripts/local-aws.sh first")


def sms(number):
    data = json.loads(urllib.request.urlopen(f"{endpoint()}/moto-api/data.json").read())
    texts = [m["message"] for m in data["sns"]["SMS"] if m["phone_number"] == number]
    if not texts:
        sys.exit(f"no SMS to {number} yet")
    return texts[-1]


def code_in(text):
    words = [w for w in re.findall(r"[A-Za-z0-9]+", text) if any(c.isdigit() for c in w) and len(w) >= 4]
    return words[-1]


def answer(path):
    """What `cargo lambda invoke` printed: the API Gateway answer of the function."""
    out = json.loads(pathlib.Path(path).read_text())
    return out, json.loads(out.get("body") or "null")


def sample(name):
    return json.loads((ROOT / "events" / f"{name}.json").read_text())


def event(name, sent):
    _, body = answer(sent)
    ev = sample(name)
    if name == "verify-verification-key":
        contacts = json.loads((ROOT / "functions/local-api/contacts.example.json").read_text())
        phone = next(c["phone"] for c in contacts if str(c["contactId"]) == ev["pathParameters"]["contactId"])
        ev["pathParameters"].update(sessionId=body["generatedSessionId"], key=code_in(sms(phone)))
    else:
        sys.exit(f"no filling for {name}")
    return json.dumps(ev)


if __name__ == "__main__":
    command, *args = sys.argv[1:] or ["help"]
    if command == "setup":
        setup(*args)
    elif command == "sms":
        print(sms(*args))
    elif command == "event":
        print(event(*args))
    else:
        sys.exit(__doc__)
