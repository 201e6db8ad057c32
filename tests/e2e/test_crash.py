"""Crash test: while Postfix's smtp-source and recording smtplib senders
send, mxhost is killed with SIGKILL at random moments and restarted, many
times. Every message that got 250 must end in its mailbox (at least once,
never cut short), and the quarantine must stay empty: the commit sequence
leaves nothing half-written in queue/ whatever the moment of the kill."""
import os
import random
import shutil
import time

import pytest

from conftest import READY
from queuelib import USER, Sender, SmtpSource, delivered_ids, files_in, mail_host, wait_for

KILLS = 15


@pytest.mark.skipif(shutil.which("smtp-source") is None, reason="postfix's smtp-source missing")
def test_kill9_loses_nothing(server_factory, tmp_path):
    config, port = mail_host(str(tmp_path))
    srv = server_factory(config)
    mail = os.path.join(str(tmp_path), "mail")
    spool = os.path.join(str(tmp_path), "spool")
    rng = random.Random(os.getpid())

    load = SmtpSource(port, sessions=10, count=300, size=2000)
    senders = [Sender(port, "s%d" % i, size=rng.choice([300, 5000, 200000])) for i in range(3)]
    load.start()
    for s in senders:
        s.start()
    started = time.monotonic()
    for i in range(KILLS):
        time.sleep(rng.uniform(0.3, 2.0))
        srv.kill()
        srv.start(wait_ready=False)
        srv.wait_log(READY, count=i + 2)
    # A last stretch without kills, then stop sending.
    time.sleep(1)
    for s in senders:
        s.stop.set()
    load.halt()
    for s in senders:
        s.join(timeout=20)
    accepted = [m for s in senders for m in s.accepted]
    print("kills=%d accepted=%d sender errors=%d smtp-source runs=%d in %.1fs"
          % (KILLS, len(accepted), sum(s.errors for s in senders), load.runs,
             time.monotonic() - started))
    assert len(accepted) > 50, "too little mail got through to prove anything"

    # Every message that got 250 arrives, whole.
    def all_there():
        ids = delivered_ids(mail, USER)
        return all(m in ids for m in accepted)
    wait_for(all_there, timeout=40)
    ids = delivered_ids(mail, USER)
    missing = [m for m in accepted if m not in ids]
    assert not missing, "lost %d of %d accepted messages, e.g. %s" % (
        len(missing), len(accepted), missing[:5])
    assert "TRUNCATED" not in ids, "a message was delivered cut short"
    dups = sum(n - 1 for m, n in ids.items() if n > 1)
    print("duplicates (allowed: at least once): %d" % dups)

    # Nothing was quarantined in any of the restarts.
    assert files_in(os.path.join(spool, "quarantine")) == []
    assert " 0 quarantined" in srv.log()
    assert "moved to quarantine" not in srv.log()
    assert srv.stop() == 0
    assert files_in(os.path.join(spool, "tmp")) == []
