"""SMTP server review (branch rev-smtp): cases found by probing the real
binary with hostile and odd clients: heavy pipelining, over-long reply
lines, the Received: protocol name, a BDAT with a bad end marker. Each
docstring says what is expected and why."""
import socket
import threading
import time

import pytest

from smtpkit import Conn, greeted, message_with, smtp_config, start_mx

LIMITS = ("message_size_limit = 20000\nmax_recipients = 100\nmax_errors = 12\n"
          "timeout_command = 3s\ntimeout_data = 3s\n")


@pytest.fixture
def mx(server_factory, tmp_path):
    return start_mx(server_factory, tmp_path, extra=LIMITS)


def exchange(port, data, wait=8.0):
    """Sends data in one go while a second thread reads every reply, as a
    pipelining client does; returns what came back before EOF or wait
    seconds of silence."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=wait)
    got = bytearray()
    eof = []

    def reader():
        try:
            while True:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    eof.append(True)
                    return
                got.extend(chunk)
        except (socket.timeout, ConnectionResetError):
            return

    t = threading.Thread(target=reader)
    t.start()
    sock.sendall(data)
    t.join()
    sock.close()
    return bytes(got), bool(eof)


# ---- 1. a pipelining client that reads every reply gets them all ----

@pytest.mark.parametrize("data", [
    # 7-octet commands: one 4 KB read of them makes more than 64 KB of replies
    pytest.param(b"EHLO x\n" * 2000 + b"QUIT\r\n", id="ehlo-bare-lf"),
    # commands pipelined behind the dot pile up in the input while the
    # spool commits, then are all answered in one callback
    pytest.param(b"EHLO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\n"
                 b"DATA\r\nSubject: stall\r\n\r\nx\r\n.\r\n" + b"EHLO x\r\n" * 2000
                 + b"QUIT\r\n", id="behind-the-dot"),
])
def test_output_pause_resumes_when_client_reads(mx, data):
    """A client that pipelines and reads every reply gets all its replies
    and QUIT's 221 (RFC 2920: the server may stop reading while replies
    pile up, but reads on once the client has taken them). The session
    stops reading when one callback makes more than 64 KB of replies, and
    resumes when they are sent, also when the socket takes them all at
    once. Before the fix, it resumed only on a write event, which never
    came when the socket took everything, so the session hung for good."""
    got, eof = exchange(mx.port, data)
    assert got.count(b"250 CHUNKING") >= 2000, (
        "stalled after %d EHLO replies" % got.count(b"250 CHUNKING"))
    assert b"221 2.0.0 Bye" in got and eof


def test_stalled_session_keeps_its_slot(server_factory, tmp_path):
    """Sessions paused for their replies end (answered, or timed out
    with 421), so they give back their connection slots and the client
    can connect again (max_connections_per_client is 2 here,
    timeout_command 2s). Before the fix, such sessions hung with reading
    off and nothing to write, so no timeout ended them and each kept its
    slot for good."""
    text, port = smtp_config(tmp_path, extra="max_connections_per_client = 2\n"
                             "timeout_command = 2s\ntimeout_data = 2s\n")
    server_factory(text)
    socks = []
    for _ in range(2):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.recv(1000)
        s.sendall(b"EHLO x\n" * 2000)
        socks.append(s)
    # read everything the server sends, for longer than every timeout
    deadline = time.monotonic() + 6
    for s in socks:
        s.settimeout(0.2)
    while time.monotonic() < deadline:
        for s in socks:
            try:
                s.recv(1 << 20)
            except (socket.timeout, OSError):
                pass
    c = Conn(port)
    code, text = c.reply()
    for s in socks:
        s.close()
    assert code == 220, (code, text)


# ---- 2. reply lines longer than 512 octets ----

@pytest.mark.parametrize("rcpt", [
    "<%s@example.test>" % ("a" * 480),    # 550 5.1.1 User unknown
    "<%s%%x@example.test>" % ("a" * 480),  # 554 5.7.1 ... routing
    "<%s@elsewhere.test>" % ("a" * 480),  # 554 5.7.1 Relay access denied
], ids=["550-unknown-user", "554-routing", "554-relay"])
def test_reply_lines_fit_512_octets(mx, rcpt):
    """RFC 5321 4.5.3.1.5: a reply line is at most 512 octets, code and
    CR LF included. A RCPT line within the 512-octet command limit is
    rejected with a reply that echoes the address shortened, so that the
    line fits. Before the fix, the address was echoed whole, in reply
    lines of 530 to 573 octets."""
    c = greeted(mx.port)
    assert c.cmd("MAIL FROM:<a@b.test>")[0] == 250
    line = "RCPT TO:" + rcpt
    assert len(line) + 2 <= 512
    c.send(line + "\r\n")
    raw = c.line()
    assert raw[:1] == "5", raw[:60]
    assert len(raw) + 2 <= 512, "reply line of %d octets" % (len(raw) + 2)


# ---- 3. Received: names a registered protocol ----

def test_received_with_registered_utf8_protocol(mx):
    """A message sent with SMTPUTF8 after EHLO gets "with UTF8SMTP" in its
    Received: header. RFC 5321 4.4: SMTP servers SHOULD NOT use
    unregistered names in the WITH clause; RFC 6531 3.7.3 registers
    UTF8SMTP as "ESMTP with SMTPUTF8" (and UTF8SMTPA/S/SA), and the IANA
    Mail Transmission Types registry has no UTF8ESMTP, so parsers of
    Received: (TLS and spam scoring, trace tools) would not know that
    name. Before the fix, the header said "with UTF8ESMTP"."""
    c = greeted(mx.port)
    assert c.cmd("MAIL FROM:<a@b.test> SMTPUTF8")[0] == 250
    assert c.cmd("RCPT TO:<user@example.test>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    code, _ = c.cmd("Subject: utf8proto\r\n\r\nx\r\n.")
    assert code == 250
    m = message_with(mx.folder_path, "utf8proto")
    assert b" with UTF8SMTP id " in m["content"], m["content"][:200]


# ---- 4. a BDAT with a size but a bad end marker ----

def test_bdat_bad_marker_chunk_is_not_read_as_commands(mx):
    """"BDAT 30 LASTX" gets 501, and the 30 octets after it are dropped
    (as for a BDAT refused with 503): no command is run from them. The
    size is readable, so those octets are the client's chunk whatever the
    answer (RFC 3030 section 2: the chunk follows the command without
    waiting for a reply). Before the fix, the chunk was not skipped and
    its octets were run as commands (here RSET and four NOOPs)."""
    c = greeted(mx.port)
    assert c.cmd("MAIL FROM:<a@b.test>")[0] == 250
    assert c.cmd("RCPT TO:<user@example.test>")[0] == 250
    chunk = b"RSET\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n"
    assert len(chunk) == 30
    c.send(b"BDAT 30 LASTX\r\n" + chunk + b"QUIT\r\n")
    code, _ = c.reply()
    assert code == 501
    # the next reply must be QUIT's, not those of the chunk's "commands"
    assert c.reply() == (221, "2.0.0 Bye")
