"""DNS peers for the resolver and route end-to-end tests, on loopback.

- Nsd: a real NSD serving zone texts, in the test's folder, on a free port.
- FakeDns: a small UDP+TCP server written here whose behaviour the test
  picks, to produce each failure class for real: silence, SERVFAIL,
  REFUSED, garbage, truncation (the answer then only over TCP), and forged
  answers (wrong ID, wrong question, wrong source address or port) sent
  before the right one. It records every query it gets.
- ZONES, served by both: the classic MX setups and mistakes.
- Fixtures: nsd (module-wide), authority (NSD, then mxhost serve), fake.
- route() and resolve(): run `mxhost route` and parse what it prints.
"""
import os
import re
import signal
import socket
import subprocess
import threading
import time

import dns.flags
import dns.query
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

import pytest

from conftest import free_port, run


class Nsd:
    """NSD serving {zone name: zone text} on 127.0.0.1:port."""

    def __init__(self, folder, zones):
        self.folder = os.path.join(str(folder), "nsd")
        os.makedirs(self.folder, exist_ok=True)
        self.port = free_port()
        conf = ["server:",
                "  ip-address: 127.0.0.1",
                "  port: %d" % self.port,
                '  username: ""',
                '  chroot: ""',
                '  zonesdir: "%s"' % self.folder,
                '  pidfile: "%s/nsd.pid"' % self.folder,
                '  database: ""',
                '  xfrdfile: "%s/xfrd.state"' % self.folder,
                '  zonelistfile: "%s/zone.list"' % self.folder,
                '  logfile: "%s/nsd.log"' % self.folder,
                "  server-count: 1",
                "  verbosity: 1",
                "remote-control:",
                "  control-enable: no"]
        for name, text in zones.items():
            with open(os.path.join(self.folder, name + ".zone"), "w") as f:
                f.write(text)
            conf += ["zone:", "  name: %s" % name, "  zonefile: %s.zone" % name]
        self.conf = os.path.join(self.folder, "nsd.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.proc = subprocess.Popen(["nsd", "-d", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_ready(next(iter(zones)))

    def wait_ready(self, zone, timeout=15):
        q = dns.message.make_query(zone, "SOA")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("nsd exited: " + self.log())
            try:
                r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.2)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    return
            except Exception:
                pass
            time.sleep(0.05)
        raise AssertionError("nsd did not answer: " + self.log())

    def log(self):
        try:
            with open(os.path.join(self.folder, "nsd.log")) as f:
                return f.read()
        except OSError:
            return ""

    @property
    def server(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class FakeDns:
    """A DNS server on 127.0.0.1:port, UDP and TCP, answering from
    records {(name, type): [rdata text, ...]} (NXDOMAIN for a name it does
    not know, NODATA with an SOA for a type it does not have, no answer at
    all where the list is None) with the misbehaviour chosen by mode:

      answer     answer normally
      silent     never answer
      servfail   SERVFAIL;  refused: REFUSED
      garbage    the header and question right, then nonsense
      truncate   over UDP: TC and no records; over TCP: the answer
      forged     over UDP, before the answer (sent `delay` s later): the
                 answer with a wrong ID, an answer to another question,
                 and the answer from another address and from another port;
                 each forgery carries the address 192.0.2.66
    """

    def __init__(self, records=None, mode="answer", ttl=300, delay=0.15):
        self.records = {(n.lower().rstrip(".") + ".", t): v for (n, t), v in (records or {}).items()}
        self.mode = mode
        self.ttl = ttl
        self.delay = delay
        self.port = free_port()
        self.queries = []  # (transport, source address, source port, id, name, type, edns payload)
        self.lock = threading.Lock()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(8)
        # forgeries from another address (127.0.0.2, same port) and from
        # another port of the right address
        self.other_addr = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other_addr.bind(("127.0.0.2", 0))
        self.other_port = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other_port.bind(("127.0.0.1", 0))
        self.stopping = False
        self.threads = [threading.Thread(target=self._serve_udp, daemon=True),
                        threading.Thread(target=self._serve_tcp, daemon=True)]
        for t in self.threads:
            t.start()

    @property
    def server(self):
        return "127.0.0.1:%d" % self.port

    def count(self, transport=None):
        with self.lock:
            return len([q for q in self.queries if transport in (None, q[0])])

    def _record(self, transport, peer, q):
        opt = q.edns >= 0 and q.payload or 0
        with self.lock:
            self.queries.append((transport, peer[0], peer[1], q.id,
                                 q.question[0].name.to_text().lower(),
                                 dns.rdatatype.to_text(q.question[0].rdtype), opt))

    def _unanswered(self, q):
        key = (q.question[0].name.to_text().lower(), dns.rdatatype.to_text(q.question[0].rdtype))
        return key in self.records and self.records[key] is None

    def response(self, q, tcp=False):
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA | dns.flags.RA
        qname = q.question[0].name.to_text().lower()
        qtype = dns.rdatatype.to_text(q.question[0].rdtype)
        if self.mode == "servfail":
            r.set_rcode(dns.rcode.SERVFAIL)
            return r
        if self.mode == "refused":
            r.set_rcode(dns.rcode.REFUSED)
            return r
        if self.mode == "truncate" and not tcp:
            r.flags |= dns.flags.TC
            return r
        names = {n for n, _ in self.records}
        if (qname, qtype) in self.records:
            r.answer.append(dns.rrset.from_text_list(qname, self.ttl, "IN", qtype,
                                                     self.records[(qname, qtype)]))
        else:
            if qname not in names:
                r.set_rcode(dns.rcode.NXDOMAIN)
            zone = qname.split(".", 1)[1] if qname.count(".") > 1 else qname
            r.authority.append(dns.rrset.from_text(
                zone, self.ttl, "IN", "SOA", "ns.%s admin.%s 1 3600 600 86400 60" % (zone, zone)))
        return r

    def _serve_udp(self):
        while not self.stopping:
            try:
                data, peer = self.udp.recvfrom(65535)
            except OSError:
                return
            try:
                q = dns.message.from_wire(data)
            except Exception:
                continue
            self._record("udp", peer, q)
            if self.mode == "silent" or self._unanswered(q):
                continue
            if self.mode == "garbage":
                self.udp.sendto(data[:2] + b"\x81\x80\x00\x01\x00\x03\x00\x00\x00\x00"
                                + data[12:] + b"\xc0\xff\x00", peer)
                continue
            good = self.response(q)
            if self.mode == "forged":
                forged = self.response(q)
                forged.answer = []
                qname = q.question[0].name
                if dns.rdatatype.to_text(q.question[0].rdtype) == "A":
                    forged.answer.append(dns.rrset.from_text(qname, 300, "IN", "A", "192.0.2.66"))
                else:
                    forged.set_rcode(dns.rcode.NXDOMAIN)
                wire = forged.to_wire()
                bad_id = bytes([wire[0] ^ 0x5a]) + wire[1:]
                try:
                    self.udp.sendto(bad_id, peer)
                except OSError:
                    return
                other_q = dns.message.make_query("other.test.", "A")
                other_q.id = q.id
                other = dns.message.make_response(other_q)
                other.answer.append(dns.rrset.from_text("other.test.", 300, "IN", "A", "192.0.2.66"))
                self.udp.sendto(other.to_wire(), peer)
                self.other_addr.sendto(wire, peer)
                self.other_port.sendto(wire, peer)
                time.sleep(self.delay)
            try:
                self.udp.sendto(good.to_wire(), peer)
            except OSError:
                return

    def _serve_tcp(self):
        while not self.stopping:
            try:
                conn, peer = self.tcp.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    n = int.from_bytes(self._read(conn, 2), "big")
                    q = dns.message.from_wire(self._read(conn, n))
                except Exception:
                    continue
                self._record("tcp", peer, q)
                if self.mode == "silent" or self._unanswered(q):
                    time.sleep(1)
                    continue
                wire = self.response(q, tcp=True).to_wire(max_size=65535)
                try:
                    conn.sendall(len(wire).to_bytes(2, "big") + wire)
                except OSError:
                    pass

    @staticmethod
    def _read(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def stop(self):
        self.stopping = True
        for s in (self.udp, self.other_addr, self.other_port):
            s.close()
        try:
            self.tcp.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.tcp.close()


def check_clean(p):
    """No sanitizer report (make asan runs these tests on an ASan build,
    whose exit status could pass for one of ours)."""
    assert "Sanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr


def resolve(servers, name, rtype, *extra):
    """`mxhost route -t TYPE NAME`; returns (exit status, [result dicts])
    with keys status, reason, canonical, cname, ttl, cached, records."""
    args = ["route", "-t", rtype]
    for s in servers:
        args += ["-s", s]
    p = run(args + list(extra) + [name], timeout=30)
    results = []
    for block in p.stdout.strip().split("\n\n"):
        d = {"records": []}
        for line in block.splitlines():
            key, _, value = line.partition(" ")
            if key == "record":
                d["records"].append(value)
            else:
                d[key] = value
        results.append(d)
    check_clean(p)
    return p.returncode, results


MX_LINE = re.compile(r"^  (use|skip) (\d+) (\S+?):? (.*)$")


def route(domain, *args):
    """`mxhost route DOMAIN`; returns (exit status, first line, [exchangers])
    where an exchanger is a dict: use (bool), pref, name, addrs, flags,
    reason (skipped ones)."""
    p = run(["route"] + list(args) + [domain], timeout=30)
    check_clean(p)
    lines = p.stdout.splitlines()
    assert lines, p.stderr
    mxs = []
    for line in lines[1:]:
        m = MX_LINE.match(line)
        if not m:
            continue
        use, pref, name, rest = m.groups()
        flags = re.findall(r"\[([^\]]+)\]", rest)
        rest_nf = re.sub(r"\s*\[[^\]]+\]", "", rest)
        mx = {"use": use == "use", "pref": int(pref), "name": name, "flags": flags}
        if use == "use":
            mx["addrs"] = [a for a in rest_nf.split(" (")[0].split() if a]
            mx["reason"] = rest_nf.split(" (", 1)[1].rstrip(")") if " (" in rest_nf else ""
        else:
            mx["addrs"] = []
            mx["reason"] = rest_nf
        mxs.append(mx)
    return p.returncode, lines[0], mxs


ZONES = {
    "example.test": """\
$ORIGIN example.test.
$TTL 300
@	IN SOA	ns.example.test. admin.example.test. 1 3600 600 86400 60
@	NS	ns
ns	A	127.0.0.1
@	MX	10 mx1
@	MX	20 mx2
@	MX	20 mx3
@	TXT	"v=spf1 mx -all"
mx1	A	127.0.0.2
mx1	AAAA	::2
mx2	A	127.0.0.3
mx3	CNAME	host
host	A	127.0.0.4
alias	CNAME	mx3
null	MX	0 .
nomx	A	127.0.0.5
nomx	AAAA	::5
ipmx	MX	10 192.0.2.1.
ipmx	MX	20 mx2
badmx	MX	10 gone
badmx	MX	20 mx2
selfmx	MX	10 mx1
selfmx	MX	20 mx2
selfmx	MX	30 host
noaddr	MX	10 bare
bare	TXT	"no address here"
v6	MX	10 mx6
mx6	AAAA	::6
out	CNAME	elsewhere.other.test.
""",
    "other.test": """\
$ORIGIN other.test.
$TTL 40
@	IN SOA	ns.other.test. admin.other.test. 1 3600 600 86400 3600
@	NS	ns
ns	A	127.0.0.1
elsewhere	A	127.0.0.8
""",
}


@pytest.fixture(scope="module")
def nsd(tmp_path_factory):
    n = Nsd(tmp_path_factory.mktemp("nsd"), ZONES)
    yield n.server
    n.stop()


def start_mxhost_dns(tmp_path, server_factory):
    zdir = tmp_path / "zones"
    zdir.mkdir(exist_ok=True)
    lines = ["[dns]"]
    port = free_port()
    lines.append("listen = 127.0.0.1:%d" % port)
    for name, text in ZONES.items():
        (zdir / (name + ".zone")).write_text(text)
        lines.append("zone = %s zones/%s.zone" % (name, name))
    server_factory("\n".join(lines) + "\n", name="dns")
    return "127.0.0.1:%d" % port


@pytest.fixture(params=["nsd", "mxhost"])
def authority(request, tmp_path, server_factory):
    """A real authoritative server for ZONES: NSD, or mxhost serve."""
    if request.param == "nsd":
        return request.getfixturevalue("nsd")
    return start_mxhost_dns(tmp_path, server_factory)


@pytest.fixture
def fake():
    servers = []

    def make(*args, **kw):
        s = FakeDns(*args, **kw)
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.stop()
