"""The ESMTP server against real clients (smtplib, swaks, raw sockets):
every reply of issue 4, pipelined and not."""
import os
import re
import signal
import socket
import smtplib
import subprocess
import time

import pytest

from conftest import run
from smtpkit import (Conn, greeted, message_with, messages, recipients,
                     smtp_config, start_mx)

LIMITS = "message_size_limit = 20000\nmax_recipients = 100\nmax_errors = 12\n"


@pytest.fixture
def mx(server_factory, tmp_path):
    return start_mx(server_factory, tmp_path, extra=LIMITS)


def body(marker, extra=""):
    return ("From: a@sender.test\r\nTo: user@example.test\r\nSubject: %s\r\n\r\n"
            "hello %s\r\n%s" % (marker, marker, extra))


# ---- greeting, EHLO, the simple commands ----

def test_ehlo_advertises_extensions(mx):
    with smtplib.SMTP("127.0.0.1", mx.port, timeout=10) as c:
        code, text = c.ehlo("client.test")
        assert code == 250
        lines = text.decode().split("\n")
        assert lines[0] == "mx1.example.test"
        for ext in ("PIPELINING", "SIZE 20000", "8BITMIME", "ENHANCEDSTATUSCODES",
                    "SMTPUTF8", "CHUNKING"):
            assert ext in lines
        assert c.does_esmtp


def test_greeting_helo_and_simple_commands(mx):
    c = Conn(mx.port)
    assert c.reply() == (220, "mx1.example.test ESMTP mxhost")
    assert c.cmd("HELO client.test") == (250, "mx1.example.test")
    assert c.cmd("NOOP") == (250, "2.0.0 Ok")
    assert c.cmd("RSET") == (250, "2.0.0 Ok")
    code, text = c.cmd("VRFY user@example.test")
    assert code == 252 and text.startswith("2.0.0 ")
    code, text = c.cmd("HELP")
    assert code == 214 and text.startswith("2.0.0 Commands:")
    assert c.cmd("EXPN list") == (502, "5.5.1 Error: command not implemented")
    assert c.cmd("STARTTLS") == (502, "5.5.1 Error: command not implemented")
    assert c.cmd("QUIT") == (221, "2.0.0 Bye")
    assert c.closed()


def test_enhanced_codes_on_every_reply(mx):
    """Every reply but the greeting and EHLO/HELO's carries X.Y.Z (RFC 2034)."""
    c = Conn(mx.port)
    c.reply()
    c.cmd("EHLO x")
    seen = []
    for line in ["NOOP", "FOO", "MAIL FROM:<a@b.test>", "RCPT TO:<nobody@example.test>",
                 "RCPT TO:<x@elsewhere.test>", "RCPT TO:<user@example.test>",
                 "MAIL FROM:<a@b.test>", "VRFY x", "RSET", "DATA", "RCPT TO:x"]:
        seen.append(c.cmd(line))
    for code, text in seen:
        assert re.match(r"[245]\.\d{1,3}\.\d{1,3} ", text), (code, text)
        assert str(code)[0] == text[0]


# ---- accepting mail ----

def test_smtplib_message_is_queued_with_received_header(mx):
    with smtplib.SMTP("127.0.0.1", mx.port, timeout=10) as c:
        c.ehlo("client.test")
        c.mail("a@sender.test")
        c.rcpt("user@example.test")
        code, text = c.data(body("m1-marker").encode())
    assert code == 250
    qid = re.match(r"2\.0\.0 Ok: queued as ([0-9A-F]+)$", text.decode()).group(1)
    m = message_with(mx.folder_path, "m1-marker")
    assert m["id"] == qid
    content = m["content"]
    assert re.search(
        rb"Received: from client\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx1\.example\.test "
        rb"\(mxhost\) with ESMTP id " + qid.encode() + rb"\r\n\tfor <user@example\.test>;"
        rb"\r\n\t\w{3}, \d{2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n", content)
    assert b"hello m1-marker\r\n" in content
    assert recipients(m) == {"user@example.test"}
    # one log line keyed by the queue ID
    line = [l for l in mx.log().splitlines() if qid + ": client=" in l]
    assert len(line) == 1
    assert re.search(qid + r": client=\[127\.0\.0\.1\]:\d+, helo=<client\.test>, "
                     r"from=<a@sender\.test>, size=\d+, nrcpt=1$", line[0])


