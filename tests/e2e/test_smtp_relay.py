"""No open relay: a client outside mynetworks gets no message accepted for
a domain this host neither hosts nor is backup MX for, whatever trick
the address uses (issue 4: % hacks, source routes, bang paths, quoted
local parts holding @, trailing dots, IP literals, ...).

The server listens on 127.0.0.5 with mynetworks = 127.0.0.1/32, and the
client connects from 127.0.0.9: outside. The same tricks from 127.0.0.1
(inside) show that the test can tell relaying when it happens."""
import time

import pytest

from smtpkit import Conn, messages, smtp_config

SERVER = "127.0.0.5"
OUTSIDE = "127.0.0.9"
INSIDE = "127.0.0.1"

# (RCPT argument, what it tries)
TRICKS = [
    ("<victim@elsewhere.test>", "plain relaying"),
    ("<VICTIM@ELSEWHERE.TEST>", "case"),
    ("<victim%elsewhere.test@example.test>", "% hack via a hosted domain"),
    ("<victim%elsewhere.test@other.test>", "% hack via a catch-all domain"),
    ("<victim%elsewhere.test@backup.test>", "% hack via a relay domain"),
    ("<\"victim%elsewhere.test\"@example.test>", "quoted % hack"),
    ("<elsewhere.test!victim@example.test>", "bang path"),
    ("<elsewhere.test!victim>", "bare bang path"),
    ("<elsewhere.test!victim@backup.test>", "bang path via a relay domain"),
    ("<\"victim@elsewhere.test\"@example.test>", "quoted local part holding @"),
    ("<\"victim@elsewhere.test\"@backup.test>", "quoted @ via a relay domain"),
    ("<victim@elsewhere.test@example.test>", "two @"),
    ("<@example.test:victim@elsewhere.test>", "source route via a hosted domain"),
    ("<@example.test,@backup.test:victim@elsewhere.test>", "longer source route"),
    ("<@mx1.example.test:victim@elsewhere.test>", "source route via our name"),
    ("<victim@elsewhere.test.>", "trailing dot"),
    ("<victim@example.test.>", "trailing dot on a hosted domain"),
    ("<victim@elsewhere.test..>", "two trailing dots"),
    ("<victim@[127.0.0.1]>", "IP literal, loopback"),
    ("<victim@[127.0.0.5]>", "IP literal, our own address"),
    ("<victim@[192.0.2.1]>", "IP literal"),
    ("<victim@[IPv6:::1]>", "IPv6 literal"),
    ("<victim@sub.example.test>", "subdomain of a hosted domain"),
    ("<victim@example.test.elsewhere.test>", "hosted name as a prefix"),
    ("<victim@elsewhere.test> ", "trailing space"),
    ("victim@elsewhere.test", "no angle brackets"),
    ("<victim@elsewhere.test", "unclosed bracket"),
    ("<postmaster@elsewhere.test>", "postmaster elsewhere"),
    ("<victim@elsewhere.test> NOTIFY=NEVER", "with a parameter"),
    ("<victim@elsewhere.test>\tx", "tab after the path"),
    ("<\\\"victim@elsewhere.test>", "escaped quote"),
    ("<victim@elsewhere.test%example.test>", "% in the domain"),
    ("<victim(comment)@elsewhere.test>", "comment"),
    ("<user@example.test>x<victim@elsewhere.test>", "two paths"),
]


@pytest.fixture
def relay_mx(server_factory, tmp_path):
    text, port = smtp_config(tmp_path, host=SERVER, mynetworks="127.0.0.1/32")
    srv = server_factory(text)
    srv.port = port
    return srv


def try_relay(port, source, rcpt):
    """One session: MAIL, the RCPT trick, then DATA if it was accepted.
    Returns the RCPT reply code and the final reply."""
    c = Conn(port, SERVER, source=source)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO attacker.test")[0] == 250
    assert c.cmd("MAIL FROM:<spam@attacker.test> SMTPUTF8")[0] == 250
    code, text = c.cmd("RCPT TO:" + rcpt)
    final = c.cmd("DATA")
    if final[0] == 354:
        c.send("Subject: relayed %s\r\n\r\nspam\r\n.\r\n" % rcpt)
        final = c.reply()
    c.cmd("QUIT")
    c.close()
    return code, text, final


@pytest.mark.parametrize("rcpt,why", TRICKS, ids=[t[1] for t in TRICKS])
def test_no_relay_from_outside(relay_mx, tmp_path, rcpt, why):
    code, text, final = try_relay(relay_mx.port, OUTSIDE, rcpt)
    assert code >= 500, "%s (%s) got %d %s" % (rcpt, why, code, text)
    assert final[0] == 503, final  # DATA: no valid recipient
    assert messages(tmp_path) == {}


def test_utf8_domains_do_not_relay(relay_mx, tmp_path):
    for rcpt in ("<victim@\u00e9lsewhere.test>", "<v\u00efctim@elsewhere.test>",
                 "<victim%\u00e9lsewhere.test@example.test>"):
        code, text, final = try_relay(relay_mx.port, OUTSIDE, rcpt)
        assert code >= 500, (rcpt, code, text)
    assert messages(tmp_path) == {}


def test_mixed_recipients_keep_only_hosted(relay_mx, tmp_path):
    """A hosted recipient next to relay tricks: the message is accepted
    for the hosted mailbox and nobody else."""
    c = Conn(relay_mx.port, SERVER, source=OUTSIDE)
    c.reply()
    c.cmd("EHLO attacker.test")
    c.cmd("MAIL FROM:<spam@attacker.test>")
    assert c.cmd("RCPT TO:<user@example.test>")[0] == 250
    for rcpt, _ in TRICKS[:15]:  # fewer than max_errors (20)
        assert c.cmd("RCPT TO:" + rcpt)[0] >= 500
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: mixed-marker\r\n\r\nx\r\n.\r\n")
    assert c.reply()[0] == 250
    deadline = time.monotonic() + 15
    while True:
        msgs = messages(tmp_path)
        done = [m for m in msgs.values() if m["mailboxes"]]
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(msgs) == 1, msgs
    m = list(msgs.values())[0]
    assert {r[0] for r in m["rcpts"]} <= {"user@example.test"}
    assert m["mailboxes"] <= {"user@example.test"}
    assert all(r[2] == "local" for r in m["rcpts"])


def test_inside_mynetworks_may_relay(relay_mx, tmp_path):
    """The control: from mynetworks, relaying works, so the test above
    would see it."""
    code, _, final = try_relay(relay_mx.port, INSIDE, "<victim@elsewhere.test>")
    assert code == 250
    assert final[0] == 250
    # still no sender routing, even from inside
    code, _, _ = try_relay(relay_mx.port, INSIDE, "<victim@elsewhere.test.>")
    assert code == 501
    deadline = time.monotonic() + 10
    while not messages(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    msgs = messages(tmp_path)
    assert len(msgs) == 1
    m = list(msgs.values())[0]
    assert m["rcpts"] == [("victim@elsewhere.test", "victim@elsewhere.test", "remote")]


def test_empty_mynetworks_trusts_nobody(server_factory, tmp_path):
    text, port = smtp_config(tmp_path, mynetworks="")
    server_factory(text)
    c = Conn(port)
    c.reply()
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<a@b.test>")
    assert c.cmd("RCPT TO:<victim@elsewhere.test>")[0] == 554
