"""The durability order, read from the system calls themselves.

test_crash.py kills mxhost with SIGKILL, which leaves the page cache
intact: it would pass with every fsync deleted. This test runs `mxhost
serve` under strace (all threads), sends a bounded batch of mail over
concurrent sessions (smtplib, pipelined, BDAT), lets it be delivered to
Maildir, stops the daemon, and checks in the trace, for every message that
got 250, the sequence docs/QUEUE.md promises:

  1. tmp/ID was written (its Message-ID among the bytes) and then fsync'd,
     and closed, with no write after the fsync began;
  2. then renamed to queue/ID;
  3. then queue/ was fsync'd by a call that began after the rename ended
     (group commit: an older sync does not count);
  4. and only after that sync returned was the 250 written to that
     client's socket.

For every Maildir copy: the file fsync'd and closed before its rename
into new/, new/ fsync'd after the rename, and that sync done before the
message left the queue (the delivery counts). Every folder created (spool,
mailbox) has its parent fsync'd before anything in it counts (a 250, a
message leaving the queue). And the SMTP loop thread never calls fsync
while it serves.

Order is the order of strace's output lines, not its timestamps: strace
prints a call's entry before the kernel runs it and its exit after, while
the thread waits, so "A's exit line comes before B's entry line" proves A
finished before B began, whatever the threads.
"""
import os
import re
import shutil
import signal
import smtplib
import subprocess
import threading
import time

import pytest

from conftest import MXHOST
from queuelib import mail_host, message, wait_for
from smtpkit import Conn

SYSCALLS = ",".join([
    "openat", "?open", "?creat", "close",
    "write", "writev", "pwrite64", "pwritev", "pwritev2", "ftruncate", "fallocate",
    "sendfile", "sendto", "sendmsg",
    "fsync", "fdatasync",
    "?rename", "renameat", "renameat2", "unlinkat", "?unlink", "mkdirat", "?mkdir",
])
FILE_WRITES = {"write", "writev", "pwrite64", "pwritev", "pwritev2", "ftruncate",
               "fallocate", "sendfile"}
SOCK_WRITES = {"write", "writev", "sendto", "sendmsg"}
SYNCS = {"fsync", "fdatasync"}
QUEUED_RE = re.compile(r"queued as ([0-9A-F]{12})")
SENDER = "sender@example.org"
MKDIR_RACE_FAILS = True  # see the folder check in check_trace


# ---- reading strace's output ----

class Call:
    """One system call: its thread, name, top-level argument texts, return
    value (None when unknown) and decoration, and the trace lines of its
    entry and exit."""

    def __init__(self, pid, name, args, ret, deco, start, end, text):
        self.pid, self.name, self.args, self.ret, self.deco = pid, name, args, ret, deco
        self.start, self.end, self.text = start, end, text

    def __repr__(self):
        return "line %d-%d [%d] %s" % (self.start + 1, self.end + 1, self.pid, self.text[:300])


def split_args(s):
    """Splits the text after "name(" into its top-level arguments; returns
    (args, the rest after the closing parenthesis) or None. Strings, nested
    brackets and -yy decorations (19</a,b>, 7<TCP:[a->b]>) stay whole."""
    args, begin, depth, i, n = [], 0, 0, 0, len(s)
    while i < n:
        c = s[i]
        if c == '"':
            i += 1
            while i < n and s[i] != '"':
                i += 2 if s[i] == "\\" else 1
        elif c == "<":
            inner = 0
            i += 1
            while i < n and not (s[i] == ">" and inner == 0):
                inner += {"[": 1, "]": -1}.get(s[i], 0)
                i += 1
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if c == ")" and depth == 0:
                args.append(s[begin:i].strip())
                return args, s[i + 1:]
            depth -= 1
        elif c == "," and depth == 0:
            args.append(s[begin:i].strip())
            begin = i + 1
        i += 1
    return None


