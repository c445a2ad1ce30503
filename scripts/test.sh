#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the Python tools (moto, the direct7
# client, pytest, cfn-lint, aws-sam-cli, selenium, standardwebhooks) into .venv, starts moto's
# server on a free 127.0.0.1 port, runs every Rust test (unit, handler, emulator, end-to-end),
# drives the local server with the published client, its inbox page in headless Chromium
# (Debian's chromium, installed with apt-get if missing) and its signed SMS webhook, lints the
# SAM template, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${OTP_VENV:-.venv}"
LOGS="target/test-logs"
rm -rf "$LOGS"
mkdir -p "$LOGS"
# The Rust tests write their service logs and the secrets they handled here (tests/src/audit.rs);
# the last step scans every log of the run for those secrets.
export OTP_TEST_LOG_DIR="$PWD/$LOGS"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

step() { printf '\n==> %s\n' "$*"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # url, what
  for _ in $(seq 1 150); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$2 did not come up at $1" >&2
  return 1
}

step "Python tools into $VENV"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements.txt

step "moto server"
moto_port=$(free_port)
"$VENV/bin/python" tests/moto_server.py "$moto_port" >"$LOGS/moto.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$moto_port/moto-api/data.json" "moto"
export OTP_TEST_AWS_ENDPOINT="http://127.0.0.1:$moto_port"

step "Rust tests (dev profile, built once)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi

step "published client (direct7) against local-api"
api_port=$(free_port)
token="client-test-$(date +%s%N)"
# A short resend delay lets the client's resend succeed without a minute's wait.
OTP_VERIFY_RETRY_DELAY_SECONDS=2 ./target/debug/local-api --listen "127.0.0.1:$api_port" --token "$token" >"$LOGS/local-api.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$api_port/_local/outbox" "local-api"
LOCAL_API_URL="http://127.0.0.1:$api_port" LOCAL_API_TOKEN="$token" \
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/clients

step "schema fuzzing: schemathesis against local-api's openapi.yaml"
# Bounded (tests/contract/schemathesis.toml: cases per operation) with a fixed seed, so that a
# failure reproduces; ST_SEED=<n> explores another part of the input space.
st_port=$(free_port)
st_token="fuzz-$(date +%s%N)"
./target/debug/local-api --listen "127.0.0.1:$st_port" --token "$st_token" >"$LOGS/local-api-fuzz.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$st_port/openapi.yaml" "local-api (fuzzing)"
ST_TOKEN="$st_token" "$VENV/bin/schemathesis" --no-color --config-file tests/contract/schemathesis.toml \
  run --seed "${ST_SEED:-20261123}" "http://127.0.0.1:$st_port/openapi.yaml" >"$LOGS/schemathesis.log" 2>&1 \
  || { cat "$LOGS/schemathesis.log"; echo "schemathesis found failures (above)" >&2; exit 1; }
sed -n '/^API Operations:/,$p' "$LOGS/schemathesis.log"
python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$st_port" \
  || { echo "local-api did not survive the fuzzing" >&2; exit 1; }

step "the local inbox page (/_local/) in headless Chromium"
# Debian's chromium and its chromedriver (no browser is downloaded from elsewhere).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  as_root=""; [ "$(id -u)" -eq 0 ] || as_root="sudo"
  apt_install() { DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation; }
  { apt_install || { $as_root apt-get update -qq && apt_install; }; } >"$LOGS/apt-chromium.log" 2>&1 \
    || { cat "$LOGS/apt-chromium.log" >&2; echo "could not install chromium and chromium-driver" >&2; exit 1; }
fi
LOCAL_API_BIN=./target/debug/local-api INBOX_SCREENSHOTS=target/inbox-screenshots \
  INBOX_LOG="$LOGS/local-api-inbox.log" SE_OFFLINE=true \
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/browser

step "the signed SMS webhook against a relay that verifies with the Standard Webhooks library"
LOCAL_API_BIN=./target/debug/local-api WEBHOOK_LOG="$LOGS/local-api-webhook.log" \
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/webhooks

