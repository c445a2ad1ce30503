"""The suite-wide log audit: no log line the test command produced may hold a secret.

Usage: scan_logs.py LOG_DIR [EXTRA_SECRET ...]. Secrets are the lines of LOG_DIR/secrets-*.txt
(every code the Rust tests read from a message, their tokens, pepper and full destinations)
plus the arguments (the tokens and peppers the script itself configured). Logs are
LOG_DIR/suite-*.txt (the Rust tests' service logs) and LOG_DIR/*.log (local server,
cargo-lambda runtime). The local server's `[outbox]` lines are not logs but its stand-in for
SMS and email (they show codes by design, as delivery would) and are skipped. A phone number counts with or without its `+`; a code counts as a whole
token, not inside a longer run of digits or a decimal fraction (a timestamp's microseconds).
"""
import pathlib
import re
import sys

log_dir = pathlib.Path(sys.argv[1])
secrets = set(sys.argv[2:])
for f in log_dir.glob("secrets-*.txt"):
    secrets.update(line.strip() for line in f.read_text().splitlines() if line.strip())
if not secrets:
    sys.exit("log audit: no secrets recorded; was OTP_TEST_LOG_DIR set for the Rust suite?")

def trie(words):
    """One regex matching any of `words`, factored by common prefixes: thousands of secrets
    cost one pass per line instead of one attempt per secret at every position."""
    root = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node):
        ends = "" in node
        branches = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
        return body + "?" if ends else body

    return walk(root)


phones = {s[1:] for s in secrets if s.startswith("+")}  # the number with or without its +
codes = {s for s in secrets if not s.startswith("+") and s.isalnum() and len(s) <= 12}
others = secrets - codes - {s for s in secrets if s.startswith("+")}
alternatives = [trie(phones | others)] if phones | others else []
if codes:
    alternatives.append(r"(?<![\w.])" + trie(codes) + r"(?![\w.])")  # a code, as a token
finder = re.compile("|".join(alternatives))

files = sorted(log_dir.glob("suite-*.txt")) + sorted(log_dir.glob("*.log"))
lines = hits = 0
for f in files:
    for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
        if line.startswith("[outbox]"):
            continue
        lines += 1
        m = finder.search(line)
        if m:
            hits += 1
            if hits <= 20:
                print(f"{f.name}:{n}: holds a secret ({m.group(0)[:3]}…): {line[:200]}")
print(f"log audit: {lines} lines in {len(files)} files against {len(secrets)} secrets: {hits} hits")
sys.exit(1 if hits else 0)
