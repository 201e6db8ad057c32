"""SMTP server review (branch rev-smtp): hostile and odd clients against the
real binary. Each test here failed when it was written; see the docstrings
for the expected behaviour and the cause."""
import socket
import threading
import time

import pytest

from smtpkit import Conn, greeted, smtp_config

LIMITS = ("message_size_limit = 20000\nmax_recipients = 100\nmax_errors = 12\n"
          "timeout_command = 3s\ntimeout_data = 3s\n")


@pytest.fixture
def mx(server_factory, tmp_path):
    text, port = smtp_config(tmp_path, extra=LIMITS)
    s = server_factory(text)
    s.port = port
    s.folder_path = tmp_path
    return s


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


# ---- 1. a client that reads everything still stalls for ever ----

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
    """A client that pipelines and reads every reply at once must get all
    its replies (RFC 2920: the server may hold back reading, but must go on
    when the client has taken the replies).

    Today: once more than OUT_HIGH (64 KB) of replies are produced in one
    callback, process_input() (src/smtp/session.c:793-797) sets s->paused
    and disables EV_READ, counting on on_write() (session.c:832) to resume
    when the output drains. But finish() -> flush() (session.c:229-230)
    writes the replies straight to the socket with evbuffer_write(); when
    the socket takes them all, the bufferevent's output stays empty, no
    write event ever fires, on_write() never runs, and reading is never
    enabled again. The session hangs for ever: no read timeout (reading is
    disabled), no write timeout (nothing to write), the connection slot
    stays taken (max_connections_per_client slots leak one by one)."""
    got, eof = exchange(mx.port, data)
    assert got.count(b"250 CHUNKING") >= 2000, (
        "stalled after %d EHLO replies" % got.count(b"250 CHUNKING"))
    assert b"221 2.0.0 Bye" in got and eof


def test_stalled_session_keeps_its_slot(server_factory, tmp_path):
    """Consequence of the stall above: a client can take every connection
    slot for ever, timeouts notwithstanding (timeout_command is 2s here).
    Expected: the stalled sessions finish (or time out with 421), so the
    client can connect again."""
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
