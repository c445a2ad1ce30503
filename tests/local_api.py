"""The `local-api` binary as the Python suites start it (tests/browser, tests/webhooks)."""

import contextlib
import os
import socket
import subprocess
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_api(token, log_path=None, **env):
    """Runs `LOCAL_API_BIN` (default target/debug/local-api) on a free port with `env` added,
    its output to `log_path`; yields its base URL once it answers, and stops it after."""
    port = free_port()
    with open(log_path or os.devnull, "w") as log:
        proc = subprocess.Popen(
            [os.environ.get("LOCAL_API_BIN", "target/debug/local-api"),
             "--listen", f"127.0.0.1:{port}", "--token", token],
            stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, **env))
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(base + "/_local/outbox", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            else:
                raise RuntimeError("local-api did not start")
            yield base
        finally:
            proc.terminate()
            proc.wait(10)