def test_swaks_message(mx):
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % mx.port, "--helo", "swaks.test",
                        "--from", "s@sender.test", "--to", "USER@Example.TEST",
                        "--header", "Subject: swaks-marker", "--timeout", "10"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"<-  250 2\.0\.0 Ok: queued as [0-9A-F]+", r.stdout)
    m = message_with(mx.folder_path, "swaks-marker")
    assert recipients(m) == {"user@example.test"}


def test_swaks_pipelining(mx):
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % mx.port, "--pipeline",
                        "--from", "s@sender.test", "--to", "user@example.test,nobody@example.test",
                        "--header", "Subject: swaks-pipe-marker", "--timeout", "10"],
                       capture_output=True, text=True, timeout=30)
    assert "550 5.1.1 <nobody@example.test>: Recipient address rejected" in r.stdout
    assert re.search(r"250 2\.0\.0 Ok: queued as", r.stdout), r.stdout
    m = message_with(mx.folder_path, "swaks-pipe-marker")
    assert recipients(m) == {"user@example.test"}


def test_null_sender_8bitmime_and_postmaster(mx):
    c = greeted(mx.port)
    assert c.cmd("MAIL FROM:<> BODY=8BITMIME") == (250, "2.1.0 Ok")
    assert c.cmd("RCPT TO:<Postmaster>") == (250, "2.1.5 Ok")
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: bounce-marker\r\n\r\n\xe9t\xe9\r\n.\r\n".encode("latin-1"))
    assert c.reply()[0] == 250
    m = message_with(mx.folder_path, "bounce-marker")
    assert recipients(m) == {"postmaster@example.test"}
    if "sender" in m:
        assert m["sender"] == ""
        assert m["flags"] & 1  # BODY=8BITMIME recorded


def test_pipelined_batches(mx):
    """PIPELINING: a batch in one write gets its replies in order, and the
    commands pipelined behind the final dot are answered after it."""
    c = greeted(mx.port)
    c.send("MAIL FROM:<a@sender.test>\r\nRCPT TO:<user@example.test>\r\n"
           "RCPT TO:<nobody@example.test>\r\nRCPT TO:<second@example.test>\r\nDATA\r\n")
    r = c.replies(5)
    assert [x[0] for x in r] == [250, 250, 550, 250, 354]
    c.send(body("pipe1-marker") + ".\r\n"
           "MAIL FROM:<b@sender.test>\r\nRCPT TO:<user@example.test>\r\nDATA\r\n")
    r = c.replies(4)
    assert r[0][0] == 250 and "queued as" in r[0][1]
    assert [x[0] for x in r[1:]] == [250, 250, 354]
    c.send(body("pipe2-marker") + ".\r\nRSET\r\nNOOP\r\nQUIT\r\n")
    r = c.replies(4)
    assert [x[0] for x in r] == [250, 250, 250, 221]
    m1 = message_with(mx.folder_path, "pipe1-marker")
    m2 = message_with(mx.folder_path, "pipe2-marker")
    assert recipients(m1) == {"user@example.test", "second@example.test"}
    assert recipients(m2) == {"user@example.test"}


def test_dot_stuffing_and_line_ends(mx):
    c = greeted(mx.port)
    c.cmd("MAIL FROM:<a@sender.test>")
    c.cmd("RCPT TO:<user@example.test>")
    assert c.cmd("DATA")[0] == 354
    # a stuffed dot, a lone dot after a bare LF (smuggling), bare LFs
    c.send("Subject: dots-marker\r\n\r\n..leading dot\r\nbare\nline\n.\nnot the end\r\n"
           "\r\n.\r\n")
    code, text = c.reply()
    assert code == 250, text
    m = message_with(mx.folder_path, "dots-marker")
    assert (b"\r\n\r\n.leading dot\r\nbare\r\nline\r\n.\r\nnot the end\r\n\r\n"
            in m["content"])


