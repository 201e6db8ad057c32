"""The queue end to end: mail for a relay domain (we are its backup MX)
stays queued, deferred, since outbound delivery does not exist yet; the
scheduler's RAM index is rebuilt from the spool at restart; `mxhost queue
list` and `show` read the spool with the daemon running or stopped; local
mail is delivered with the log lines DESIGN.md shows."""
import os
import re
import smtplib

from conftest import READY, run
from queuelib import USER, delivered_ids, mail_host, message, wait_for


def host(tmp_path):
    config, port = mail_host(str(tmp_path), extra="retry_min = 1s\nretry_max = 2s\n")
    with open(os.path.join(str(tmp_path), "relay_domains"), "w") as f:
        f.write("backup.test\n")
    return config, port


def test_local_delivery_logs(server_factory, tmp_path):
    config, port = host(tmp_path)
    srv = server_factory(config)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.sendmail("sender@example.org", [USER, "other@example.test"], message("log@test"))
    mail = os.path.join(str(tmp_path), "mail")
    assert wait_for(lambda: "log@test" in delivered_ids(mail, "other@example.test"), 10)
    srv.wait_log(": removed")
    log = srv.log()
    qid = re.search(r": ([0-9A-F]{12}): from=<sender@example.org>, size=\d+, nrcpt=2", log)
    assert qid, log
    qid = qid.group(1)
    for rcpt in (USER, "other@example.test"):
        assert re.search(r"%s: to=<%s>, relay=local, delay=[0-9.]+, dsn=2\.0\.0, "
                         r"status=sent \(delivered to maildir\)" % (qid, re.escape(rcpt)), log)
    assert "%s: removed" % qid in log
    assert delivered_ids(mail, USER) == {"log@test": 1}


def test_remote_stays_queued(server_factory, tmp_path):
    config, port = host(tmp_path)
    srv = server_factory(config)
    conf = srv.config
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.sendmail("sender@example.org", ["someone@backup.test", USER], message("relay@test"))
    mail = os.path.join(str(tmp_path), "mail")
    assert wait_for(lambda: "relay@test" in delivered_ids(mail, USER), 10)
    srv.wait_log("status=deferred (remote delivery is not available yet)")

    # The queue tool reads the spool while the daemon runs.
    r = run(["queue", "-c", conf, "list"])
    assert r.returncode == 0, r.stderr
    assert "someone@backup.test" in r.stdout
    assert "(4.4.0 remote delivery is not available yet)" in r.stdout
    assert USER not in r.stdout  # delivered: not listed
    qid = re.search(r"^([0-9A-F]{12}) ", r.stdout, re.M).group(1)
    r = run(["queue", "-c", conf, "show", qid])
    assert r.returncode == 0, r.stderr
    assert "recipient: someone@backup.test, remote, deferred" in r.stdout
    assert "recipient: %s, local, delivered, 1 attempt" % USER in r.stdout
    assert "Message-ID: <relay@test>" in r.stdout

    # Retried with backoff (retry_min 1s) while it runs.
    srv.wait_log("%s: to=<someone@backup.test>" % qid, count=2, timeout=10)

    # Stopped: still there, on disk and in the tool's list.
    assert srv.stop() == 0
    r = run(["queue", "-c", conf, "list"])
    assert qid in r.stdout and "someone@backup.test" in r.stdout

    # Restarted: the RAM index is rebuilt from the spool, and the local
    # recipient, already delivered, is not delivered again.
    srv.start(wait_ready=False)
    srv.wait_log(READY, count=2)
    assert "queue: 1 messages queued" in srv.log()
    before = srv.log().count("%s: to=<someone@backup.test>" % qid)
    srv.wait_log("%s: to=<someone@backup.test>" % qid, count=before + 1, timeout=10)
    assert delivered_ids(mail, USER) == {"relay@test": 1}
    assert srv.log().count("%s: to=<%s>" % (qid, USER)) == 1


def test_queue_empty(tmp_path):
    config, _ = host(tmp_path)
    conf = os.path.join(str(tmp_path), "m.conf")
    with open(conf, "w") as f:
        f.write(config)
    r = run(["queue", "-c", conf, "list"])
    assert r.returncode == 0
    assert r.stdout == "Mail queue is empty\n"
    r = run(["queue", "-c", conf, "show", "0123456789AB"])
    assert r.returncode == 1
    r = run(["queue", "-c", conf, "bogus"])
    assert r.returncode == 2
