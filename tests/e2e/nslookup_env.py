"""The DNS servers the nslookup tests ask, all on loopback, one port.

nslookup sends every query to one port (-port=N), so each kind of server
lives on its own loopback address with that same port:

    127.0.0.1  NSD, authoritative for example.test and two reverse zones
    127.0.0.2  a front for NSD answering like a recursive resolver:
               AA cleared, RA set (non-authoritative answers)
    127.0.0.3  silent: reads queries and never answers (timeouts)
    127.0.0.4  SERVFAIL to everything
    127.0.0.5  truncates every UDP answer (the client must use TCP)
    127.0.0.6  REFUSED to everything
    127.0.0.7  answers over UDP cut short in a record, TC set (malformed)
    127.0.0.9  nothing listens: connection refused
    ::1        NSD too, when the machine has IPv6 loopback

Commands run hermetically: resolv.conf and /etc/hosts are bind-mounted
over the real ones in a private mount namespace (unshare -m, or -rm when
not root), so neither tool sees this machine's resolver settings.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

import dns.message
import dns.query
import dns.rcode

from conftest import MXHOST
from dnsfront import DnsFront

NSLOOKUP = "/usr/bin/nslookup"

ZONE = """$ORIGIN example.test.
$TTL 3600
@ IN SOA ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300
@ IN NS ns1.example.test.
@ IN NS ns2.example.test.
@ IN MX 0 mx1.example.test.
@ IN MX 10 mx2.example.test.
@ IN A 192.0.2.1
@ IN AAAA 2001:db8::1
@ IN TXT "v=spf1 mx -all"
@ IN TXT "hello \\"world\\"" "second string" "tab\\009and\\\\backslash"
ns1 IN A 127.0.0.1
ns2 IN A 127.0.0.2
ns2 IN AAAA ::1
mx1 IN A 192.0.2.10
mx1 IN AAAA 2001:db8::10
mx2 IN A 192.0.2.11
www IN CNAME example.test.
alias IN CNAME mx1.example.test.
chain IN CNAME www.example.test.
v4only IN A 192.0.2.20
v6only IN AAAA 2001:db8::20
txtonly IN TXT "just text"
sub IN NS ns.sub.example.test.
ns.sub IN A 192.0.2.53
dangling IN CNAME nowhere.example.test.
nullmx IN MX 0 .
big IN TXT "{big}"
big IN TXT "{big}2"
big IN TXT "{big}3"
big IN TXT "{big}4"
srv IN SRV 10 5 25 mx1.example.test.
utf8 IN TXT "caf\\195\\169" "\\000nul"
"""

REV4 = """$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@ IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300
@ IN NS ns1.example.test.
1 IN PTR example.test.
10 IN PTR mx1.example.test.
5 IN TXT "no ptr here"
"""

REV6 = """$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
$TTL 3600
@ IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300
@ IN NS ns1.example.test.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR example.test.
"""

ZONES = {"example.test": ZONE.replace("{big}", "x" * 200),
         "2.0.192.in-addr.arpa": REV4,
         "8.b.d.0.1.0.0.2.ip6.arpa": REV6}

NSD = "127.0.0.1"
FRONT = "127.0.0.2"
SILENT = "127.0.0.3"
SERVFAIL = "127.0.0.4"
TRUNC = "127.0.0.5"
REFUSED = "127.0.0.6"
CUT = "127.0.0.7"
DEAD = "127.0.0.9"
ADDRS = [NSD, FRONT, SILENT, SERVFAIL, TRUNC, REFUSED, CUT, DEAD]


def _bindable(addrs, port):
    socks = []
    try:
        for a in addrs:
            fam = socket.AF_INET6 if ":" in a else socket.AF_INET
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(fam, kind)
                socks.append(s)
                s.bind((a, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def _pick_port(addrs):
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if _bindable(addrs, port):
            return port
    raise RuntimeError("no port free on all test addresses")


def _namespace_prefix():
    """The command prefix that gives a private mount namespace, or None."""
    for flags in (["-m"], ["-r", "-m"]):
        try:
            r = subprocess.run(["unshare"] + flags + ["sh", "-c",
                               "mount --bind /dev/null /etc/hostname && echo ok"],
                               capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0 and r.stdout.strip() == "ok":
            return ["unshare"] + flags
    return None


def mxhost_has_nslookup():
    r = subprocess.run([MXHOST, "nslookup", "-version"], capture_output=True, text=True)
    return "unknown command" not in r.stderr


class Result:
    def __init__(self, p, elapsed):
        self.stdout, self.stderr, self.rc, self.elapsed = p.stdout, p.stderr, p.returncode, elapsed

    def __repr__(self):
        return "rc=%s\n--- stdout\n%s--- stderr\n%s" % (self.rc, self.stdout, self.stderr)


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mxhost-nsl-")
        self.ipv6 = has_ipv6_loopback()
        addrs = ADDRS + (["::1"] if self.ipv6 else [])
        self.port = _pick_port(addrs)
        self.ns = _namespace_prefix()
        self.fronts = []
        self.nsd = None
        self._silent = []

    # -- servers ---------------------------------------------------------
    def start(self):
        d = self.dir
        conf = ["server:",
                "  ip-address: %s@%d" % (NSD, self.port)]
        if self.ipv6:
            conf.append("  ip-address: ::1@%d" % self.port)
        conf += ["  port: %d" % self.port,
                 '  zonesdir: "%s"' % d,
                 '  pidfile: "%s/nsd.pid"' % d,
                 '  database: ""',
                 '  zonelistfile: "%s/zone.list"' % d,
                 '  xfrdfile: "%s/xfrd.state"' % d,
                 '  xfrdir: "%s"' % d,
                 '  username: ""',
                 '  chroot: ""',
                 "  verbosity: 1",
                 "remote-control:",
                 "  control-enable: no"]
        for name, text in ZONES.items():
            with open(os.path.join(d, name + ".zone"), "w") as f:
                f.write(text)
            conf += ["zone:", "  name: %s" % name, "  zonefile: %s.zone" % name]
        with open(os.path.join(d, "nsd.conf"), "w") as f:
            f.write("\n".join(conf) + "\n")
        self.nsd_log = open(os.path.join(d, "nsd.log"), "wb")
        self.nsd = subprocess.Popen(["nsd", "-d", "-c", os.path.join(d, "nsd.conf")],
                                    stdout=self.nsd_log, stderr=self.nsd_log)
        self._wait_nsd()
        up = (NSD, self.port)
        self.fronts = [
            DnsFront((FRONT, self.port), up, aa=False, ra=True).start(),
            DnsFront((SERVFAIL, self.port), up, rcode=dns.rcode.SERVFAIL, ra=True).start(),
            DnsFront((TRUNC, self.port), up, truncate_udp=True).start(),
            DnsFront((REFUSED, self.port), up, rcode=dns.rcode.REFUSED).start(),
            DnsFront((CUT, self.port), up, cut_udp=5).start(),
        ]
        # Silent: a bound UDP socket nobody reads, and a TCP listener that
        # accepts (in the kernel) and never answers.
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((SILENT, self.port))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind((SILENT, self.port))
        t.listen(16)
        self._silent = [u, t]
        return self

    def _wait_nsd(self):
        q = dns.message.make_query("example.test", "SOA")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.nsd.poll() is not None:
                raise RuntimeError("nsd exited: " + open(self.nsd_log.name).read())
            try:
                r = dns.query.udp(q, NSD, port=self.port, timeout=0.2)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    return
            except Exception:
                pass
            time.sleep(0.05)
        raise RuntimeError("nsd did not answer: " + open(self.nsd_log.name).read())

    def stop(self):
        for f in self.fronts:
            f.stop()
        for s in self._silent:
            s.close()
        if self.nsd:
            self.nsd.terminate()
            try:
                self.nsd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nsd.kill()
                self.nsd.wait()
            self.nsd_log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- running the tools -----------------------------------------------
    def files(self, resolv, hosts=None):
        """Writes resolv.conf and hosts for one run; returns their paths."""
        fd, rpath = tempfile.mkstemp(dir=self.dir, suffix=".resolv")
        with os.fdopen(fd, "w") as f:
            f.write(resolv)
        fd, hpath = tempfile.mkstemp(dir=self.dir, suffix=".hosts")
        with os.fdopen(fd, "w") as f:
            f.write(hosts if hosts is not None else
                    "127.0.0.1 localhost\n127.0.0.1 nsd.test\n127.0.0.2 front.test\n")
        return rpath, hpath

    def command(self, argv, resolv, hosts=None):
        """argv wrapped to run with resolv (text) as /etc/resolv.conf."""
        if self.ns is None:
            return None
        rpath, hpath = self.files(resolv, hosts)
        script = ('mount --bind "$0" /etc/resolv.conf && mount --bind "$1" /etc/hosts '
                  '&& shift && exec "$@"')
        return self.ns + ["sh", "-c", script, rpath, hpath] + list(argv)

    def run(self, tool, args, stdin=None, resolv="", hosts=None, timeout=60):
        # BIND names itself by argv[0] in its messages; "nslookup" is what
        # a user types, and what `mxhost nslookup` says.
        exe = {"bind": ["nslookup"], "mxhost": [MXHOST, "nslookup"]}[tool]
        argv = self.command(exe + list(args), resolv, hosts)
        if argv is None:
            argv = exe + list(args)
        start = time.monotonic()
        envp = dict(os.environ, PATH=os.path.dirname(NSLOOKUP) + ":" + os.environ["PATH"])
        p = subprocess.run(argv, input=stdin if stdin is not None else "",
                           capture_output=True, text=True, timeout=timeout, env=envp)
        return Result(p, time.monotonic() - start)