LINE_RE = re.compile(r"^(\d+)\s+\d\d:\d\d:\d\d\.\d+\s+(.*)$")
CALL_RE = re.compile(r"^(\w+)\((.*)$", re.S)
RESUMED_RE = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$", re.S)
RET_RE = re.compile(r"^\s*=\s*(-?\d+|0x[0-9a-f]+|\?)(?:<(.*)>)?")
UNFINISHED = " <unfinished ...>"


def parse_trace(path):
    calls, pending = [], {}
    with open(path, errors="replace") as f:
        lines = f.read().split("\n")
    for idx, line in enumerate(lines):
        m = LINE_RE.match(line)
        if not m:
            continue
        pid, rest = int(m.group(1)), m.group(2)
        if rest.startswith(("---", "+++")):
            continue
        r = RESUMED_RE.match(rest)
        if r:
            if pid not in pending:
                continue
            name, head, start = pending.pop(pid)
            text = head + r.group(2)
        elif rest.endswith(UNFINISHED):
            c = CALL_RE.match(rest[:-len(UNFINISHED)])
            if c:
                pending[pid] = (c.group(1), c.group(2), idx)
            continue
        else:
            c = CALL_RE.match(rest)
            if not c:
                continue
            name, text, start = c.group(1), c.group(2), idx
        parsed = split_args(text)
        if parsed is None:
            continue
        args, after = parsed
        rv = RET_RE.match(after)
        ret = deco = None
        if rv and rv.group(1) != "?":
            ret = int(rv.group(1), 0)
            deco = rv.group(2)
        calls.append(Call(pid, name, args, ret, deco, start, idx, name + "(" + text))
    return calls


FD_RE = re.compile(r"^(?:-?\d+|AT_FDCWD)<(.*)>$", re.S)


def fd_path(arg):
    """The path strace -y decorated an fd argument with, or None."""
    m = FD_RE.match(arg)
    return m.group(1) if m else None


def unquote(arg):
    if not (arg.startswith('"') and arg.endswith('"')):
        return None
    s = arg[1:-1]
    if "\\" in s:
        s = s.encode("latin-1", "backslashreplace").decode("unicode_escape")
    return s


def at_path(dirarg, namearg, cwd):
    """The path named by (dirfd, name), or by a name alone (dirarg None)."""
    name = unquote(namearg)
    if name is None:
        return None
    if name.startswith("/"):
        return os.path.normpath(name)
    base = cwd if dirarg is None else fd_path(dirarg)
    return None if base is None else os.path.normpath(os.path.join(base, name))


class Trace:
    """The calls of one trace, sorted into what the checks ask about."""

    def __init__(self, path, cwd):
        self.calls = parse_trace(path)
        self.renames, self.removals, self.mkdirs = [], [], []
        self.writes, self.syncs, self.closes = {}, {}, {}
        self.sock_writes = []
        for c in self.calls:
            a = c.args
            if c.name in ("renameat", "renameat2") and len(a) >= 4:
                c.src, c.dst = at_path(a[0], a[1], cwd), at_path(a[2], a[3], cwd)
                self.renames.append(c)
            elif c.name == "rename" and len(a) >= 2:
                c.src, c.dst = at_path(None, a[0], cwd), at_path(None, a[1], cwd)
                self.renames.append(c)
            elif c.name in ("unlinkat", "mkdirat") and len(a) >= 2:
                c.path = at_path(a[0], a[1], cwd)
                (self.removals if c.name == "unlinkat" else self.mkdirs).append(c)
            elif c.name in ("unlink", "mkdir") and a:
                c.path = at_path(None, a[0], cwd)
                (self.removals if c.name == "unlink" else self.mkdirs).append(c)
            else:
                p = fd_path(a[0]) if a else None
                if p is None:
                    continue
                if c.name in SOCK_WRITES and p.startswith("TCP"):
                    self.sock_writes.append(c)
                elif c.name in FILE_WRITES:
                    self.writes.setdefault(p, []).append(c)
                elif c.name in SYNCS:
                    self.syncs.setdefault(p, []).append(c)
                elif c.name == "close":
                    self.closes.setdefault(p, []).append(c)


