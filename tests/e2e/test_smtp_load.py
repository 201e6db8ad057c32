"""Many concurrent sessions: Postfix's smtp-source sends 20 sessions x 200
messages; every message that got 250 must be accounted for, once, in the
recipient's Maildir (or still in the spool), and the log must say so."""
import glob
import os
import re
import shutil
import subprocess
import time

import pytest

from smtpkit import RECEIVED_ID, smtp_config

SMTP_SOURCE = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
SESSIONS = 20
MESSAGES = 4000


def delivered(folder):
    """Queue IDs of the messages in user@example.test's Maildir."""
    ids = []
    for path in glob.glob(os.path.join(str(folder), "mail", "example.test", "user", "new", "*")):
        with open(path, "rb") as f:
            m = RECEIVED_ID.search(f.read(4096))
        assert m, path
        ids.append(m.group(1).decode())
    return ids


@pytest.mark.skipif(not os.path.exists(SMTP_SOURCE), reason="smtp-source is not installed")
def test_smtp_source_many_sessions(server_factory, tmp_path):
    text, port = smtp_config(tmp_path, extra="max_connections_per_client = 100\n")
    srv = server_factory(text)
    start = time.monotonic()
    r = subprocess.run([SMTP_SOURCE, "-s", str(SESSIONS), "-m", str(MESSAGES), "-d",
                        "-l", "1024", "-M", "source.test", "-f", "sender@source.test",
                        "-t", "user@example.test", "127.0.0.1:%d" % port],
                       capture_output=True, text=True, timeout=300)
    elapsed = time.monotonic() - start
    assert r.returncode == 0, r.stdout + r.stderr
    # every 250 is logged once, keyed by its queue ID
    queued = re.findall(r"info: ([0-9A-F]{12}): client=\[127\.0\.0\.1\]:\d+, "
                        r"helo=<source\.test>, from=<sender@source\.test>, size=\d+, nrcpt=1",
                        srv.log())
    assert len(queued) == MESSAGES
    assert len(set(queued)) == MESSAGES
    # and delivered, each exactly once
    deadline = time.monotonic() + 120
    while True:
        ids = delivered(tmp_path)
        if len(ids) >= MESSAGES or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert sorted(ids) == sorted(queued)
    assert os.listdir(os.path.join(str(tmp_path), "spool", "quarantine")) == []
    print("smtp-source: %d messages in %.1f s (%.0f/s) over %d sessions"
          % (MESSAGES, elapsed, MESSAGES / elapsed, SESSIONS))