def test_bare_lf_commands(mx):
    c = Conn(mx.port)
    c.reply()
    c.send("EHLO lf.test\n")
    assert c.reply()[0] == 250
    assert c.cmd("NOOP\n".rstrip("\n")) == (250, "2.0.0 Ok")
    c.send("MAIL FROM:<a@sender.test>\nRCPT TO:<user@example.test>\nDATA\n")
    assert [x[0] for x in c.replies(3)] == [250, 250, 354]
    c.send("Subject: lf-marker\n\nbody\r\n.\r\n")
    assert c.reply()[0] == 250
    m = message_with(mx.folder_path, "lf-marker")
    assert b"Subject: lf-marker\r\n\r\nbody\r\n" in m["content"]


# ---- the error replies ----

def test_bad_sequence_503(mx):
    c = Conn(mx.port)
    c.reply()
    assert c.cmd("MAIL FROM:<a@b.test>") == (503, "5.5.1 Error: send HELO/EHLO first")
    c.cmd("EHLO x")
    assert c.cmd("RCPT TO:<user@example.test>") == (503, "5.5.1 Error: need MAIL command")
    assert c.cmd("DATA") == (503, "5.5.1 Error: need MAIL command")
    c.cmd("MAIL FROM:<a@b.test>")
    assert c.cmd("MAIL FROM:<a@b.test>") == (503, "5.5.1 Error: nested MAIL command")
    assert c.cmd("DATA") == (503, "5.5.1 Error: need RCPT command")
    assert c.cmd("RSET") == (250, "2.0.0 Ok")
    assert c.cmd("DATA") == (503, "5.5.1 Error: need MAIL command")


def test_unknown_500_and_syntax_501(mx):
    c = greeted(mx.port)
    assert c.cmd("FOO bar") == (500, "5.5.1 Error: command not recognized")
    assert c.cmd("") == (500, "5.5.1 Error: command not recognized")
    assert c.cmd("MAIL FROM <a@b.test>")[0:1] == (501,)
    assert c.cmd("MAIL FROM <a@b.test>")[1].startswith("5.5.4 Syntax: MAIL FROM:<address>")
    assert c.cmd("MAIL FROM:<a@@b.test>") == (501, "5.1.7 Bad sender address syntax")
    assert c.cmd("MAIL FROM:<a@b.test> FOO=1") == (555, "5.5.4 Unsupported option")
    assert c.cmd("MAIL FROM:<a@b.test>") == (250, "2.1.0 Ok")
    assert c.cmd("RCPT TO:<user@example.test.>") == (501, "5.1.3 Bad recipient address syntax")
    assert c.cmd("RCPT TO:<user@example.test> NOTIFY=NEVER") == (555, "5.5.4 Unsupported option")
    assert c.cmd("EHLO")[0] == 501
    assert c.cmd("NOOP") == (250, "2.0.0 Ok")


def test_command_line_too_long_500(mx):
    c = greeted(mx.port)
    assert c.cmd("NOOP " + "x" * 505) == (250, "2.0.0 Ok")  # 510 + CRLF = 512
    assert c.cmd("NOOP " + "x" * 506) == (500, "5.5.2 Error: line too long")
    c.send("NOOP " + "y" * 5000 + "\r\n")
    assert c.reply() == (500, "5.5.2 Error: line too long")
    assert c.cmd("NOOP") == (250, "2.0.0 Ok")


def test_smtputf8(mx):
    c = greeted(mx.port)
    code, text = c.cmd("MAIL FROM:<j\u00f6rg@sender.test>")
    assert (code, text[:5]) == (553, "5.6.7")
    assert c.cmd("MAIL FROM:<j\u00f6rg@sender.test> SMTPUTF8") == (250, "2.1.0 Ok")
    assert c.cmd("RCPT TO:<user@example.test>") == (250, "2.1.5 Ok")
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: utf8-marker \u00e9\r\n\r\nx\r\n.\r\n")
    assert c.reply()[0] == 250
    m = message_with(mx.folder_path, "utf8-marker")
    assert b"with UTF8SMTP id" in m["content"]


