"""Helpers shared by the queue's end-to-end tests (test_crash, test_diskfull,
test_dovecot, test_queue): a mail host config on loopback, a sender that
records which messages got 250, and readers of the resulting Maildir."""
import os
import re
import smtplib
import subprocess
import threading
import time
import uuid

from conftest import free_port

DOMAIN = "example.test"
USER = "user@example.test"
MSGID_RE = re.compile(rb"^Message-ID:\s*<([^>]+)>", re.M | re.I)


def mail_host(folder, spool=None, mail=None, extra=""):
    """Writes the list files into folder and returns (config text, port).
    spool and mail default to folder/spool and folder/mail."""
    port = free_port()
    with open(os.path.join(folder, "domains"), "w") as f:
        f.write(DOMAIN + "\n")
    with open(os.path.join(folder, "mailboxes"), "w") as f:
        f.write("user@example.test\nload@example.test\nother@example.test\n")
    with open(os.path.join(folder, "relay_domains"), "w") as f:
        f.write("")
    config = """[smtp]
hostname = mx1.example.test
listen = 127.0.0.1:%d
spool = %s
maildir_root = %s
domains = domains
mailboxes = mailboxes
relay_domains = relay_domains
mynetworks = 127.0.0.0/8
%s
""" % (port, spool or os.path.join(folder, "spool"), mail or os.path.join(folder, "mail"), extra)
    return config, port


def message(msgid, size=0, rcpt=USER, sender="sender@example.org"):
    """A message (CRLF lines) with a Message-ID, padded to about size bytes,
    ending in a line that names it, so that a cut copy shows."""
    lines = ["From: <%s>" % sender, "To: <%s>" % rcpt, "Subject: test %s" % msgid,
             "Message-ID: <%s>" % msgid, ""]
    line = "0123456789" * 7
    while sum(len(x) + 2 for x in lines) < size:
        lines.append(line)
    lines.append("END-OF-%s" % msgid)
    return ("\r\n".join(lines) + "\r\n").encode()


def maildir_files(mail_root, address=USER):
    """{file name: bytes} of every message in the mailbox (new and cur)."""
    local, domain = address.split("@")
    out = {}
    for sub in ("new", "cur"):
        d = os.path.join(mail_root, domain, local, sub)
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                out[name] = f.read()
    return out


def delivered_ids(mail_root, address=USER):
    """{Message-ID: copies} in the mailbox; a copy without its END line
    (cut short) counts under 'TRUNCATED'."""
    ids = {}
    for data in maildir_files(mail_root, address).values():
        m = MSGID_RE.search(data)
        if not m:
            continue
        mid = m.group(1).decode()
        key = mid if ("END-OF-%s" % mid).encode() in data else "TRUNCATED"
        ids[key] = ids.get(key, 0) + 1
    return ids


def wait_for(pred, timeout=30, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def files_in(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


class Sender(threading.Thread):
    """Sends messages one after another over smtplib, reconnecting after any
    error, and records the Message-ID of each that got 250 after DATA (and
    the replies of those that did not)."""

    def __init__(self, port, prefix, size=0, rcpt=USER, limit=None):
        super().__init__(daemon=True)
        self.port, self.prefix, self.size, self.rcpt, self.limit = port, prefix, size, rcpt, limit
        self.accepted, self.refused, self.errors = [], [], 0
        self.stop = threading.Event()

    def run(self):
        n = 0
        conn = None
        while not self.stop.is_set() and (self.limit is None or n < self.limit):
            mid = "%s-%d-%s@test" % (self.prefix, n, uuid.uuid4().hex[:8])
            n += 1
            try:
                if conn is None:
                    conn = smtplib.SMTP("127.0.0.1", self.port, timeout=10)
                    conn.ehlo("sender.test")
                conn.sendmail("sender@example.org", [self.rcpt], message(mid, self.size, self.rcpt))
                self.accepted.append(mid)
            except smtplib.SMTPResponseException as e:
                self.refused.append((e.smtp_code, e.smtp_error))
                self._reset(conn)
            except smtplib.SMTPRecipientsRefused as e:
                self.refused.append(list(e.recipients.values())[0])
                self._reset(conn)
            except (OSError, smtplib.SMTPException):
                self.errors += 1
                conn = self._close(conn)
                time.sleep(0.05)

    def _reset(self, conn):
        try:
            conn.rset()
        except (OSError, smtplib.SMTPException):
            pass

    def _close(self, conn):
        try:
            if conn:
                conn.close()
        except OSError:
            pass
        return None


class SmtpSource(threading.Thread):
    """Postfix's smtp-source, run again and again (it exits when the server
    goes away) until stopped: load alongside the recording senders."""

    def __init__(self, port, sessions=10, count=200, size=1000, rcpt="load@example.test"):
        super().__init__(daemon=True)
        self.args = ["smtp-source", "-c", "-s", str(sessions), "-m", str(count), "-l", str(size),
                     "-f", "sender@example.org", "-t", rcpt, "127.0.0.1:%d" % port]
        self.stop = threading.Event()
        self.runs = 0
        self.proc = None

    def run(self):
        while not self.stop.is_set():
            self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.runs += 1
            time.sleep(0.05)

    def halt(self):
        self.stop.set()
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        self.join(timeout=10)

