"""Cases found in a review of the spool's crash safety: spool states
made by hand (the daemon stopped), then `mxhost serve` and `mxhost queue`
run on them, checked against docs/QUEUE.md. Each test names the rule it
checks.

Queue and state files are written here with the record format of
docs/QUEUE.md ("Records"), so that a test controls every byte and ID."""
import os
import re
import smtplib
import struct
import subprocess
import time

from conftest import READY, run
from queuelib import USER, delivered_ids, mail_host, message, wait_for

# ---- the record format (docs/QUEUE.md, "Records") ----


def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC = _crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _rec(rtype, payload):
    return rtype.encode() + struct.pack(">I", len(payload)) + payload


def _str(s):
    return struct.pack(">I", 0xFFFFFFFF) if s is None else struct.pack(">I", len(s)) + s.encode()


def _file(kind, content_recs, env_recs):
    body = _rec("V", b"MXQ" + kind.encode() + struct.pack(">I", 1)) + b"".join(content_recs)
    env = b"".join(env_recs)
    whole = body + env
    return whole + _rec("E", struct.pack(">QII", len(body), crc32c(env), crc32c(whole)))


LOCAL, REMOTE = 0, 1


def message_file(qid, content, rcpts, sender="sender@example.org"):
    """A well-formed queue/ID file; rcpts: [(kind, address)], all pending."""
    rs = [_rec("R", struct.pack(">BBIQ", kind, 0, 0, 0) + _str(addr) + _str(addr) + _str(None))
          for kind, addr in rcpts]
    env = [_rec("I", qid.encode()), _rec("T", struct.pack(">Q", int(time.time()))),
           _rec("S", sender.encode()), _rec("H", b"client.test"), _rec("C", b"127.0.0.1"),
           _rec("F", struct.pack(">I", 0)), _rec("Z", struct.pack(">Q", len(content)))] + rs
    return _file("M", [_rec("D", content)], env)


def state_file(qid, states):
    """A well-formed state/ID file; states: [(state, attempts, next_try, error)]."""
    qs = [_rec("Q", struct.pack(">IBIQ", i, st, att, nxt) + _str(err))
          for i, (st, att, nxt, err) in enumerate(states)]
    return _file("S", [], [_rec("I", qid.encode()), _rec("W", struct.pack(">Q", 0))] + qs)


# ---- a host on a spool made by hand ----


def host(tmp_path):
    """Config text and port; relay domain backup.test stays deferred."""
    config, port = mail_host(str(tmp_path), extra="retry_min = 1s\nretry_max = 2s\n")
    with open(os.path.join(str(tmp_path), "relay_domains"), "w") as f:
        f.write("backup.test\n")
    return config, port


def make_spool(tmp_path):
    spool = os.path.join(str(tmp_path), "spool")
    for d in ("tmp", "queue", "state", "quarantine", "free"):
        os.makedirs(os.path.join(spool, d), exist_ok=True)
    return spool


def put(path, data):
    with open(path, "wb") as f:
        f.write(data)


def qid_of(t, n):
    return "%08X%04X" % (t, n)