def file_written_synced_closed(tr, path, before, marker, what):
    """Checks that path was written (marker among the bytes), fsync'd after
    its last write, and closed after that, all before the call `before`
    began; returns a list of problems."""
    writes = [w for w in tr.writes.get(path, []) if w.ret is not None and w.ret >= 0]
    if not writes:
        return ["%s: no write to %s" % (what, path)]
    problems = []
    if marker and not any(marker in w.text for w in writes):
        problems.append("%s: %r not among the bytes written to %s" % (what, marker, path))
    late = [w for w in writes if w.end > before.start]
    if late:
        problems.append("%s: %s written after its rename began: %r" % (what, path, late[0]))
    last = max(w.end for w in writes)
    syncs = [s for s in tr.syncs.get(path, [])
             if s.ret == 0 and s.start > last and s.end < before.start]
    if not syncs:
        problems.append("%s: no fsync of %s between its last write (line %d) and its "
                        "rename (line %d)" % (what, path, last + 1, before.start + 1))
        return problems
    closes = [c for c in tr.closes.get(path, [])
              if c.ret == 0 and c.start > syncs[0].end and c.end < before.start]
    if not closes:
        problems.append("%s: %s not closed (checked) between its fsync and its rename"
                        % (what, path))
    return problems


def dir_synced_between(tr, folder, after, before):
    """An fsync of folder that began after `after` ended and returned 0
    before `before` (a call, or None for the end of the trace) began."""
    limit = before.start if before is not None else float("inf")
    return [s for s in tr.syncs.get(folder, [])
            if s.ret == 0 and s.start > after.end and s.end < limit]


# ---- sending ----

class Sent:
    """One message to send, and what the server answered to it."""

    def __init__(self, mid, rcpts, size, how):
        self.mid, self.rcpts, self.size, self.how = mid, rcpts, size, how
        self.code = self.qid = self.port = None


def parse_qid(text):
    m = QUEUED_RE.search(text)
    return m.group(1) if m else None


def send_smtplib(port, msgs):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.ehlo("client.test")
        for m in msgs:
            c.mail(SENDER)
            for r in m.rcpts:
                c.rcpt(r)
            code, text = c.data(message(m.mid, m.size, m.rcpts[0]))
            m.code, m.qid, m.port = code, parse_qid(text.decode()), c.sock.getsockname()[1]


def envelope_cmds(m):
    return "MAIL FROM:<%s>\r\n" % SENDER + "".join("RCPT TO:<%s>\r\n" % r for r in m.rcpts) \
        + "DATA\r\n"


