#!/usr/bin/env bash
# The benchmark (figures, not a test): release builds of every function and of a bare
# lambda_http + aws-config + DynamoDB binary, their zips as SAM uploads them, then otp-bench:
# sizes, cold starts under a Lambda Runtime API emulator, warm invocations and peak RSS, AWS
# calls per use case (against moto), in-process latency, local-api throughput, cost per
# verification. Prints Markdown tables, also kept in target/bench/figures.md.
# Options are passed to otp-bench (--starts N, --warm N, --seconds S, --connections N).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${OTP_VENV:-.venv}"
step() { printf '\n==> %s\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

step "Python tools into $VENV (moto)"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements.txt

functions=$(ls functions | grep -v '^local-api$')
step "release build: every function and the bare binary (deploy profile: fat LTO, abort on panic)"
# Built in one cargo invocation of their own, so no test or bench crate adds features to them.
# shellcheck disable=SC2046
cargo build --release --quiet $(printf -- '-p %s ' $functions) -p otp-baseline
step "release build: local-api and otp-bench"
cargo build --release --quiet -p local-api -p otp-bench

step "zips, as SAM uploads them (one deflated bootstrap each)"
mkdir -p target/bench/zips
python3 - $functions otp-baseline <<'PY'
import sys, zipfile
for name in sys.argv[1:]:
    with zipfile.ZipFile(f"target/bench/zips/{name}.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.write(f"target/release/{name}", "bootstrap")
PY

step "moto server"
port=$(free_port)
"$VENV/bin/python" tests/moto_server.py "$port" >target/bench/moto.log 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 150); do
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
    "http://127.0.0.1:$port/moto-api/data.json" 2>/dev/null && break
  sleep 0.2
done

step "otp-bench"
OTP_TEST_AWS_ENDPOINT="http://127.0.0.1:$port" BENCH_RUSTC="$(rustc --version)" \
  ./target/release/otp-bench --bins target/release --zips target/bench/zips "$@"