def send(port, mid, rcpts=(USER,)):
    """Sends one message; returns its queue ID from the 250 reply."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.ehlo("client.test")
        c.mail("sender@example.org")
        for r in rcpts:
            c.rcpt(r)
        code, text = c.data(message(mid))
    assert code == 250, (code, text)
    return re.search(rb"queued as ([0-9A-F]{12})", text).group(1).decode()


def start_or_kill(srv, timeout=10):
    """Starts srv; True once it says ready, else kills it (a daemon stuck
    before its event loop does not answer SIGTERM) and returns False."""
    srv.start(wait_ready=False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if READY in srv.log():
            return True
        if srv.proc.poll() is not None:
            return False
        time.sleep(0.05)
    srv.kill()
    return False


# ---- files in queue/ that are not regular files ----


def test_symlink_in_queue_not_written_through(server_factory, tmp_path):
    """docs/QUEUE.md, "Message states": anything in queue/ that is not a
    regular file is moved to quarantine/ and logged; a symbolic link is
    never followed, since the spool must not read or write through it.

    A symbolic link named queue/ID points to a valid message outside the
    spool (an operator restoring a message from elsewhere, say). The
    link itself is moved to quarantine/queue.ID, and after new messages
    have gone through the pool the file outside is unchanged. Before the
    fix, recovery followed the link and delivered the message, the link
    went into free/, and a new message was written through it, outside
    the spool."""
    config, port = host(tmp_path)
    spool = make_spool(tmp_path)
    outside_dir = os.path.join(str(tmp_path), "elsewhere")
    os.makedirs(outside_dir)
    qid = qid_of(int(time.time()) - 100, 1)
    outside = os.path.join(outside_dir, "saved-message")
    original = message_file(qid, message("linked@test"), [(LOCAL, USER)])
    put(outside, original)
    os.symlink(outside, os.path.join(spool, "queue", qid))

    srv = server_factory(config)
    srv.wait_log("queue/%s moved to quarantine/queue.%s: not a regular file" % (qid, qid))
    assert os.path.islink(os.path.join(spool, "quarantine", "queue." + qid))
    # New messages take files from the pool once a sync of queue/ has run.
    for i in range(4):
        send(port, "after-%d@test" % i)
    mail = os.path.join(str(tmp_path), "mail")
    assert wait_for(lambda: all("after-%d@test" % i in delivered_ids(mail) for i in range(4)), 10)
    with open(outside, "rb") as f:
        now = f.read()
    assert now == original, "the spool wrote a new message through queue/%s's symlink into %s" % (
        qid, outside)


def test_fifo_in_queue_does_not_block_start(server_factory, tmp_path):
    """docs/QUEUE.md, "Message states": anything in queue/ that is not a
    regular file, a FIFO included, is moved to quarantine/ and logged,
    and a FIFO is opened without blocking. So the daemon gets ready, and
    `mxhost queue list` answers.

    A FIFO named like a queue ID sits in queue/. Before the fix, both
    start-up recovery and `mxhost queue list` blocked for good opening
    it, before any log line about it."""
    config, port = host(tmp_path)
    spool = make_spool(tmp_path)
    qid = qid_of(int(time.time()) - 100, 1)
    os.mkfifo(os.path.join(spool, "queue", qid))
    conf = os.path.join(str(tmp_path), "q.conf")
    with open(conf, "w") as f:
        f.write(config)

    try:
        r = run(["queue", "-c", conf, "list"], timeout=10)
        listed = r.returncode == 0
    except subprocess.TimeoutExpired:
        listed = False
    srv = server_factory(config, start=False)
    ready = start_or_kill(srv)
    assert ready, "mxhost never got ready with a FIFO in queue/:\n" + srv.log()
    assert listed, "mxhost queue list blocked on a FIFO in queue/"


# ---- queue IDs ----


def test_new_id_does_not_meet_kept_tmp_file(server_factory, tmp_path):
    """docs/QUEUE.md, "The spool folder": IDs a daemon hands out are
    strictly greater than every ID found on disk at start, the tmp/
    names recovery keeps included, so a new message never collides with
    an old file, whatever the clock does. Recovery keeps a tmp/ leftover
    that is on the same inode as a queue/ name.

    The clock is behind a queued message's ID (stepped back), and
    recovery keeps tmp/(that ID + 1), a second name of the queued file.
    The next message is accepted with an ID above the kept name. Before
    the fix, it got exactly that ID, its tmp/ file could not be created,
    and the client got 452."""
    config, port = host(tmp_path)
    spool = make_spool(tmp_path)
    top = (int(time.time()) + 100000) << 16  # an ID ahead of the clock
    qid, kept = "%012X" % top, "%012X" % (top + 1)
    put(os.path.join(spool, "queue", qid),
        message_file(qid, message("ahead@test"), [(REMOTE, "x@backup.test")]))
    os.link(os.path.join(spool, "queue", qid), os.path.join(spool, "tmp", kept))

    srv = server_factory(config)
    assert "tmp/%s is the same file as a queued one" % kept in srv.log()
    new = send(port, "new@test", ["y@backup.test"])  # 250, not 452
    assert new > kept


def test_new_id_does_not_reuse_quarantined_id(server_factory, tmp_path):
    """docs/QUEUE.md, "The spool folder": IDs handed out are strictly
    greater than every ID found on disk at start, the names in
    quarantine/ included, so a new message never shares its ID in the
    logs with a quarantined one. A quarantined file keeps its ID in its
    name (quarantine/queue.ID), where an operator looks it up.

    The clock is behind the IDs on disk (stepped back): the largest ID in
    state/ is M, and quarantine/queue.(M+1) holds a message set aside
    earlier. The next message gets an ID other than M+1. Before the fix,
    it was queued as M+1 too: two messages under one ID."""
    config, port = host(tmp_path)
    spool = make_spool(tmp_path)
    top = (int(time.time()) + 100000) << 16
    seen, quarantined = "%012X" % top, "%012X" % (top + 1)
    put(os.path.join(spool, "state", seen),
        state_file(seen, [(1, 1, int(time.time()) + 3600, "4.4.0 x")]))  # an orphan
    put(os.path.join(spool, "quarantine", "queue." + quarantined),
        message_file(quarantined, message("old@test"), [(LOCAL, USER)]))

    srv = server_factory(config)
    srv.wait_log("removed state/%s" % seen)
    new = send(port, "new@test", ["y@backup.test"])
    assert new != quarantined, "new message %s has the ID of quarantine/queue.%s" % (
        new, quarantined)


# ---- the queue tool ----


def test_show_quarantined_state_file(server_factory, tmp_path):
    """docs/QUEUE.md, "Message states": a quarantined file keeps its name
    (quarantine/queue.ID, quarantine/state.ID), and an operator looks at
    it with `mxhost queue show FILE`; a state file is shown on its own.
    "The queue tool": show reads any queue file by path (one in
    quarantine/, say).

    A well-formed state file goes to quarantine along with its message
    (the message holds another queue ID). `mxhost queue show
    quarantine/state.ID` exits 0 and shows the ID and the recipient's
    state, deferred. Before the fix, show read message files only and
    refused every state file."""
    config, port = host(tmp_path)
    spool = make_spool(tmp_path)
    t = int(time.time()) - 100
    inside, name = qid_of(t, 1), qid_of(t, 2)
    put(os.path.join(spool, "queue", name),
        message_file(inside, message("misnamed@test"), [(REMOTE, "x@backup.test")]))
    put(os.path.join(spool, "state", name),
        state_file(name, [(1, 3, t + 3600, "4.4.0 remote delivery is not available yet")]))

    srv = server_factory(config)
    assert "state/%s moved to quarantine/state.%s" % (name, name) in srv.log()
    path = os.path.join(spool, "quarantine", "state." + name)
    r = run(["queue", "-c", srv.config, "show", path])
    assert r.returncode == 0, r.stderr
    assert name in r.stdout and "deferred" in r.stdout, r.stdout
