"""RFC 5321 4.5.1: RCPT TO postmaster at any domain we serve, and
<postmaster> with no domain, MUST be accepted. The mailboxes list need not
name them: unlisted, postmaster@DOMAIN is delivered to its own Maildir,
maildir_root/DOMAIN/postmaster/ (docs/SMTP.md, Postmaster)."""
import os
import smtplib
import subprocess

import pytest

from smtpkit import delivered, greeted, smtp_config, start_mx

DOMAINS = "example.test\nother.test\nfwd.test\n"
MAILBOXES = """\
user@example.test
@fwd.test: user@example.test
abuse@other.test: postmaster@other.test
"""


@pytest.fixture
def mx(server_factory, tmp_path):
    return start_mx(server_factory, tmp_path, domains=DOMAINS, mailboxes=MAILBOXES)


def new_files(folder, domain, local):
    path = os.path.join(str(folder), "mail", domain, local, "new")
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def body(marker):
    return ("From: a@sender.test\r\nSubject: %s\r\n\r\nhello %s\r\n" % (marker, marker)).encode()


def test_postmaster_rcpt_replies(mx):
    c = greeted(mx.port)
    assert c.cmd("MAIL FROM:<a@sender.test>") == (250, "2.1.0 Ok")
    for rcpt in ("<Postmaster@example.test>", "<postmaster>", "<POSTMASTER>",
                 "<postmaster@OTHER.test>", "<\"postmaster\"@fwd.test>",
                 "<postmaster@backup.test>", "<postmaster@listed.test>"):
        assert c.cmd("RCPT TO:" + rcpt) == (250, "2.1.5 Ok"), rcpt
    # only postmaster: other names stay unknown, other domains are relaying
    assert c.cmd("RCPT TO:<hostmaster@example.test>")[0] == 550
    assert c.cmd("RCPT TO:<b@listed.test>")[0] == 550
    assert c.cmd("RCPT TO:<postmaster@elsewhere.test>") == (
        554, "5.7.1 <postmaster@elsewhere.test>: Relay access denied")
    assert c.cmd("RCPT TO:<postmaster@sub.example.test>")[0] == 554
    assert c.cmd("QUIT")[0] == 221


def test_postmaster_delivered_to_its_maildir(mx):
    with smtplib.SMTP("127.0.0.1", mx.port, timeout=10) as c:
        c.ehlo("client.test")
        # the same final recipient three ways: delivered once
        refused = c.sendmail("a@sender.test",
                             ["Postmaster@example.test", "postmaster", "POSTMASTER@EXAMPLE.TEST"],
                             body("pm-example"))
        assert refused == {}
        assert c.sendmail("", ["postmaster@other.test", "abuse@other.test"],
                          body("pm-other")) == {}
        assert c.sendmail("a@sender.test", ["postmaster@fwd.test"], body("pm-fwd")) == {}
    assert delivered(mx.folder_path, "pm-example") == {"postmaster@example.test"}
    assert len(new_files(mx.folder_path, "example.test", "postmaster")) == 1
    # abuse is an alias of the unlisted postmaster: one copy
    assert delivered(mx.folder_path, "pm-other") == {"postmaster@other.test"}
    assert len(new_files(mx.folder_path, "other.test", "postmaster")) == 1
    # a catch-all names postmaster too: it wins over the implicit mailbox
    assert delivered(mx.folder_path, "pm-fwd") == {"user@example.test"}
    assert new_files(mx.folder_path, "fwd.test", "postmaster") == []
    with open(os.path.join(str(mx.folder_path), "mail", "example.test", "postmaster", "new",
                           new_files(mx.folder_path, "example.test", "postmaster")[0]),
              "rb") as f:
        content = f.read()
    assert b"Delivered-To: postmaster@example.test" in content
    assert b"hello pm-example" in content


def test_swaks_postmaster_without_domain(mx):
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % mx.port, "--helo", "swaks.test",
                        "--from", "s@sender.test", "--to", "postmaster",
                        "--header", "Subject: swaks-pm-marker", "--timeout", "10"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert " -> RCPT TO:<postmaster>" in r.stdout
    assert "<-  250 2.1.5 Ok" in r.stdout
    # the hostname mx1.example.test is not hosted; its parent is
    assert delivered(mx.folder_path, "swaks-pm-marker") == {"postmaster@example.test"}


def test_listed_postmaster_wins(server_factory, tmp_path):
    text, port = smtp_config(tmp_path, domains="example.test\n",
                             mailboxes="user@example.test\n"
                                       "postmaster@example.test: user@example.test\n")
    server_factory(text)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        assert c.sendmail("a@sender.test", ["postmaster"], body("pm-listed")) == {}
    assert delivered(tmp_path, "pm-listed") == {"user@example.test"}
    assert new_files(tmp_path, "example.test", "postmaster") == []


def test_postmaster_without_domain_first_hosted(server_factory, tmp_path):
    """Neither the hostname nor a parent of it is hosted: <postmaster> is
    postmaster at the first domain of the list, and no mailboxes list is
    needed at all."""
    text, port = smtp_config(tmp_path, domains="# customers\nzz.test\naa.test\n",
                             mailboxes="")
    server_factory(text)
    c = greeted(port)
    assert c.cmd("MAIL FROM:<>") == (250, "2.1.0 Ok")
    assert c.cmd("RCPT TO:<postmaster>") == (250, "2.1.5 Ok")
    assert c.cmd("RCPT TO:<postmaster@aa.test>") == (250, "2.1.5 Ok")
    assert c.cmd("DATA")[0] == 354
    c.send(body("pm-first") + b".\r\n")
    assert c.reply()[0] == 250
    assert c.cmd("QUIT")[0] == 221
    assert delivered(tmp_path, "pm-first") == {"postmaster@zz.test", "postmaster@aa.test"}
