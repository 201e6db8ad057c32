"""Queue review: spool states made by hand (the daemon stopped), then
`mxhost serve` and `mxhost queue` run on them, checked against
docs/QUEUE.md. Each test names the rule it checks and the cause of the
failure as the reviewer understood it.

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
    """docs/QUEUE.md, "Message states": queue/ID is a committed message
    file, and "files found that fit none of these are moved to
    quarantine/ ... never deleted"; "free/" holds "files of delivered
    messages", written over by new ones. A symbolic link named queue/ID
    (an operator restoring a message from elsewhere, say) is none of
    these, and the spool must never write outside its folder.

    What happens: recovery follows the link (the target is a valid
    message, so it is indexed and delivered), spool_remove moves the link
    itself into free/, and the next message that takes it from the pool
    is written through it: the file outside the spool is overwritten with
    another message, and that message's only copy is now outside the spool
    behind queue/NEWID -> the outside file.

    Cause: src/queue/spool_recover.c:recover_queue opens queue/ID with
    openat(O_RDONLY) (follows links) and never checks that it is a
    regular file; src/queue/spool.c:recycled_put moves whatever the name
    is into free/ (fstatat without AT_SYMLINK_NOFOLLOW), and open_tmp
    opens the recycled name with openat(O_WRONLY) without O_NOFOLLOW."""
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
    """docs/QUEUE.md, "Message states": files in queue/ that fit none of
    the states are moved to quarantine/ and logged; a file that cannot be
    read is left and logged. Either way the daemon starts, and
    `mxhost queue list` answers ("no crash, clear message").

    What happens: a FIFO named like a queue ID in queue/ (state/ the
    same) makes start-up block for good in open(2) inside recovery,
    before "ready" and before any log line about it; the daemon takes no
    mail and delivers none, and `mxhost queue list` blocks the same way.

    Cause: src/queue/spool_recover.c:recover_queue (and recover_state)
    openat(O_RDONLY) without O_NONBLOCK and without checking the file
    type (d_type or fstat S_ISREG) first; src/cli/queue.c:read_queued
    likewise."""
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
    """docs/QUEUE.md: "IDs a daemon hands out are strictly greater than
    every ID found on disk at start, so a new message can never collide
    with an old file, whatever the clock does"; and recovery leaves a
    tmp/ leftover alone when it is on the same inode as a queue/ name.

    Here the clock is behind a queued message's ID (stepped back), and
    recovery kept tmp/(that ID + 1) (same inode as the queued file). The
    next message gets exactly that ID, its tmp/ID create fails with
    EEXIST, and the client gets 452 for a message the spool could have
    taken (with a file in the pool, the rename from free/ would instead
    replace the kept name).

    Cause: src/queue/spool_recover.c notes IDs (note_id) only from names
    in queue/ and state/, not from the tmp/ names it keeps."""
    config, port = host(tmp_path)
    spool = make_spool(tmp_path)
    top = (int(time.time()) + 100000) << 16  # an ID ahead of the clock
    qid, kept = "%012X" % top, "%012X" % (top + 1)
    put(os.path.join(spool, "queue", qid),
        message_file(qid, message("ahead@test"), [(REMOTE, "x@backup.test")]))
    os.link(os.path.join(spool, "queue", qid), os.path.join(spool, "tmp", kept))

    srv = server_factory(config)
    assert "tmp/%s is the same file as a queued one" % kept in srv.log()
    new = send(port, "new@test", ["y@backup.test"])  # 452 here today
    assert new > kept


def test_new_id_does_not_reuse_quarantined_id(server_factory, tmp_path):
    """docs/QUEUE.md: IDs handed out are "strictly greater than every ID
    found on disk at start", and a quarantined file keeps its ID in its
    name (quarantine/queue.ID), where an operator looks at it by that ID.

    Here the clock is behind the IDs on disk (stepped back): the largest
    ID in state/ is M, and quarantine/queue.(M+1) holds a message set
    aside earlier. The next message is queued as M+1 too: two different
    messages under one ID in the logs, in `mxhost queue show`, and, if the
    new one is quarantined in turn, in quarantine/.

    Cause: src/queue/spool_recover.c:spool_recover never looks at
    quarantine/ when it raises sp->last_id (note_id)."""
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
    (quarantine/queue.ID, quarantine/state.ID) and "an operator looks at
    it with `mxhost queue show FILE`"; "The queue tool": show "reads any
    queue file by path (one in quarantine/, say), naming what does not
    check".

    Here a well-formed state file went to quarantine along with its
    message (the message holds another queue ID). `mxhost queue show
    quarantine/state.ID` answers only "a queue file of kind 'S', not 'M'"
    and exits 1: no state file can be looked at, sound or not, and the
    recipient states it holds (who was delivered already) are not shown.

    Cause: src/cli/queue.c:do_show reads every path with qfile_load,
    which accepts message files only."""
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
