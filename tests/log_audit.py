"""The Python suites' side of the log audit: every code a test handles is recorded, and
scripts/scan_logs.py fails the run if one shows up in a log."""

import os


def audited(secret):
    """Records a code for the run's log audit (scripts/scan_logs.py)."""
    folder = os.environ.get("OTP_TEST_LOG_DIR")
    if folder:
        with open(os.path.join(folder, "secrets-%s.txt" % os.getpid()), "a") as f:
            f.write(secret + "\n")
    return secret