def test_size_552_before_and_during_data(mx):
    c = greeted(mx.port)
    assert c.cmd("MAIL FROM:<a@b.test> SIZE=20001") == \
        (552, "5.3.4 Message size exceeds fixed limit")
    assert c.cmd("MAIL FROM:<a@b.test> SIZE=19000") == (250, "2.1.0 Ok")
    assert c.cmd("RCPT TO:<user@example.test>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: big-marker\r\n\r\n" + ("x" * 78 + "\r\n") * 300 + ".\r\n")
    assert c.reply() == (552, "5.3.4 Message size exceeds fixed limit")
    # the session goes on, and the big message was not kept
    assert c.cmd("MAIL FROM:<a@b.test>") == (250, "2.1.0 Ok")
    assert c.cmd("RCPT TO:<user@example.test>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: small-marker\r\n\r\nx\r\n.\r\n")
    assert c.reply()[0] == 250
    message_with(mx.folder_path, "small-marker")
    assert not any(b"big-marker" in m.get("content", b"")
                   for m in messages(mx.folder_path).values())
    # smtplib sees the limit too
    with smtplib.SMTP("127.0.0.1", mx.port, timeout=10) as s:
        with pytest.raises(smtplib.SMTPSenderRefused) as e:
            s.sendmail("a@b.test", ["user@example.test"], "x" * 30000)
        assert e.value.smtp_code == 552


def test_too_many_recipients_452(mx):
    c = greeted(mx.port)
    c.cmd("MAIL FROM:<a@b.test>")
    c.send("".join("RCPT TO:<user%d@other.test>\r\n" % i for i in range(101)))
    r = c.replies(101)
    assert all(x == (250, "2.1.5 Ok") for x in r[:100])
    assert r[100] == (452, "4.5.3 Error: too many recipients")
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: many-marker\r\n\r\nx\r\n.\r\n")
    assert c.reply()[0] == 250
    m = message_with(mx.folder_path, "many-marker")
    # all 100 go to the catch-all's one mailbox: delivered once
    assert recipients(m) == {"second@example.test"}


def test_received_loop_554(mx):
    hops = "".join("Received: from hop%d.test by hop%d.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
                   % (i, i + 1) for i in range(100))
    with smtplib.SMTP("127.0.0.1", mx.port, timeout=10) as c:
        c.ehlo("x")
        # 100 is still fine
        c.sendmail("a@b.test", ["user@example.test"], hops + "Subject: hops100-marker\r\n\r\nx\r\n")
        c.mail("a@b.test")
        c.rcpt("user@example.test")
        code, text = c.data((hops + "Received: one more\r\nSubject: loop-marker\r\n\r\nx\r\n")
                            .encode())
        assert (code, text.decode()) == (554, "5.4.6 Too many Received: headers: mail loop")
    message_with(mx.folder_path, "hops100-marker")
    assert not any(b"loop-marker" in m.get("content", b"")
                   for m in messages(mx.folder_path).values())


def test_text_line_too_long_554(mx):
    c = greeted(mx.port)
    c.cmd("MAIL FROM:<a@b.test>")
    c.cmd("RCPT TO:<user@example.test>")
    c.cmd("DATA")
    c.send("Subject: x\r\n\r\n" + "y" * 999 + "\r\n.\r\n")
    code, text = c.reply()
    assert (code, text[:5]) == (554, "5.6.0")
    assert c.cmd("NOOP")[0] == 250


def test_policy_replies(mx):
    c = greeted(mx.port)
    c.cmd("MAIL FROM:<a@b.test>")
    assert c.cmd("RCPT TO:<nobody@example.test>") == \
        (550, "5.1.1 <nobody@example.test>: Recipient address rejected: User unknown")
    assert c.cmd("RCPT TO:<x@elsewhere.test>") == \
        (554, "5.7.1 <x@elsewhere.test>: Relay access denied")
    assert c.cmd("RCPT TO:<anyone@backup.test>") == (250, "2.1.5 Ok")
    assert c.cmd("RCPT TO:<a@listed.test>") == (250, "2.1.5 Ok")
    assert c.cmd("RCPT TO:<b@listed.test>")[0:1] == (550,)
    assert c.cmd("RCPT TO:<alias@example.test>") == (250, "2.1.5 Ok")
    assert c.cmd("RCPT TO:<USER@example.test>") == (250, "2.1.5 Ok")  # also via alias@
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: policy-marker\r\n\r\nx\r\n.\r\n")
    assert c.reply()[0] == 250
    m = message_with(mx.folder_path, "policy-marker")
    assert recipients(m) >= {"anyone@backup.test", "a@listed.test", "remote@elsewhere.test"}
    assert recipients(m) <= {"anyone@backup.test", "a@listed.test", "remote@elsewhere.test",
                             "user@example.test"}
    assert len(m["rcpts"]) == len({r[0] for r in m["rcpts"]}), m["rcpts"]  # each once
    assert len(m["rcpts"]) == 4
    kinds = {r[0]: (r[1], r[2]) for r in m["rcpts"]}
    assert kinds["anyone@backup.test"] == ("anyone@backup.test", "remote")
    assert kinds["remote@elsewhere.test"] == ("alias@example.test", "remote")
    log = mx.log()
    assert "NOQUEUE: reject: RCPT from [127.0.0.1]" in log
    assert "550 5.1.1 <nobody@example.test>" in log


