"""Shared fixtures for the end-to-end tests.

Every test drives the real binary (MXHOST, set by `make e2e`) on loopback,
with a config written into the test's own temporary folder. Ports are
picked free at run time so that tests never collide.
"""
import os
import signal
import socket
import subprocess
import time

import pytest

MXHOST = os.environ.get("MXHOST") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "mxhost")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The line mxhost logs once it listens ("info: ready"; "ready" alone would
# also match words such as "already").
READY = "info: ready"


def free_port(host="127.0.0.1"):
    """A port free for both UDP and TCP on host."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(100):
        with socket.socket(family, socket.SOCK_STREAM) as t:
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((host, 0))
            port = t.getsockname()[1]
            try:
                with socket.socket(family, socket.SOCK_DGRAM) as u:
                    u.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def run(args, **kw):
    """Runs mxhost with args; returns the CompletedProcess (text)."""
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    return subprocess.run([MXHOST] + list(args), **kw)


class Server:
    """A running `mxhost serve` with its config, log and folder."""

    def __init__(self, folder, config_text, name="mxhost"):
        self.folder = str(folder)
        self.config = os.path.join(self.folder, name + ".conf")
        self.logpath = os.path.join(self.folder, name + ".log")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.proc = None

    def start(self, wait_ready=True, timeout=20):
        self.logfile = open(self.logpath, "ab")
        self.proc = subprocess.Popen([MXHOST, "serve", "-c", self.config],
                                     stdout=self.logfile, stderr=self.logfile,
                                     cwd=self.folder)
        if wait_ready:
            self.wait_log(READY, timeout=timeout)
        return self

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def wait_log(self, text, timeout=20, count=1):
        """Waits until text appears count times in the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log().count(text) >= count:
                return
            if self.proc.poll() is not None:
                raise AssertionError("mxhost exited (%s) before logging %r:\n%s"
                                     % (self.proc.returncode, text, self.log()))
            time.sleep(0.02)
        raise AssertionError("timed out waiting for %r in log:\n%s" % (text, self.log()))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self):
        """SIGHUP, and wait until the daemon says it re-read the config."""
        before = self.log().count("reload:")
        self.signal(signal.SIGHUP)
        self.wait_log("reload:", count=before + 1)

    def stop(self, timeout=30):
        """SIGTERM; returns the exit status (0 is a clean stop)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("mxhost did not stop on SIGTERM:\n" + self.log())
        finally:
            self.logfile.close()

    def kill(self):
        """kill -9, as a crash."""
        self.proc.kill()
        self.proc.wait()
        self.logfile.close()


@pytest.fixture
def server_factory(tmp_path):
    """Makes servers that are stopped at the end of the test; a server
    that does not stop cleanly (exit status not 0, as when a sanitizer
    reports) fails the test."""
    servers = []

    def make(config_text, name="mxhost", start=True, folder=None):
        s = Server(folder or tmp_path, config_text, name)
        servers.append(s)
        if start:
            s.start()
        return s

    yield make
    failures = []
    for s in servers:
        if s.proc is None:
            continue
        killed = s.proc.poll() is not None and s.proc.returncode == -signal.SIGKILL
        rc = s.stop()
        if rc != 0 and not killed:
            failures.append("%s exited with %s:\n%s" % (s.config, rc, s.log()[-5000:]))
    assert not failures, "\n".join(failures)
