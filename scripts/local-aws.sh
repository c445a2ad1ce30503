#!/usr/bin/env bash
# A local AWS for the functions under `cargo lambda watch` (`make local-aws`): moto's server on
# 127.0.0.1:${LOCAL_AWS_PORT:-4566} from the project's .venv, the tables as template.yaml
# defines them, the example contacts, the SES sender and the secrets; writes .env.local.
# Running it again reuses what is there.
#   scripts/local-aws.sh          start (or reuse) and set up
#   scripts/local-aws.sh stop     stop moto
#   scripts/local-aws.sh watch-ready                  wait until `cargo lambda watch` listens
#   scripts/local-aws.sh sms +971501234567            the last SMS moto received for a number
#   scripts/local-aws.sh event verify-verification-key key.json   filled from a send's answer
set -euo pipefail
CALLER="$PWD"
cd "$(dirname "$0")/.."

VENV="${OTP_VENV:-.venv}"
PORT="${LOCAL_AWS_PORT:-4566}"
# One pid and log per port: another run on another port (the test command's) leaves this one be.
STATE=".local-aws"
PID="$STATE/moto-$PORT.pid"
mkdir -p "$STATE"

case "${1:-start}" in
  stop)
    if [ -f "$PID" ] && kill "$(cat "$PID")" 2>/dev/null; then
      echo "local AWS stopped"
    else
      echo "local AWS was not running"
    fi
    rm -f "$PID"
    exit 0 ;;
  sms)
    exec "$VENV/bin/python" scripts/local_aws.py "$@" ;;
  event)
    sent="${3:?the file the send answer was written to}"
    [[ "$sent" = /* ]] || sent="$CALLER/$sent"
    exec "$VENV/bin/python" scripts/local_aws.py event "$2" "$sent" ;;
  watch-ready) # until `cargo lambda watch` accepts invocations (port ${2:-9000})
    for _ in $(seq 1 600); do
      python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "${2:-9000}" 2>/dev/null && exit 0
      sleep 0.1
    done
    echo "cargo lambda watch is not listening on ${2:-9000}" >&2; exit 1 ;;
  start) ;;
  *) echo "usage: $0 [start|stop|watch-ready [PORT]|sms NUMBER|event NAME SENT_JSON]" >&2; exit 2 ;;
esac

if ! "$VENV/bin/python" -c 'import moto, boto3, yaml' 2>/dev/null; then
  echo "installing moto and boto3 into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.*' 'boto3==1.*'
fi

up() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "http://127.0.0.1:$PORT/moto-api/data.json" 2>/dev/null; }
if up; then
  echo "local AWS already running on 127.0.0.1:$PORT"
else
  nohup "$VENV/bin/python" tests/moto_server.py "$PORT" >"$STATE/moto-$PORT.log" 2>&1 &
  echo $! >"$PID"
  for _ in $(seq 1 100); do up && break; sleep 0.1; done
  up || { cat "$STATE/moto-$PORT.log" >&2; echo "moto did not start on 127.0.0.1:$PORT" >&2; exit 1; }
  echo "local AWS (moto) on 127.0.0.1:$PORT, pid $(cat "$PID"), log $STATE/moto-$PORT.log"
fi
"$VENV/bin/python" scripts/local_aws.py setup "http://127.0.0.1:$PORT"
echo "next: cargo lambda watch --env-file .env.local   (stop the local AWS: make local-aws-stop)"