def test_bdat(mx):
    c = greeted(mx.port)
    # out of sequence: 503, and its bytes are skipped, not taken as commands
    c.send("BDAT 6\r\nQUIT\r\n")
    assert c.reply() == (503, "5.5.1 Error: need MAIL command")
    assert c.cmd("NOOP") == (250, "2.0.0 Ok")
    part1 = "Subject: bdat-marker\r\n\r\n"
    part2 = ".not stuffed\r\nend\r\n"
    c.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\n"
           "BDAT %d\r\n%sBDAT %d LAST\r\n%s" % (len(part1), part1, len(part2), part2))
    r = c.replies(4)
    assert r[:3] == [(250, "2.1.0 Ok"), (250, "2.1.5 Ok"),
                     (250, "2.0.0 Ok: %d octets received" % len(part1))]
    assert r[3][0] == 250 and "queued as" in r[3][1]
    m = message_with(mx.folder_path, "bdat-marker")
    assert m["content"].endswith(b"\r\n\r\n.not stuffed\r\nend\r\n")
    # BDAT 0 LAST ends a message; DATA after BDAT is out of sequence
    part = "Subject: bdat0-marker\r\n\r\nx\r\n"
    c.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\n"
           "BDAT %d\r\n%s" % (len(part), part))
    assert [x[0] for x in c.replies(3)] == [250, 250, 250]
    assert c.cmd("DATA") == (503, "5.5.1 Error: BDAT transfer in progress")
    assert c.cmd("BDAT 0 LAST")[0] == 250
    message_with(mx.folder_path, "bdat0-marker")


def test_bdat_too_big(mx):
    c = greeted(mx.port)
    c.cmd("MAIL FROM:<a@b.test>")
    c.cmd("RCPT TO:<user@example.test>")
    chunk = "x" * 70 + "\r\n"
    data = chunk * 300
    c.send("BDAT %d\r\n%sBDAT 5 LAST\r\nabc\r\nNOOP\r\n" % (len(data), data))
    r = c.replies(3)
    assert r[0] == (552, "5.3.4 Message size exceeds fixed limit")
    # the LAST chunk behind it gets the same answer, its bytes skipped
    assert r[1] == (552, "5.3.4 Message size exceeds fixed limit")
    assert r[2] == (250, "2.0.0 Ok")


