"""Recipient policy review: differences from Postfix 3.7 that are bugs.

The lists were translated into a private Postfix instance
(virtual_mailbox_domains, texthash: virtual_mailbox_maps and
virtual_alias_maps, relay_domains + relay_recipient_maps,
smtpd_relay_restrictions = reject_unauth_destination, mynetworks empty)
and the same RCPT TO sent to both; where the mail ended up was compared
(Maildir folders, queue recipients). These tests need no Postfix: its
behaviour, and the table lines used, are in each docstring.
"""
import smtplib

from conftest import run
from smtpkit import delivered, smtp_config

DOMAINS = "example.test\nother.test\n"


def body(marker):
    return ("From: a@sender.test\r\nSubject: %s\r\n\r\nhello %s\r\n" % (marker, marker)).encode()


def test_alias_to_postmaster_of_a_catchall_domain_follows_the_catchall(server_factory, tmp_path):
    """An alias naming postmaster@DOMAIN of a domain with a catch-all must
    go where RCPT TO:<postmaster@DOMAIN> goes: to the catch-all.

    mailboxes:
        user@example.test
        second@example.test
        abuse@example.test: Postmaster@Other.Test
        @other.test: second@example.test

    Postfix (virtual_mailbox_maps: user@example.test, second@example.test;
    virtual_alias_maps: `abuse@example.test postmaster@other.test`,
    `@other.test second@example.test`) delivers both RCPT TO:<postmaster@
    other.test> and RCPT TO:<abuse@example.test> to second@example.test.

    mxhost delivers postmaster@other.test to second@example.test (docs/
    SMTP.md, Postmaster: an entry, else the catch-all, else the implicit
    mailbox), but abuse@example.test to maildir_root/other.test/postmaster/,
    the implicit mailbox that nobody reads and that the catch-all was meant
    to replace. Cause: expand() in src/smtp/policy.c finds the target key
    with find() and takes the implicit E_MAILBOX as it is, while
    lookup_hosted() puts the domain's catch-all before an implicit entry;
    expansion should resolve a hosted target the way lookup_hosted() does.
    """
    text, port = smtp_config(tmp_path, domains=DOMAINS, mailboxes="""\
user@example.test
second@example.test
abuse@example.test: Postmaster@Other.Test
@other.test: second@example.test
""")
    server_factory(text)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.ehlo("client.test")
        assert c.sendmail("a@sender.test", ["postmaster@other.test"], body("pm-direct")) == {}
        assert c.sendmail("a@sender.test", ["abuse@example.test"], body("pm-alias")) == {}
    assert delivered(tmp_path, "pm-direct") == {"second@example.test"}
    assert delivered(tmp_path, "pm-alias") == {"second@example.test"}


def test_mailbox_that_cannot_be_a_maildir_is_reported(tmp_path):
    """A mailbox whose local part cannot name a Maildir folder must be
    reported when the lists are read, not accepted at RCPT and lost.

    mailboxes:
        user@example.test
        a/b@example.test

    `a/b` is a valid RFC 5321 Dot-string, so the mailboxes list takes it
    without a word (configcheck exits 0, nothing on stderr) and RCPT TO:
    <a/b@example.test> is answered 250. The delivery then refuses it
    (src/deliver/maildir.c safe_part(): "address cannot name a mailbox",
    dsn=5.1.3, status=bounced) and, DSNs not being implemented, the mail
    is gone without a bounce. (Postfix takes the folder from the
    virtual_mailbox_maps value, e.g. `a/b@example.test example.test/a_b/`,
    so the local part never has to be a file name there.)

    Expected: on_mailbox() in src/smtp/policy.c applies the delivery's
    rule (no '/', no leading '.', no control characters in the folder
    name) and reports mailboxes:2, as an error or as an ignored entry
    with a warning, so that the address gets 550 rather than 250.
    """
    conf = tmp_path / "mxhost.conf"
    text, _ = smtp_config(tmp_path, domains="example.test\n",
                          mailboxes="user@example.test\na/b@example.test\n")
    conf.write_text(text)
    r = run(["configcheck", "-c", str(conf)], cwd=str(tmp_path))
    assert "mailboxes:2" in r.stderr, (r.returncode, r.stderr)
