"""Disk-full test, on two small tmpfs: one for the mailboxes, filled up
front, one for the spool. Deliveries fail (ENOSPC) and are deferred, the
spool fills with the mail that cannot leave, and new mail gets 452 4.3.1;
the server keeps serving. Once the mailboxes' file system has room again,
the deferred mail is delivered (none lost, none cut short), the spool
drains and new mail is accepted."""
import errno
import os
import smtplib
import subprocess

import pytest

from queuelib import USER, Sender, delivered_ids, files_in, mail_host, message, wait_for


def mount_tmpfs(path, size):
    os.makedirs(path)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs: " + r.stderr.strip())


def fill(path):
    """Writes a ballast file until the file system is full."""
    ballast = os.path.join(path, "ballast")
    with open(ballast, "wb", buffering=0) as f:
        chunk = b"\0" * 65536
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            assert e.errno == errno.ENOSPC
            chunk = b"\0" * 512
            try:
                while True:
                    f.write(chunk)
            except OSError:
                pass
    return ballast


@pytest.fixture
def two_fs(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    spool, mail = str(tmp_path / "spoolfs"), str(tmp_path / "mailfs")
    mounted = []
    try:
        mount_tmpfs(spool, "3m")
        mounted.append(spool)
        mount_tmpfs(mail, "1m")
        mounted.append(mail)
        yield spool, mail
    finally:
        for m in mounted:
            subprocess.run(["umount", "-l", m])


def test_disk_full(server_factory, tmp_path, two_fs):
    spoolfs, mailfs = two_fs
    spool, mail = os.path.join(spoolfs, "spool"), os.path.join(mailfs, "mail")
    ballast = fill(mailfs)
    config, port = mail_host(str(tmp_path), spool=spool, mail=mail,
                             extra="retry_min = 1s\nretry_max = 1s\n")
    srv = server_factory(config)

    # 100 KB messages: the 3 MB spool is full after a couple of dozen.
    s = Sender(port, "full", size=100000, limit=60)
    s.start()
    s.join(timeout=60)
    assert s.accepted, "nothing was accepted at all"
    codes = [c for c, _ in s.refused]
    assert 452 in codes, "never refused with 452: %r" % s.refused[:5]
    assert all(c == 452 for c in codes), s.refused
    assert all(b"4.3.1" in text for c, text in s.refused)
    assert s.errors == 0, "connections broke: the server must keep serving"
    assert "status=deferred (cannot" in srv.log()
    assert delivered_ids(mail, USER) == {}
    print("accepted %d, refused %d with 452" % (len(s.accepted), len(s.refused)))

    # Still serving while full.
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        assert c.noop()[0] == 250

    # Space returns: the deferred mail goes out, the spool drains, new
    # mail comes in.
    os.unlink(ballast)
    subprocess.run(["mount", "-o", "remount,size=64m", mailfs], check=True)
    assert wait_for(lambda: all(m in delivered_ids(mail, USER) for m in s.accepted), 30), \
        "accepted mail not delivered after space returned"
    assert wait_for(lambda: files_in(os.path.join(spool, "queue")) == [], 10)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.sendmail("sender@example.org", [USER], message("after-full@test", 100000))
    assert wait_for(lambda: "after-full@test" in delivered_ids(mail, USER), 10)
    ids = delivered_ids(mail, USER)
    assert "TRUNCATED" not in ids
    assert files_in(os.path.join(spool, "quarantine")) == []
    assert srv.stop() == 0
    assert files_in(os.path.join(spool, "tmp")) == []