def bdat_chunk(n, last=False):
    """BDAT n and n octets of lines that would be commands if the server
    lost the chunk's framing."""
    line = "QUIT " + "x" * 50 + "\r\n"
    data = line * (n // len(line))
    data += "y" * (n - len(data) - 2) + "\r\n" if n - len(data) >= 2 else "\r\n"[:n - len(data)]
    assert len(data) == n
    return "BDAT %d%s\r\n%s" % (n, " LAST" if last else "", data)


def test_bdat_failed_chunks_pipelined(server_factory, tmp_path):
    """RFC 3030: the chunks pipelined behind a failed one get its error,
    their octets skipped and not counted as errors, until LAST; then the
    session goes on. With max_errors = 5 the five chunks used to get 503
    each and the client was cut off with 421."""
    text, port = smtp_config(tmp_path, extra="message_size_limit = 20000\nmax_errors = 5\n")
    server_factory(text)
    c = greeted(port)
    c.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\n" + bdat_chunk(25000) +
           "".join(bdat_chunk(100 + i) for i in range(5)) + bdat_chunk(9, last=True) +
           "NOOP\r\n")
    r = c.replies(10)
    assert r[:2] == [(250, "2.1.0 Ok"), (250, "2.1.5 Ok")]
    assert r[2:9] == [(552, "5.3.4 Message size exceeds fixed limit")] * 7
    assert r[9] == (250, "2.0.0 Ok")
    # back to normal: a message goes through, and four errors are not five
    part = "Subject: after-failed-bdat\r\n\r\nok\r\n"
    c.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\n"
           "BDAT %d LAST\r\n%s" % (len(part), part))
    r = c.replies(3)
    assert r[2][0] == 250 and "queued as" in r[2][1], r
    message_with(tmp_path, "after-failed-bdat")
    for _ in range(4):
        assert c.cmd("BOGUS")[0] == 500
    assert c.cmd("NOOP") == (250, "2.0.0 Ok")
    # RSET ends a failed transfer too: BDAT is out of sequence again, and
    # that 503 counts, the fifth error
    c.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\n" + bdat_chunk(21000) +
           "RSET\r\n" + bdat_chunk(10))
    r = c.replies(6)
    assert r[2] == (552, "5.3.4 Message size exceeds fixed limit")
    assert r[3] == (250, "2.0.0 Ok")
    assert r[4] == (503, "5.5.1 Error: need MAIL command")
    assert r[5] == (421, "4.7.0 mx1.example.test Error: too many errors")
    assert c.closed()


def test_bdat_without_valid_recipient(server_factory, tmp_path):
    """Every recipient refused, the chunks already pipelined: one 503 that
    counts, the same 503 for the rest, and no cut-off."""
    text, port = smtp_config(tmp_path, extra="max_errors = 3\n")
    server_factory(text)
    c = greeted(port)
    c.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<nobody@example.test>\r\n" +
           "".join(bdat_chunk(200) for _ in range(6)) + bdat_chunk(200, last=True) +
           "NOOP\r\n")
    r = c.replies(10)
    assert r[1][0] == 550
    assert r[2:9] == [(503, "5.5.1 Error: need RCPT command")] * 7
    assert r[9] == (250, "2.0.0 Ok")
    assert c.cmd("QUIT") == (221, "2.0.0 Bye")


# ---- misbehaving clients ----

def test_too_many_errors_421(mx):
    c = greeted(mx.port)
    other = greeted(mx.port)
    for _ in range(11):
        assert c.cmd("BOGUS")[0] == 500
    c.send("BOGUS\r\n")
    assert c.reply()[0] == 500
    code, text = c.reply()
    assert (code, text) == (421, "4.7.0 mx1.example.test Error: too many errors")
    assert c.closed()
    assert other.cmd("NOOP") == (250, "2.0.0 Ok")
    assert "too many errors after UNKNOWN from [127.0.0.1]" in mx.log()


def test_connection_limits_421(server_factory, tmp_path):
    text, port = smtp_config(tmp_path, extra="max_connections_per_client = 3\n")
    srv = server_factory(text)
    conns = [greeted(port) for _ in range(3)]
    extra = Conn(port)
    code, text = extra.reply()
    assert code == 421 and text.startswith("4.7.0 ")
    assert extra.closed()
    assert conns[0].cmd("NOOP")[0] == 250
    conns[0].cmd("QUIT")
    assert conns[0].closed()
    # a slot is free again (the server has seen the QUIT)
    deadline = time.monotonic() + 5
    while True:
        c = Conn(port)
        code, _ = c.reply()
        if code == 220 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert code == 220
    assert "too many connections from [127.0.0.1]" in srv.log()


def test_timeout_421(server_factory, tmp_path):
    text, port = smtp_config(tmp_path, extra="timeout_command = 1s\ntimeout_data = 1s\n")
    srv = server_factory(text)
    c = greeted(port)
    start = time.monotonic()
    code, text = c.reply()
    assert (code, text) == (421, "4.4.2 mx1.example.test Error: timeout exceeded")
    assert 0.8 < time.monotonic() - start < 5
    assert c.closed()
    d = greeted(port)
    d.cmd("MAIL FROM:<a@b.test>")
    d.cmd("RCPT TO:<user@example.test>")
    d.cmd("DATA")
    d.send("Subject: half\r\n")
    assert d.reply()[0] == 421
    assert "timeout exceeded after DATA from [127.0.0.1]" in srv.log()
    assert messages(tmp_path) == {}


