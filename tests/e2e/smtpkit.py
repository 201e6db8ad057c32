"""Helpers for the SMTP end-to-end tests (test_smtp*.py).

- smtp_config() writes the list files and returns an [smtp] config.
- Conn is a raw SMTP client over a socket, for what smtplib will not do
  (pipelined batches, bare LF, BDAT, over-long lines, broken syntax).
- messages() reads what the server accepted: the queue files in the spool
  (docs/QUEUE.md's records) and, once delivered, the Maildir files.
"""
import glob
import os
import re
import socket
import struct
import time

from conftest import free_port


DOMAINS = "example.test\nother.test\n"
MAILBOXES = """\
user@example.test
postmaster@example.test
second@example.test
alias@example.test: user@example.test, remote@elsewhere.test
@other.test: second@example.test
"""
RELAY_DOMAINS = """\
backup.test
listed.test: a@listed.test
"""


def smtp_config(folder, port=None, host="127.0.0.1", mynetworks="",
                domains=DOMAINS, mailboxes=MAILBOXES, relay=RELAY_DOMAINS,
                extra=""):
    """Writes the lists into folder; returns (config text, port)."""
    port = port or free_port(host)
    folder = str(folder)
    for name, text in (("domains", domains), ("mailboxes", mailboxes),
                       ("relay_domains", relay)):
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    listen = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    text = ("[smtp]\nhostname = mx1.example.test\nlisten = %s\n"
            "spool = spool\nmaildir_root = mail\n"
            "domains = domains\nmailboxes = mailboxes\n"
            "relay_domains = relay_domains\n" % listen)
    if mynetworks is not None:
        text += "mynetworks = %s\n" % mynetworks
    return text + extra, port


def start_mx(server_factory, folder, **kw):
    """`mxhost serve` on smtp_config(folder, **kw), with .port and
    .folder_path set for the tests."""
    text, port = smtp_config(folder, **kw)
    s = server_factory(text)
    s.port = port
    s.folder_path = folder
    return s


class Conn:
    """A raw SMTP connection: send bytes, read whole replies."""

    def __init__(self, port, host="127.0.0.1", source=None, timeout=10):
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; have %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """One reply: (code, text of all lines joined by newlines)."""
        lines = []
        while True:
            line = self.line()
            lines.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), "\n".join(lines)

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def replies(self, n):
        return [self.reply() for _ in range(n)]

    def closed(self, timeout=5):
        """True when the server closes the connection (EOF) in time."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (socket.timeout, ConnectionResetError):
            return False

    def close(self):
        self.sock.close()


def greeted(port, host="127.0.0.1", helo="EHLO client.test", **kw):
    c = Conn(port, host, **kw)
    code, _ = c.reply()
    assert code == 220
    code, _ = c.cmd(helo)
    assert code == 250
    return c


# ---- what the server accepted ----

def _records(data):
    pos = 0
    while pos + 5 <= len(data):
        rtype = data[pos:pos + 1].decode()
        (length,) = struct.unpack(">I", data[pos + 1:pos + 5])
        yield rtype, data[pos + 5:pos + 5 + length]
        pos += 5 + length


def _string(payload, pos):
    (n,) = struct.unpack(">I", payload[pos:pos + 4])
    if n == 0xFFFFFFFF:
        return None, pos + 4
    return payload[pos + 4:pos + 4 + n].decode("utf-8", "replace"), pos + 4 + n


def read_queue_file(path):
    """A queue file as a dict: id, sender, helo, client, flags, size,
    rcpts [(addr, orcpt, kind)], content (bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    msg = {"content": b"", "rcpts": [], "path": path}
    for rtype, payload in _records(data):
        if rtype == "D":
            msg["content"] += payload
        elif rtype in "ISHC":
            msg[{"I": "id", "S": "sender", "H": "helo", "C": "client"}[rtype]] = \
                payload.decode("utf-8", "replace")
        elif rtype == "F":
            msg["flags"] = struct.unpack(">I", payload)[0]
        elif rtype == "Z":
            msg["size"] = struct.unpack(">Q", payload)[0]
        elif rtype == "R":
            kind = payload[0]
            addr, pos = _string(payload, 14)
            orcpt, pos = _string(payload, pos)
            msg["rcpts"].append((addr, orcpt, "local" if kind == 0 else "remote"))
    return msg


RECEIVED_ID = re.compile(rb"\(mxhost\) with \S+ id ([0-9A-F]+)")


def messages(folder):
    """Every accepted message, by queue ID (from our Received: header):
    {id: {"content", "rcpts" (spool envelope, if still queued),
          "mailboxes" (set of "user@domain" it was delivered to)}}."""
    folder = str(folder)
    out = {}
    for path in glob.glob(os.path.join(folder, "spool", "queue", "*")):
        try:
            m = read_queue_file(path)
        except (OSError, struct.error):
            continue  # removed under us: delivered meanwhile
        if "id" not in m:
            continue
        m["mailboxes"] = set()
        out[m["id"]] = m
    for path in glob.glob(os.path.join(folder, "mail", "*", "*", "*", "*")):
        parts = path.split(os.sep)
        if parts[-2] not in ("new", "cur"):
            continue
        try:
            with open(path, "rb") as f:
                content = f.read()
        except OSError:
            continue
        found = RECEIVED_ID.search(content)
        if not found:
            continue
        qid = found.group(1).decode()
        m = out.setdefault(qid, {"id": qid, "rcpts": [], "mailboxes": set()})
        m.setdefault("content", content)
        m["mailboxes"].add("%s@%s" % (parts[-3], parts[-4]))
    return out


def wait_for(folder, pred, timeout=15):
    """Polls messages(folder) until pred(msgs) is true; returns msgs."""
    deadline = time.monotonic() + timeout
    while True:
        msgs = messages(folder)
        if pred(msgs):
            return msgs
        if time.monotonic() > deadline:
            raise AssertionError("timed out; messages: %r" % {
                k: (v.get("rcpts"), v.get("mailboxes")) for k, v in msgs.items()})
        time.sleep(0.05)


def message_with(folder, marker, timeout=15):
    """The one accepted message whose content holds marker (bytes)."""
    if isinstance(marker, str):
        marker = marker.encode()

    def found(msgs):
        return any(marker in m.get("content", b"") for m in msgs.values())

    msgs = wait_for(folder, found, timeout)
    hits = [m for m in msgs.values() if marker in m.get("content", b"")]
    assert len(hits) == 1, hits
    return hits[0]


def delivered(folder, marker, timeout=15):
    """The message holding marker, once it has left the queue: the set of
    mailboxes ("user@domain") it was delivered to."""
    marker = marker.encode()

    def done(msgs):
        return any(marker in m.get("content", b"") and m["mailboxes"] and not m["rcpts"]
                   for m in msgs.values())

    msgs = wait_for(folder, done, timeout)
    hits = [m for m in msgs.values() if marker in m.get("content", b"")]
    assert len(hits) == 1, hits
    return hits[0]["mailboxes"]


def recipients(m):
    """Final recipients of a message: the envelope's while it is queued,
    plus the mailboxes it reached."""
    return {r[0] for r in m["rcpts"]} | m["mailboxes"]