def send_pipelined(port, msgs):
    """MAIL, RCPT and DATA in one write, and each next transaction's
    commands written right behind the previous dot: they wait in the
    server's input for its 250."""
    c = Conn(port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.test")[0] == 250
    c.send(envelope_cmds(msgs[0]))
    for i, m in enumerate(msgs):
        replies = c.replies(len(m.rcpts) + 2)
        assert [code for code, _ in replies] == [250] * (len(m.rcpts) + 1) + [354], replies
        tail = envelope_cmds(msgs[i + 1]) if i + 1 < len(msgs) else "QUIT\r\n"
        c.send(message(m.mid, m.size, m.rcpts[0]) + b".\r\n" + tail.encode())
        code, text = c.reply()
        m.code, m.qid, m.port = code, parse_qid(text), c.sock.getsockname()[1]
    assert c.reply()[0] == 221
    c.close()


def send_bdat(port, msgs):
    c = Conn(port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.test")[0] == 250
    for m in msgs:
        data = message(m.mid, m.size, m.rcpts[0])
        half = len(data) // 2
        c.send(envelope_cmds(m)[:-len("DATA\r\n")])
        assert [code for code, _ in c.replies(len(m.rcpts) + 1)] == [250] * (len(m.rcpts) + 1)
        c.send(b"BDAT %d\r\n" % half + data[:half])
        assert c.reply()[0] == 250
        c.send(b"BDAT %d LAST\r\n" % (len(data) - half) + data[half:])
        code, text = c.reply()
        m.code, m.qid, m.port = code, parse_qid(text), c.sock.getsockname()[1]
    assert c.cmd("QUIT")[0] == 221
    c.close()


def run_sessions(port, sessions):
    """Runs (function, messages) sessions at once; returns the errors."""
    errors = []

    def one(fn, msgs):
        try:
            fn(port, msgs)
        except Exception as e:  # reported by the test, with the session
            errors.append("%s: %r" % (fn.__name__, e))

    threads = [threading.Thread(target=one, args=s, daemon=True) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return errors + ["a session hung" for t in threads if t.is_alive()]


def batch(tag, plan):
    """plan: [(send function, [(rcpts, size), ...])] -> sessions, messages."""
    sessions, sent = [], []
    for s, (fn, specs) in enumerate(plan):
        msgs = [Sent("%s-%d-%d@order.test" % (tag, s, i), rcpts, size, fn.__name__)
                for i, (rcpts, size) in enumerate(specs)]
        sessions.append((fn, msgs))
        sent += msgs
    return sessions, sent


U, O, L = "user@example.test", "other@example.test", "load@example.test"


# ---- the checks ----

def check_trace(trace_path, folder, sent):
    """Checks the trace against what the messages sent (each with its queue
    ID and client port) must have caused; returns (problems, known races,
    the trace, counts)."""
    spool, mail = os.path.join(folder, "spool"), os.path.join(folder, "mail")
    tr = Trace(trace_path, folder)
    problems = []
    qdir = os.path.join(spool, "queue")
    loop_threads, replies, commit_points = set(), [], []
    removal_of = {}
    for c in tr.renames:
        if c.ret == 0 and c.src and os.path.dirname(c.src) == qdir:
            removal_of.setdefault(os.path.basename(c.src), c)
    for c in tr.removals:
        if c.ret == 0 and c.path and os.path.dirname(c.path) == qdir:
            removal_of.setdefault(os.path.basename(c.path), c)

    recycled = 0
    for m in sent:
        what = "%s (%s, queue ID %s)" % (m.mid, m.how, m.qid)
        tmp, queued = os.path.join(spool, "tmp", m.qid), os.path.join(qdir, m.qid)
        # The 250 on this client's socket.
        ys = [c for c in tr.sock_writes if "queued as %s" % m.qid in c.text]
        ys = [c for c in ys if fd_path(c.args[0]).endswith(":%d]" % m.port)]
        if len(ys) != 1 or ys[0].ret is None or ys[0].ret <= 0:
            problems.append("%s: not one 250 written to port %d: %r" % (what, m.port, ys))
            continue
        reply = ys[0]
        replies.append(reply)
        commit_points.append((queued, reply))
        loop_threads.add(reply.pid)
        # 2. the rename into queue/.
        rs = [c for c in tr.renames if c.src == tmp and c.dst == queued and c.ret == 0]
        if len(rs) != 1:
            problems.append("%s: not one rename %s -> queue/: %r" % (what, tmp, rs))
            continue
        ren = rs[0]
        if any(c.dst == tmp and os.path.dirname(c.src or "") == os.path.join(spool, "free")
               for c in tr.renames if c.ret == 0):
            recycled += 1
        # 1. written, fsync'd, closed before it.
        problems += file_written_synced_closed(tr, tmp, ren, "Message-ID: <%s>" % m.mid, what)
        if tr.writes.get(queued):
            problems.append("%s: queue/%s written: %r" % (what, m.qid, tr.writes[queued][0]))
        # 3. queue/ fsync'd by a call begun after the rename, done before 4.
        if ren.end > reply.start:
            problems.append("%s: 250 (line %d) before the rename ended (line %d)"
                            % (what, reply.start + 1, ren.end + 1))
        elif not dir_synced_between(tr, qdir, ren, reply):
            problems.append("%s: no fsync of queue/ begun after the rename (line %d) and "
                            "done before the 250 (line %d)" % (what, ren.end + 1,
                                                             reply.start + 1))
        # Delivery: each Maildir copy, then the message leaves the queue.
        removal = removal_of.get(m.qid)
        if removal is None:
            problems.append("%s: never left the queue" % what)
        copies = [c for c in tr.renames
                  if c.ret == 0 and c.dst and c.dst.startswith(mail + "/")
                  and "_%s." % m.qid in os.path.basename(c.dst)
                  and os.path.basename(os.path.dirname(c.dst)) == "new"]
        boxes = sorted(c.dst.split("/")[-3] + "@example.test" for c in copies)
        if boxes != sorted(m.rcpts):
            problems.append("%s: delivered to %r, sent to %r" % (what, boxes, m.rcpts))
        for cp in copies:
            where = "%s: copy %s" % (what, cp.dst)
            if os.path.basename(os.path.dirname(cp.src)) != "tmp":
                problems.append("%s: renamed from %s, not from tmp/" % (where, cp.src))
            problems += file_written_synced_closed(tr, cp.src, cp, "Message-ID: <%s>" % m.mid,
                                                   where)
            if not dir_synced_between(tr, os.path.dirname(cp.dst), cp, removal):
                problems.append("%s: no fsync of new/ begun after its rename (line %d) and "
                                "done before the message left the queue (%r)"
                                % (where, cp.end + 1, removal))
            if removal is not None:
                commit_points.append((cp.dst, removal))
            if not os.path.exists(cp.dst):
                problems.append("%s: not in the mailbox" % where)

    # Every folder made (spool folders at start, mailbox folders at their
    # first delivery) has its parent fsync'd before anything under it
    # counts: a 250 for a file in it, a message leaving the queue with a
    # copy in it.
    races = []
    for mk in tr.mkdirs:
        if mk.ret != 0 or not mk.path:
            continue
        under = [c for path, c in commit_points if path.startswith(mk.path + "/")]
        first = min(under, key=lambda c: c.start) if under else None
        if dir_synced_between(tr, os.path.dirname(mk.path), mk, first):
            continue
        late = dir_synced_between(tr, os.path.dirname(mk.path), mk, None)
        what = "mkdir %s: parent not fsync'd before what is in it counts: %r, first " \
               "commit point %r" % (mk.path, mk, first)
        # Known race, left to core/durable.c: durable_opendir takes a folder
        # it finds as durable, but another thread may have just made it and
        # still be syncing its parent, and fill it and dequeue meanwhile
        # (about 1 run in 200 here). Counted, not failed, until fixed; then
        # set MKDIR_RACE_FAILS.
        if late and first is not None and first.pid != mk.pid and not MKDIR_RACE_FAILS:
            races.append(what)
        else:
            problems.append(what)

    # No fsync on the loop thread while it serves (from its first byte
    # written to a client to its last).
    served = [c for c in tr.sock_writes if c.pid in loop_threads]
    first = min(c.start for c in served) if served else 0
    last = max(c.end for c in served) if served else 0
    for path, syncs in tr.syncs.items():
        for s in syncs:
            if s.pid in loop_threads and first <= s.start <= last:
                problems.append("fsync on the SMTP loop thread: %r" % s)

    counts = {"recycled": recycled, "replies": len(replies),
              "queue/ fsyncs": len([s for s in tr.syncs.get(qdir, []) if s.ret == 0])}
    return problems, races, tr, counts


# ---- the test ----

@pytest.mark.skipif(shutil.which("strace") is None, reason="strace missing (scripts/deps.sh)")
def test_commit_and_delivery_order(tmp_path):
    started = time.monotonic()
    folder = os.path.realpath(str(tmp_path))
    config, port = mail_host(folder)
    with open(os.path.join(folder, "mxhost.conf"), "w") as f:
        f.write(config)
    spool, mail = os.path.join(folder, "spool"), os.path.join(folder, "mail")
    trace_path = os.path.join(folder, "strace.out")
    logpath = os.path.join(folder, "mxhost.log")
    env = dict(os.environ)
    # LeakSanitizer stops the threads with ptrace at exit, which fails under
    # strace: leaks are checked by every other test of `make asan`.
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    log = open(logpath, "ab")
    tracer = subprocess.Popen(
        ["strace", "-f", "-tt", "-yy", "-s", "4096", "-o", trace_path, "-e",
         "trace=" + SYSCALLS, MXHOST, "serve", "-c", "mxhost.conf"],
        stdout=log, stderr=log, cwd=folder, env=env)
    child = None
    try:
        # strace blocks SIGTERM when it writes to a file: signal mxhost itself.
        def ready():
            with open(logpath, errors="replace") as f:
                return "info: ready" in f.read() or tracer.poll() is not None
        assert wait_for(ready, timeout=20, step=0.05) and tracer.poll() is None, \
            open(logpath, errors="replace").read()
        with open("/proc/%d/task/%d/children" % (tracer.pid, tracer.pid)) as f:
            child = int(f.read().split()[0])

        # Batch 1 writes new files; once it is delivered, its files wait in
        # free/, and batch 2 is written over them (renamed to tmp/ID first).
        # Message 200000 bytes spills to tmp/ID from the loop thread.
        sessions, sent1 = batch("a", [
            (send_smtplib, [([U], 300), ([U, O], 2000), ([U], 200000), ([O], 500)]),
            (send_smtplib, [([U], 300), ([U], 300), ([O, U], 800), ([U], 300)]),
            (send_smtplib, [([U], 1000), ([U], 300)]),
            (send_pipelined, [([U], 300), ([U, O], 300), ([U], 5000), ([U], 300)]),
            (send_pipelined, [([O], 300), ([U], 300), ([U], 300), ([U], 300)]),
            (send_bdat, [([U], 3000), ([U, O], 300)]),
        ])
        errors = run_sessions(port, sessions)
        assert not errors, errors

        def delivered(sent):
            def check():
                if os.listdir(os.path.join(spool, "queue")):
                    return False
                names = []
                for box in (U, O, L):
                    d = os.path.join(mail, "example.test", box.split("@")[0], "new")
                    names += os.listdir(d) if os.path.isdir(d) else []
                return all(sum("_%s." % m.qid in n for n in names) == len(m.rcpts)
                           for m in sent)
            return check

        assert wait_for(delivered(sent1), timeout=20, step=0.05), "batch 1 not delivered"
        sessions, sent2 = batch("b", [
            (send_smtplib, [([U], 300), ([L], 300), ([U, L], 300)]),
            (send_smtplib, [([U], 700), ([U], 300), ([O], 300)]),
            (send_pipelined, [([U], 300), ([L, U], 300), ([U], 300), ([U], 300)]),
        ])
        errors = run_sessions(port, sessions)
        assert not errors, errors
        sent = sent1 + sent2
        assert wait_for(delivered(sent), timeout=20, step=0.05), "batch 2 not delivered"

        os.kill(child, signal.SIGTERM)
        rc = tracer.wait(timeout=30)
        assert rc == 0, "mxhost under strace exited %s:\n%s" % (
            rc, open(logpath, errors="replace").read()[-3000:])
    finally:
        if tracer.poll() is None:
            if child:
                os.kill(child, signal.SIGKILL)
            tracer.kill()
            tracer.wait()
        log.close()

    bad = [(m.mid, m.code, m.qid) for m in sent if m.code != 250 or not m.qid]
    assert not bad, "not queued: %r" % bad
    assert len({m.qid for m in sent}) == len(sent) == 30

    problems, races, tr, counts = check_trace(trace_path, folder, sent)
    print("messages=%d copies=%d %s calls traced=%d in %.1fs"
          % (len(sent), sum(len(m.rcpts) for m in sent),
             " ".join("%s=%d" % kv for kv in counts.items()), len(tr.calls),
             time.monotonic() - started))
    for r in races:
        print("KNOWN RACE (not failed): " + r)
    assert not problems, "%d problems (trace: %s):\n%s" % (
        len(problems), trace_path, "\n".join(problems[:15]))
    # The trace covered what it should: a batch written over recycled files,
    # folders made, every reply seen.
    assert counts["recycled"] >= len(sent2) // 2, "too few messages written over free/ files"
    assert len(tr.mkdirs) > 0 and counts["replies"] == len(sent)
