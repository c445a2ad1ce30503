"""Runs `scripts/local-aws.sh` once, then the README's walkthrough ("Invoking one function locally with `events/`") as written,
twice: the block between its markers, with bash, from the repository's root; then checks that
every invocation answered 200 and that each family's flow ended verified, the second time by
replaying the samples. A README edit that breaks
the walkthrough fails the test command. LOCAL_AWS_PORT moves moto off 4566 if needed."""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "target" / "walkthrough"

readme = (ROOT / "README.md").read_text()
found = re.search(r"<!-- walkthrough:[^>]*-->\s*```bash\n(.*?)```\s*<!-- walkthrough end -->", readme, re.S)
if not found:
    sys.exit("README.md has no walkthrough block")
block = found.group(1)
for path in OUT.glob("*.json"):
    path.unlink()  # the answers of an earlier run

# A developer's own .env.local (another port, say) is put back afterwards.
ENV_LOCAL = ROOT / ".env.local"
kept = ENV_LOCAL.read_text() if ENV_LOCAL.exists() else None


def restore_env_local():
    if kept is not None:
        ENV_LOCAL.write_text(kept)


# The block's `make local-aws` is then a second run, which must reuse what the first made.
first = subprocess.run(["bash", "scripts/local-aws.sh"], cwd=ROOT, capture_output=True, text=True)
if first.returncode != 0:
    restore_env_local()
    sys.exit(f"scripts/local-aws.sh failed:\n{first.stdout}{first.stderr}")
OUT.mkdir(parents=True, exist_ok=True)


def check(code, output, answers):
    failures = []
    if code != 0:
        failures.append(f"the block exited with {code}")
    if "local AWS already running" not in output:
        failures.append("make local-aws did not reuse the running local AWS")
    if len(answers) != block.count("cargo lambda invoke"):
        failures.append(f"{block.count('cargo lambda invoke')} invocations, {len(answers)} answers")
    failures += [f"answered {a['statusCode']}: {a.get('body')}" for a in answers if a["statusCode"] != 200]
    bodies = [json.loads(a.get("body") or "null") for a in answers]
    for expected in ({"status": "APPROVED"}, {"attemptsLeft": 5, "keyStatus": "Valid"},
                     {"phoneCountryCode": "+52", "phoneNumber": "5512345678"}):
        if expected not in bodies:
            failures.append(f"no answer {expected}")
    return failures


def run(round):
    """The block once; its output and the answers it printed or wrote."""
    log = OUT / f"walkthrough-{round}.log"
    with open(log, "w") as sink:
        # Output to a file, not a pipe: the background `cargo lambda watch` keeps its end open.
        proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", block], cwd=ROOT, stdout=sink,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=900)
        finally:
            # cargo lambda watch (started in the background by the block) and its functions.
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    output = log.read_text()
    print(output)
    answers = [json.loads(line) for line in output.splitlines() if line.startswith('{"statusCode"')]
    answers += [json.loads(p.read_text()) for p in sorted(OUT.glob("*.json"))]
    for path in OUT.glob("*.json"):
        path.unlink()
    return proc.returncode, output, answers


# Twice: the second run replays the samples against the sessions the first one verified.
failures = []
try:
    for round in (1, 2):
        code, output, answers = run(round)
        failures += [f"run {round}: {f}" for f in check(code, output, answers)]
finally:
    subprocess.run(["bash", "scripts/local-aws.sh", "stop"], cwd=ROOT, check=False)
    restore_env_local()
if failures:
    sys.exit("walkthrough failed:\n  " + "\n  ".join(failures))
print(f"walkthrough: run twice, {len(answers)} invocations each, all 200; every family verified")
