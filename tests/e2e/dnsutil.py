"""Helpers for the DNS end-to-end tests: the test zones, mxhost and NSD
serving them on loopback, queries (dnspython) and raw packets.

NSD runs as the tests' own process (no daemon, no chroot, no control
socket, no rate limiting) in the test's temporary folder, on a port of
its own: the same zone files go to both servers.
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import time

import dns.flags
import dns.message
import dns.query
import dns.rdataclass
import dns.rdatatype

from conftest import free_port

ZONES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dns_zones")
ZONES = [
    ("example.test", "example.test.zone"),
    ("zone2.test", "zone2.test.zone"),
    ("sub.example.test", "sub.example.test.zone"),
    ("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone"),
]
NSD = shutil.which("nsd") or "/usr/sbin/nsd"


def copy_zones(folder):
    """Copies the test zones into folder; returns [(name, path)]."""
    out = []
    for name, fname in ZONES:
        dst = os.path.join(str(folder), fname)
        shutil.copy(os.path.join(ZONES_DIR, fname), dst)
        out.append((name, dst))
    return out


def mxhost_config(port, zones, extra="", v6=True):
    """A [dns] config listening on 127.0.0.1 (and ::1) at port."""
    lines = ["[dns]", "listen = 127.0.0.1:%d" % port]
    if v6:
        lines.append("listen = [::1]:%d" % port)
    lines += ["zone = %s %s" % (n, p) for n, p in zones]
    return "\n".join(lines) + "\n" + extra


class Nsd:
    """NSD in the foreground on 127.0.0.1:port, serving zones."""

    def __init__(self, folder, port, zones):
        self.folder = str(folder)
        self.port = port
        self.conf = os.path.join(self.folder, "nsd.conf")
        self.log = os.path.join(self.folder, "nsd.log")
        text = ["server:",
                "  ip-address: 127.0.0.1@%d" % port,
                "  ip-address: ::1@%d" % port,
                "  server-count: 1",
                '  username: ""', '  chroot: ""', '  database: ""',
                '  zonesdir: "%s"' % self.folder,
                '  zonelistfile: "%s/zone.list"' % self.folder,
                '  xfrdfile: "%s/xfrd.state"' % self.folder,
                '  pidfile: "%s/nsd.pid"' % self.folder,
                '  logfile: "%s"' % self.log,
                # The version and identity stay hidden, as mxhost keeps them.
                "  hide-version: yes", "  hide-identity: yes",
                # Debian builds NSD with rate limiting on: off, or the
                # tests' bursts from one address get dropped.
                "  rrl-ratelimit: 0", "  rrl-whitelist-ratelimit: 0",
                "remote-control:", "  control-enable: no"]
        for name, path in zones:
            text += ["zone:", "  name: %s" % name, '  zonefile: "%s"' % path]
        with open(self.conf, "w") as f:
            f.write("\n".join(text) + "\n")
        self.proc = None

    def start(self, timeout=15):
        assert os.path.exists(NSD), "nsd missing: run make deps"
        self.proc = subprocess.Popen([NSD, "-d", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("nsd exited: %s" % self.log_text())
            try:
                query("example.test", "SOA", self.port, timeout=0.2)
                return self
            except Exception:
                time.sleep(0.05)
        raise AssertionError("nsd did not answer: %s" % self.log_text())

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def make_query(name, rdtype="A", rdclass="IN", edns=None, do=False, rd=True, qid=4242):
    """A query message; edns is the payload size, or None for no OPT."""
    m = dns.message.make_query(name, rdtype, rdclass=rdclass,
                               use_edns=0 if edns else -1, payload=edns or 1232,
                               want_dnssec=do)
    m.id = qid
    m.flags = dns.flags.RD if rd else 0
    return m


def query(name, rdtype="A", port=None, host="127.0.0.1", tcp=False, timeout=3, **kw):
    """Sends a query, returns the parsed response."""
    m = make_query(name, rdtype, **kw)
    f = dns.query.tcp if tcp else dns.query.udp
    return f(m, host, port=port, timeout=timeout)


def raw_udp(packet, port, host="127.0.0.1", timeout=1.0):
    """Sends bytes, returns the bytes of the answer or None (dropped)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, (host, port))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def tcp_exchange(sock, packet):
    """Sends one length-prefixed message on sock, reads one back."""
    sock.sendall(struct.pack("!H", len(packet)) + packet)
    return tcp_read(sock)


def tcp_read(sock):
    """Reads one length-prefixed message; None when the peer closed."""
    head = recv_exact(sock, 2)
    if head is None:
        return None
    return recv_exact(sock, struct.unpack("!H", head)[0])


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def header(qid=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def question(name="example.test", rdtype=1, rdclass=1):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\x00"
    return wire + struct.pack("!HH", rdtype, rdclass)


def opt(size=1232, ext=0, version=0, flags=0, rdata=b"", owner=b"\x00"):
    return owner + struct.pack("!HHBBHH", 41, size, ext, version, flags, len(rdata)) + rdata


def canon(section):
    """A section as a sorted list of records, names in canonical form:
    compared as sets of records, TTLs included."""
    out = []
    for rrset in section:
        for rd in rrset:
            out.append((rrset.name.canonicalize().to_text(), rrset.ttl, rrset.rdclass,
                        rrset.rdtype, rd.to_digestable()))
    return sorted(out)


def summary(r):
    """What the differential test compares of a response."""
    return dict(
        id=r.id, opcode=r.opcode(), rcode=r.rcode(), flags=dns.flags.to_text(r.flags),
        question=[(q.name.canonicalize().to_text(), q.rdtype, q.rdclass) for q in r.question],
        answer=canon(r.answer), authority=canon(r.authority), additional=canon(r.additional),
        edns=r.edns, payload=r.payload if r.edns >= 0 else None,
        ednsflags=r.ednsflags if r.edns >= 0 else None,
        options=sorted(o.to_text() for o in r.options),
    )


def rrs(section, rdtype=None):
    """Records of a section as "name type rdata" strings (lower-case names)."""
    out = []
    for rrset in section:
        if rdtype and rrset.rdtype != dns.rdatatype.from_text(rdtype):
            continue
        for rd in rrset:
            out.append("%s %s %s" % (rrset.name.to_text().lower(),
                                     dns.rdatatype.to_text(rrset.rdtype), rd.to_text()))
    return sorted(out)


def start_nsd_and_mxhost(folder, zones, request):
    """NSD and mxhost serving the same zones on two free ports, stopped when
    the requesting fixture ends (mxhost must stop cleanly). Returns
    (nsd_port, mxhost_port, mxhost Server)."""
    from conftest import Server
    nsd_port, mx_port = free_ports(2)
    nsd = Nsd(folder, nsd_port, zones).start()
    request.addfinalizer(nsd.stop)
    mx = Server(folder, mxhost_config(mx_port, zones)).start()

    def stop():
        assert mx.stop() == 0, mx.log()
    request.addfinalizer(stop)
    return nsd_port, mx_port, mx


def free_ports(n):
    ports = set()
    while len(ports) < n:
        ports.add(free_port())
    return list(ports)