def test_client_gone_mid_data(mx):
    c = greeted(mx.port)
    c.cmd("MAIL FROM:<a@b.test>")
    c.cmd("RCPT TO:<user@example.test>")
    c.cmd("DATA")
    c.send("Subject: gone-marker\r\n\r\nhalf a mess")
    c.close()
    with smtplib.SMTP("127.0.0.1", mx.port, timeout=10) as s:
        s.sendmail("a@b.test", ["user@example.test"], "Subject: after-marker\r\n\r\nx\r\n")
    message_with(mx.folder_path, "after-marker")
    assert not any(b"gone-marker" in m.get("content", b"")
                   for m in messages(mx.folder_path).values())


# ---- lists: reload and configcheck ----

def test_reload_rereads_lists(mx):
    c = greeted(mx.port)
    c.cmd("MAIL FROM:<a@b.test>")
    assert c.cmd("RCPT TO:<new@example.test>")[0] == 550
    with open(os.path.join(mx.folder, "mailboxes"), "a") as f:
        f.write("new@example.test\n")
    mx.reload()
    mx.wait_log("smtp: lists: 2 domains, 4 mailboxes")
    assert c.cmd("RCPT TO:<new@example.test>") == (250, "2.1.5 Ok")
    # a broken list keeps the old ones, and says where
    with open(os.path.join(mx.folder, "mailboxes"), "a") as f:
        f.write("newer@example.test\nbroken line@\n")
    mx.reload()
    mx.wait_log("keeping the lists loaded before")
    assert re.search(r"mailboxes:8: expected ADDRESS or ADDRESS: TARGETS", mx.log())
    assert c.cmd("RCPT TO:<new@example.test>") == (250, "2.1.5 Ok")
    assert c.cmd("RCPT TO:<newer@example.test>")[0] == 550


def test_configcheck_validates_lists(tmp_path):
    text, _ = smtp_config(tmp_path, mailboxes="user@example.test\nx@example.test: nobody@example.test\n")
    conf = tmp_path / "mx.conf"
    conf.write_text(text)
    r = run(["configcheck", "-c", str(conf)])
    assert r.returncode == 1
    assert "mailboxes:2: alias target nobody@example.test is not a mailbox" in r.stderr
    text, _ = smtp_config(tmp_path)
    conf.write_text(text)
    r = run(["configcheck", "-c", str(conf)])
    assert r.returncode == 0, r.stderr
    conf.write_text(text.replace("spool = spool\n", ""))
    r = run(["configcheck", "-c", str(conf)])
    assert r.returncode == 1 and "needs spool" in r.stderr


def test_stop_with_sessions_open(server_factory, tmp_path):
    text, port = smtp_config(tmp_path)
    srv = server_factory(text)
    idle = greeted(port)
    busy = greeted(port)
    busy.cmd("MAIL FROM:<a@b.test>")
    busy.cmd("RCPT TO:<user@example.test>")
    busy.cmd("DATA")
    busy.send("Subject: x\r\n")
    assert srv.stop() == 0
    assert idle.reply() == (421, "4.3.2 mx1.example.test Service shutting down")
    assert messages(tmp_path) == {}


def test_ipv6_client(server_factory, tmp_path):
    text, port = smtp_config(tmp_path, host="::1")
    server_factory(text)
    c = greeted(port, host="::1")
    c.cmd("MAIL FROM:<a@b.test>")
    c.cmd("RCPT TO:<user@example.test>")
    c.cmd("DATA")
    c.send("Subject: v6-marker\r\n\r\nx\r\n.\r\n")
    assert c.reply()[0] == 250
    m = message_with(tmp_path, "v6-marker")
    assert b"Received: from client.test ([IPv6:::1])\r\n" in m["content"]


def test_connection_limit_in_all_421(server_factory, tmp_path):
    text, port = smtp_config(tmp_path, extra="max_connections = 2\n")
    srv = server_factory(text)
    a, b = greeted(port), greeted(port)
    c = Conn(port)
    code, text = c.reply()
    assert (code, text) == (421, "4.7.0 mx1.example.test Error: too many connections")
    assert c.closed()
    assert a.cmd("NOOP")[0] == 250 and b.cmd("NOOP")[0] == 250
    assert "too many connections in all" in srv.log()


