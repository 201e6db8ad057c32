"""Dovecot reads mxhost's Maildir: messages sent over SMTP and delivered
by mxhost come back intact, byte for byte, through IMAP and POP3 from a
real Dovecot (dovecot-imapd, dovecot-pop3d) started by the test on
loopback with its own config, mail_location pointing at mxhost's
maildir_root."""
import imaplib
import os
import poplib
import pwd
import shutil
import smtplib
import subprocess
import tempfile
import time

import pytest

from conftest import free_port
from queuelib import USER, delivered_ids, mail_host, message, wait_for

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

DOVECOT_CONF = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = {uid}
mail_location = maildir:{mail}/%d/%n
passdb {{
  driver = static
  args = password=secret
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%d/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""


def bodies():
    """Messages that stress the path: 8-bit text, a line starting with a
    dot, long lines, a big one (spilled to disk while received), an empty
    body."""
    plain = message("plain@test")
    utf8 = ("From: <sender@example.org>\r\nTo: <user@example.test>\r\n"
            "Subject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\r\nMessage-ID: <utf8@test>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
            "\r\nGrüße, ça va? 日本語\r\n.a line starting with a dot\r\n..two dots\r\n"
            + "x" * 990 + "\r\nEND-OF-utf8@test\r\n").encode()
    big = message("big@test", 300000)
    empty = (b"From: <sender@example.org>\r\nMessage-ID: <empty@test>\r\n"
             b"Subject: END-OF-empty@test\r\n\r\n")
    return {"plain@test": plain, "utf8@test": utf8, "big@test": big, "empty@test": empty}


def check_copy(got, sent):
    """What Dovecot returns: our two headers, the Received header the
    SMTP server adds, then exactly what was sent."""
    assert got.startswith(b"Return-Path: <sender@example.org>\r\nDelivered-To: user@example.test\r\n")
    assert got.endswith(sent), "content changed on the way"
    prefix = got[:len(got) - len(sent)]
    assert prefix.count(b"\r\nReceived: ") == 1 or prefix.count(b"Received: ") == 1


@pytest.fixture
def shared_dir():
    """A folder the "mail" user can reach: pytest's own are 0700 all the
    way up, and Dovecot reads mail as that user, never as root."""
    d = tempfile.mkdtemp(prefix="mxhost-dovecot-")
    os.chmod(d, 0o711)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def dovecot(shared_dir):
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot is not installed")
    procs = []

    def start(mail_root):
        d = os.path.join(shared_dir, "dovecot")
        for sub in ("run", "state", "home"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        # Dovecot never reads mail as root: the mailboxes go to the
        # "mail" user, as when mxhost itself runs as that user.
        pw = pwd.getpwnam("mail")
        for top in (mail_root, os.path.join(d, "home")):
            for root, dirs, files in os.walk(top):
                for n in dirs + files:
                    os.chown(os.path.join(root, n), pw.pw_uid, pw.pw_gid)
            os.chown(top, pw.pw_uid, pw.pw_gid)
        ports = {"imap": free_port(), "pop3": free_port()}
        conf = os.path.join(d, "dovecot.conf")
        with open(conf, "w") as f:
            f.write(DOVECOT_CONF.format(dir=d, mail=mail_root, uid=pw.pw_uid, gid=pw.pw_gid,
                                        **ports))
        p = subprocess.Popen([DOVECOT, "-F", "-c", conf], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        procs.append(p)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                imaplib.IMAP4("127.0.0.1", ports["imap"]).logout()
                return ports
            except OSError:
                if p.poll() is not None:
                    break
                time.sleep(0.1)
        log = os.path.join(d, "dovecot.log")
        raise AssertionError("dovecot did not start:\n" +
                             (open(log).read() if os.path.exists(log) else ""))

    yield start
    for p in procs:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def test_dovecot_reads_maildir(server_factory, tmp_path, shared_dir, dovecot):
    mail = os.path.join(shared_dir, "mail")
    config, port = mail_host(str(tmp_path), mail=mail)
    srv = server_factory(config)
    sent = bodies()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        for mid, data in sent.items():
            c.sendmail("sender@example.org", [USER], data, mail_options=["BODY=8BITMIME"])
    assert wait_for(lambda: set(delivered_ids(mail, USER)) >= set(sent), 20)
    assert srv.stop() == 0

    ports = dovecot(mail)

    # IMAP: every message, byte for byte.
    imap = imaplib.IMAP4("127.0.0.1", ports["imap"])
    imap.login(USER, "secret")
    typ, data = imap.select("INBOX", readonly=True)
    assert typ == "OK" and int(data[0]) == len(sent)
    seen = set()
    for num in range(1, len(sent) + 1):
        typ, data = imap.fetch(str(num), "(BODY.PEEK[])")
        assert typ == "OK"
        got = data[0][1]
        mid = next(m for m in sent if ("<%s>" % m).encode() in got)
        check_copy(got, sent[mid])
        seen.add(mid)
    assert seen == set(sent)
    imap.logout()

    # POP3 the same (poplib undoes the dot-stuffing).
    pop = poplib.POP3("127.0.0.1", ports["pop3"], timeout=10)
    pop.user(USER)
    pop.pass_("secret")
    count, _ = pop.stat()
    assert count == len(sent)
    for num in range(1, count + 1):
        _, lines, _ = pop.retr(num)
        got = b"\r\n".join(lines) + b"\r\n"
        mid = next(m for m in sent if ("<%s>" % m).encode() in got)
        check_copy(got, sent[mid])
    pop.quit()