step "every function under cargo-lambda's runtime emulator, against moto"
lambda_pepper="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
webhook_secret="whsec_$(python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(24)).decode())')"
export PATH="$(cd "$VENV/bin" && pwd):$PATH"  # cargo-lambda comes from PyPI into the venv
(
  export AWS_ENDPOINT_URL="$OTP_TEST_AWS_ENDPOINT" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
    OTP_PEPPER_SECRET=lambda/pepper LAMBDA_PEPPER="$lambda_pepper" \
    OTP_API_TOKENS="local:$(printf %s local-dev-token | sha256sum | cut -d' ' -f1),hooked:$(printf %s hooked-dev-token | sha256sum | cut -d' ' -f1)" \
    WEBHOOK_RELAY_PORT="$(free_port)" WEBHOOK_SECRET="$webhook_secret" \
    OTP_ACCESS="{\"local\": {\"token_sha256\": \"$(printf %s local-dev-token | sha256sum | cut -d' ' -f1)\", \"allow\": [\"MX/GCB/*\"]}}" \
    OTP_SESSIONS_TABLE=lambda-sessions OTP_CONTACTS_TABLE=lambda-contacts OTP_EMAIL_FROM=otp@example.com \
    OTP_RAO_PRIVATE_KEY_SECRET=lambda/rao-private-key OTP_SMS_WEBHOOK_SECRET_ARN=lambda/sms-webhook
  # Client `hooked` has its SMS handed to a signed webhook (tests/lambda starts the relay).
  export OTP_SMS_WEBHOOK_URL="hooked=http://127.0.0.1:$WEBHOOK_RELAY_PORT/sms"
  "$VENV/bin/python" - <<'PY'
import boto3
db = boto3.client("dynamodb")
for name, key, kind in (("lambda-sessions", "pk", "S"), ("lambda-contacts", "contactId", "N")):
    db.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": key, "AttributeType": kind}],
                    KeySchema=[{"AttributeName": key, "KeyType": "HASH"}])
boto3.client("ses").verify_email_identity(EmailAddress="otp@example.com")
sm = boto3.client("secretsmanager")  # every function fetches the pepper at cold start
sm.create_secret(Name="lambda/pepper", SecretString=__import__("os").environ["LAMBDA_PEPPER"])
sm.create_secret(Name="lambda/sms-webhook", SecretString=__import__("os").environ["WEBHOOK_SECRET"])  # the SMS senders fetch it
sm.create_secret(  # the RAO functions fetch it at cold start
    Name="lambda/rao-private-key", SecretString=open("shared/dev-keys/rao-private.DEVELOPMENT-ONLY.pem").read())
PY
  runtime_port=$(free_port)
  cargo lambda watch -A 127.0.0.1 -P "$runtime_port" >"$LOGS/cargo-lambda.log" 2>&1 &
  watch_pid=$!
  trap 'kill $watch_pid 2>/dev/null || true' EXIT
  up=""
  for _ in $(seq 1 300); do
    if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$runtime_port" 2>/dev/null; then up=1; break; fi
    sleep 0.2
  done
  [ -n "$up" ] || { echo "cargo lambda watch did not start:" >&2; cat "$LOGS/cargo-lambda.log" >&2; exit 1; }
  LAMBDA_RUNTIME_URL="http://127.0.0.1:$runtime_port" "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/lambda
)

step "the README's walkthrough: make local-aws, cargo lambda watch and invoke, as written"
LOCAL_AWS_PORT="$(free_port)" "$VENV/bin/python" tests/walkthrough.py >"$LOGS/walkthrough.log" 2>&1 \
  || { cat "$LOGS/walkthrough.log"; exit 1; }
tail -1 "$LOGS/walkthrough.log"

step "supply chain: cargo deny (deny.toml)"
# Pinned, built once into .tools (about 2 minutes on 2 cores).
[ -x .tools/bin/cargo-deny ] || cargo install --quiet --locked cargo-deny --version 0.20.2 --root .tools
.tools/bin/cargo-deny --locked check licenses bans sources
# Advisories need RustSec's database, cloned from GitHub: where GitHub cannot be reached the
# check cannot run, and says so instead of passing silently.
if timeout 60 .tools/bin/cargo-deny fetch db >"$LOGS/deny-fetch.log" 2>&1; then
  .tools/bin/cargo-deny --offline check advisories
else
  echo "cargo deny: ADVISORIES NOT CHECKED: the RustSec database could not be fetched (see $LOGS/deny-fetch.log)" >&2
fi

step "SAM template: cfn-lint and sam validate"
"$VENV/bin/cfn-lint" template.yaml
SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 "$VENV/bin/sam" validate --template template.yaml --region us-east-1

step "log audit: no code, token, pepper or full destination in any log of this run"
python3 scripts/scan_logs.py "$LOGS" "$token" "$st_token" local-dev-token hooked-dev-token inbox-test-token webhook-test-token "$lambda_pepper" "$webhook_secret"

step "all tests passed"