def test_junk_commands_count_as_errors(mx):
    c = greeted(mx.port)
    c.send("NOOP\r\n" * 100)
    assert all(r == (250, "2.0.0 Ok") for r in c.replies(100))
    c.send("NOOP\r\n" * 20)
    replies = []
    while True:
        try:
            replies.append(c.reply())
        except EOFError:
            break
    assert replies[-1] == (421, "4.7.0 mx1.example.test Error: too many errors")
    assert len(replies) == 12  # max_errors = 12: 11 more NOOPs, then 421


def test_half_close_after_pipelined_message(mx):
    """A client that sends its last message, QUIT, and shuts down its side
    at once still gets 250 for the message (else it would send it again)."""
    import socket
    c = greeted(mx.port)
    c.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\nDATA\r\n")
    assert [x[0] for x in c.replies(3)] == [250, 250, 354]
    c.send("Subject: halfclose-marker\r\n\r\nx\r\n.\r\nQUIT\r\n")
    c.sock.shutdown(socket.SHUT_WR)
    r = c.replies(2)
    assert r[0][0] == 250 and "queued as" in r[0][1]
    assert r[1] == (221, "2.0.0 Bye")
    assert c.closed()
    message_with(mx.folder_path, "halfclose-marker")
    # the same mid-DATA: nothing is kept, the loss is logged
    d = greeted(mx.port)
    d.cmd("MAIL FROM:<a@b.test>")
    d.cmd("RCPT TO:<user@example.test>")
    d.cmd("DATA")
    d.send("Subject: cut-marker\r\n\r\nx\r\n")
    d.sock.shutdown(socket.SHUT_WR)
    assert d.closed()
    mx.wait_log("lost connection after DATA from [127.0.0.1]")
    assert not any(b"cut-marker" in m.get("content", b"")
                   for m in messages(mx.folder_path).values())


@pytest.mark.parametrize("args,reply", [
    (["--to", "x@elsewhere.test"], "554 5.7.1 <x@elsewhere.test>: Relay access denied"),
    (["--to", "nobody@example.test"], "550 5.1.1 <nobody@example.test>: Recipient address"),
    (["--to", "user@example.test", "--body", "x" * 30000], "552 5.3.4 Message size exceeds"),
    (["--to", "user@example.test", "--from", "a@@b.test"], "501 5.1.7 Bad sender address"),
    (["--to", "user@example.test", "--quit-after", "RCPT", "--pipeline"], "250 2.1.5 Ok"),
], ids=["relay", "unknown-user", "size", "bad-sender", "pipelined-rcpt"])
def test_swaks_replies(mx, args, reply):
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % mx.port, "--timeout", "10",
                        "--from", "s@sender.test"] + args,
                       capture_output=True, text=True, timeout=30)
    assert reply in r.stdout, r.stdout


def test_longest_helo_and_recipient(mx):
    """The Received: header of the longest HELO and recipient still fits."""
    c = Conn(mx.port)
    c.reply()
    assert c.cmd("EHLO " + "h" * 500)[0] == 250
    assert c.cmd("MAIL FROM:<a@b.test>")[0] == 250
    local = "r" * (510 - len("RCPT TO:<@backup.test>"))
    assert c.cmd("RCPT TO:<%s@backup.test>" % local) == (250, "2.1.5 Ok")
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: long-marker\r\n\r\nx\r\n.\r\n")
    assert c.reply()[0] == 250
    m = message_with(mx.folder_path, "long-marker")
    assert ("for <%s@backup.test>;" % local).encode() in m["content"]


def test_hostname_defaults_to_the_system_name(server_factory, tmp_path):
    # No hostname key: the greeting and the Received: header both use the
    # system's host name (Postfix's myhostname), never an empty one.
    text, port = smtp_config(tmp_path)
    text = text.replace("hostname = mx1.example.test\n", "")
    server_factory(text)
    c = Conn(port)
    code, greeting = c.reply()
    assert code == 220
    assert greeting.split()[0] == socket.gethostname()
    c.close()
