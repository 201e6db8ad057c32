"""mxhost serve with a [dns] section: every answer rule, checked with dig
(and dnspython where a flag or a byte matters), over IPv4 and IPv6, UDP
and TCP; EDNS, truncation, malformed packets, the TCP limits, SIGHUP
reloads. test_dns_differential.py compares the same answers with NSD's.
"""
import io
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import REPO, free_port, run
from dnsutil import (ZONES_DIR, copy_zones, header, make_query, mxhost_config, opt, query,
                     question, raw_udp, rrs, tcp_exchange, tcp_read)

DIG = shutil.which("dig") or "/usr/bin/dig"


def dig(port, *args, host="127.0.0.1"):
    """Runs dig; returns (status, flags, {section: [records]}, stdout)."""
    assert os.path.exists(DIG), "dig missing: run make deps"
    r = subprocess.run([DIG, "@" + host, "-p", str(port), "+norec", "+time=2", "+tries=1",
                        "+nocookie"] + list(args), capture_output=True, text=True, timeout=30)
    out = r.stdout
    status = re.search(r"status: (\w+)", out)
    flags = re.search(r";; flags: ([^;]*);", out)
    sections, current = {}, None
    for line in out.splitlines():
        m = re.match(r";; (\w+) SECTION:", line)
        if m:
            current = m.group(1).lower()
            sections[current] = []
        elif current and line.strip() and not line.startswith(";"):
            f = line.split()
            sections[current].append(" ".join([f[0].lower(), f[1]] + f[3:]))
        elif not line.strip():
            current = None
    return (status.group(1) if status else None, set(flags.group(1).split()) if flags else set(),
            sections, out)


@pytest.fixture
def dnsserver(tmp_path, server_factory):
    """mxhost serving the test zones on 127.0.0.1 and ::1; returns
    (port, server, zones)."""
    def start(extra="", zones=None):
        zones = zones or copy_zones(tmp_path)
        port = free_port()
        srv = server_factory(mxhost_config(port, zones, extra))
        return port, srv, zones
    return start


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("transport", ["+notcp", "+tcp"])
def test_mx_with_addresses(dnsserver, host, transport):
    port, _, _ = dnsserver()
    status, flags, s, out = dig(port, "example.test", "MX", transport, host=host)
    assert status == "NOERROR", out
    assert "aa" in flags and "qr" in flags
    assert s["answer"] == ["example.test. 3600 MX 0 mx1.example.test.",
                           "example.test. 3600 MX 10 mx2.example.test.",
                           "example.test. 3600 MX 20 mx.zone2.test."]
    assert sorted(s["authority"]) == ["example.test. 3600 NS ns1.example.test.",
                                      "example.test. 3600 NS ns2.example.test."]
    add = s["additional"]
    # In-zone targets only: mx.zone2.test is another zone's name.
    for rec in ["mx1.example.test. 3600 A 127.0.0.1", "mx1.example.test. 3600 AAAA ::1",
                "mx2.example.test. 3600 A 127.0.0.2", "ns2.example.test. 3600 AAAA ::2"]:
        assert rec in add, out
    assert not any(r.startswith("mx.zone2.test.") for r in add)


def test_wildcard_address_replies_from_the_address_asked(tmp_path, server_factory):
    """Bound to 0.0.0.0 and [::], a reply leaves from the address the
    query went to (127.0.0.2 here), or the client would drop it."""
    zones = copy_zones(tmp_path)
    port = free_port()
    conf = "[dns]\nlisten = 0.0.0.0:%d\nlisten = [::]:%d\n" % (port, port)
    server_factory(conf + "".join("zone = %s %s\n" % z for z in zones))
    for host in ("127.0.0.2", "::1"):
        status, flags, s, out = dig(port, "example.test", "MX", host=host)
        assert status == "NOERROR" and "aa" in flags, out
        r = query("example.test", "SOA", port, host=host)  # dnspython checks the source
        assert r.answer


def test_null_mx_and_srv(dnsserver):
    port, _, _ = dnsserver()
    _, _, s, _ = dig(port, "nullmx.example.test", "MX")
    assert s["answer"] == ["nullmx.example.test. 3600 MX 0 ."]
    _, _, s, out = dig(port, "_submission._tcp.example.test", "SRV")
    assert s["answer"] == ["_submission._tcp.example.test. 3600 SRV 0 1 587 mx1.example.test."]
    assert "mx1.example.test. 3600 A 127.0.0.1" in s["additional"], out


def test_nxdomain_and_nodata(dnsserver):
    port, _, _ = dnsserver()
    soa = "example.test. 300 SOA ns1.example.test. hostmaster.example.test. " \
          "2026010101 7200 1800 1209600 300"
    # The SOA's TTL (3600) is capped at its MINIMUM (300), RFC 2308.
    status, flags, s, _ = dig(port, "nothere.example.test", "A")
    assert status == "NXDOMAIN" and "aa" in flags
    assert "answer" not in s and s["authority"] == [soa]
    status, flags, s, _ = dig(port, "mx2.example.test", "AAAA")
    assert status == "NOERROR" and "aa" in flags
    assert "answer" not in s and s["authority"] == [soa]
    # An empty non-terminal is a name: NODATA.
    status, _, s, _ = dig(port, "c.ent.example.test", "A")
    assert status == "NOERROR" and s["authority"] == [soa]


def test_cname_chains(dnsserver):
    port, _, _ = dnsserver()
    status, flags, s, _ = dig(port, "chain1.example.test", "A")
    assert status == "NOERROR" and "aa" in flags
    assert s["answer"] == ["chain1.example.test. 3600 CNAME chain2.example.test.",
                           "chain2.example.test. 3600 CNAME chain3.example.test.",
                           "chain3.example.test. 3600 A 10.0.0.3"]
    # Into another zone served here: followed.
    _, _, s, _ = dig(port, "tozone2.example.test", "A")
    assert "host.zone2.test. 3600 A 192.0.2.1" in s["answer"]
    # Out of every zone: the CNAME alone.
    status, _, s, _ = dig(port, "out.example.test", "A")
    assert status == "NOERROR" and s["answer"] == [
        "out.example.test. 3600 CNAME www.elsewhere.invalid."]
    # A loop stops where a CNAME would repeat.
    status, _, s, _ = dig(port, "loop1.example.test", "A")
    assert status == "NOERROR" and len(s["answer"]) == 2
    # To a name that does not exist: NXDOMAIN, with the CNAME.
    status, _, s, _ = dig(port, "dangling.example.test", "A")
    assert status == "NXDOMAIN" and len(s["answer"]) == 1


def test_wildcards(dnsserver):
    port, _, _ = dnsserver()
    _, flags, s, _ = dig(port, "anything.wild.example.test", "A")
    assert "aa" in flags
    assert s["answer"] == ["anything.wild.example.test. 600 A 10.1.1.1"]
    # The closest encloser of a.b.wild is wild: the wildcard applies.
    _, _, s, _ = dig(port, "a.b.wild.example.test", "MX")
    assert s["answer"] == ["a.b.wild.example.test. 3600 MX 10 mx1.example.test."]
    # An existing name below wild blocks it.
    status, _, s, _ = dig(port, "x.sub.wild.example.test", "A")
    assert status == "NXDOMAIN"
    # Wildcard NODATA, and a wildcard CNAME.
    status, _, s, _ = dig(port, "q.wild.example.test", "AAAA")
    assert status == "NOERROR" and "answer" not in s
    _, _, s, _ = dig(port, "q.cn.example.test", "A")
    assert s["answer"][0] == "q.cn.example.test. 3600 CNAME www.example.test."


def test_delegation_is_a_referral(dnsserver):
    port, _, _ = dnsserver()
    status, flags, s, _ = dig(port, "host.deleg.example.test", "A")
    assert status == "NOERROR" and "aa" not in flags
    assert "answer" not in s
    assert sorted(s["authority"]) == ["deleg.example.test. 3600 NS ns.outside.test.",
                                      "deleg.example.test. 3600 NS ns1.deleg.example.test."]
    assert s["additional"] == ["ns1.deleg.example.test. 3600 A 10.3.3.3"]
    # DS at the cut is the parent's data: authoritative.
    status, flags, s, _ = dig(port, "deleg.example.test", "DS")
    assert status == "NOERROR" and "aa" in flags
    # A child zone served here answers for itself.
    status, flags, s, _ = dig(port, "www.sub.example.test", "A")
    assert "aa" in flags and s["answer"] == ["www.sub.example.test. 3600 A 10.4.4.5"]


def test_refused_outside_our_zones(dnsserver):
    port, _, _ = dnsserver()
    status, flags, s, _ = dig(port, "example.org", "A")
    assert status == "REFUSED" and "aa" not in flags
    status, _, _, _ = dig(port, "test", "SOA")
    assert status == "REFUSED"


def test_question_echoed_as_asked_and_compressed(dnsserver):
    port, _, _ = dnsserver()
    _, _, _, out = dig(port, "EXAMPLE.Test", "MX")
    assert ";EXAMPLE.Test.\t\t\tIN\tMX" in out
    # On the wire: every answer owner is a pointer to the question.
    wire = raw_udp(make_query("ExAmPlE.test", "MX", edns=1232).to_wire(), port)
    qend = 12 + len(b"\x07example\x04test\x00") + 4
    assert wire[12:26].lower() == b"\x07example\x04test\x00"
    assert wire[13:20] == b"ExAmPlE"
    assert wire[qend:qend + 2] == b"\xc0\x0c"
    # And the whole response is far smaller than without compression.
    m = dns.message.from_wire(wire)
    plain = qend + 11  # the OPT record
    for section in (m.answer, m.authority, m.additional):
        for rrset in section:
            buf = io.BytesIO()
            rrset.to_wire(buf, compress=None)
            plain += len(buf.getvalue())
    assert len(wire) < plain * 0.7


def test_formerr_and_notimp(dnsserver):
    port, _, _ = dnsserver()
    r = dns.message.from_wire(raw_udp(header(qd=2) + question() + question(), port))
    assert r.rcode() == dns.rcode.FORMERR and not r.question
    r = dns.message.from_wire(raw_udp(header() + question()[:6], port))
    assert r.rcode() == dns.rcode.FORMERR
    r = dns.message.from_wire(raw_udp(header(flags=0x1100) + question(), port))
    assert r.rcode() == dns.rcode.NOTIMP and r.opcode() == 2
    # A response is never answered (that could loop between servers).
    assert raw_udp(header(flags=0x8100) + question(), port, timeout=0.3) is None


def test_malformed_packets_never_hurt(dnsserver):
    """Thousands of broken packets: some answered FORMERR, some dropped,
    the server still up and answering right."""
    port, srv, _ = dnsserver()
    rnd = random.Random(7)
    good = make_query("example.test", "MX", edns=1232).to_wire()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(3000):
        kind = i % 4
        if kind == 0:
            p = bytes(rnd.randrange(256) for _ in range(rnd.randrange(40)))
        elif kind == 1:
            p = bytearray(good)
            for _ in range(rnd.randrange(1, 6)):
                p[rnd.randrange(len(p))] = rnd.randrange(256)
            p = bytes(p)
        elif kind == 2:
            p = good[:rnd.randrange(len(good))]
        else:  # counts that lie, pointers that loop
            p = header(qd=rnd.randrange(3), an=rnd.randrange(3), ns=rnd.randrange(3),
                       ar=rnd.randrange(3)) + b"\xc0" + bytes([rnd.randrange(12, 20)]) + b"\0\1\0\1"
        sock.sendto(p, ("127.0.0.1", port))
    sock.close()
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 100))))
    r = query("example.test", "MX", port, edns=1232)
    assert r.rcode() == 0 and len(r.answer[0]) == 3
    assert srv.proc.poll() is None


def test_edns(dnsserver):
    port, _, _ = dnsserver()
    _, _, _, out = dig(port, "example.test", "SOA", "+bufsize=4096")
    assert "; EDNS: version: 0, flags:; udp: 1232" in out
    _, _, _, out = dig(port, "example.test", "SOA", "+dnssec")
    assert "; EDNS: version: 0, flags: do; udp: 1232" in out
    status, _, _, out = dig(port, "example.test", "SOA", "+edns=1", "+noednsneg")
    assert status == "BADVERS", out
    # No OPT in the query, none in the response.
    _, _, _, out = dig(port, "example.test", "SOA", "+noedns")
    assert "EDNS" not in out


def test_edns_payload_configured(dnsserver):
    port, _, _ = dnsserver("edns_payload = 1400\n")
    r = query("many.example.test", "A", port, edns=4096)
    assert r.payload == 1400
    # many's 40 addresses take 700 bytes: they fit 1400, not 512.
    assert not r.flags & dns.flags.TC and len(r.answer[0]) == 40


def test_reload_applies_limits(tmp_path, dnsserver):
    port, srv, zones = dnsserver()
    assert query("example.test", "SOA", port, edns=4096).payload == 1232
    with open(srv.config, "w") as f:
        f.write(mxhost_config(port, zones, "edns_payload = 1400\n"))
    srv.reload()
    srv.wait_log("zones reloaded")
    r = query("many.example.test", "A", port, edns=4096)
    assert r.payload == 1400 and len(r.answer[0]) == 40


def test_truncation(dnsserver):
    port, _, _ = dnsserver()
    status, flags, s, _ = dig(port, "many.example.test", "A", "+noedns", "+ignore")
    assert "tc" in flags and "answer" not in s
    # dig then retries over TCP, and gets all of it.
    _, flags, s, _ = dig(port, "many.example.test", "A", "+noedns")
    assert "tc" not in flags and len(s["answer"]) == 40
    # With EDNS's 1232 bytes it fits over UDP.
    _, flags, s, _ = dig(port, "many.example.test", "A", "+bufsize=1232", "+ignore")
    assert "tc" not in flags and len(s["answer"]) == 40


def test_additional_left_out_without_tc(dnsserver):
    port, _, _ = dnsserver()
    r = query("bigmx.example.test", "MX", port, edns=1232)
    assert not r.flags & dns.flags.TC
    assert len(r.answer[0]) == 20
    full = query("bigmx.example.test", "MX", port, tcp=True)
    assert sum(len(x) for x in r.additional) < sum(len(x) for x in full.additional) == 43


def test_any_and_transfers(dnsserver):
    port, _, _ = dnsserver()
    r = query("mx1.example.test", "ANY", port)
    assert rrs(r.answer) == ["mx1.example.test. A 127.0.0.1"]
    r = query("example.test", "AXFR", port)
    assert r.rcode() == dns.rcode.NOTIMP
    r = query("example.test", "AXFR", port, tcp=True)
    assert r.rcode() == dns.rcode.REFUSED
    _, _, _, out = dig(port, "example.test", "AXFR")
    assert "Transfer failed" in out


def test_tcp_several_queries_per_connection(dnsserver):
    port, _, _ = dnsserver()
    names = ["mx1.example.test", "mx2.example.test", "ns1.example.test", "nothere.example.test",
             "chain1.example.test"]
    msgs = [make_query(n, "A", qid=100 + i).to_wire() for i, n in enumerate(names)]
    with socket.create_connection(("::1", port), timeout=5) as s:
        # All at once (pipelined), then one more after the answers.
        s.sendall(b"".join(struct.pack("!H", len(m)) + m for m in msgs))
        ids = [dns.message.from_wire(tcp_read(s)).id for _ in msgs]
        assert ids == [100, 101, 102, 103, 104]
        r = dns.message.from_wire(tcp_exchange(s, make_query("example.test", "MX", qid=7).to_wire()))
        assert r.id == 7 and len(r.answer[0]) == 3


def test_tcp_idle_timeout(dnsserver):
    port, _, _ = dnsserver("tcp_idle_timeout = 1s\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        r = tcp_exchange(s, make_query("example.test", "SOA").to_wire())
        assert r is not None
        start = time.monotonic()
        assert s.recv(1) == b""  # closed by the server
        assert time.monotonic() - start < 8


def test_tcp_connection_cap(dnsserver):
    # The second connection is taken past half the cap, so it gets the
    # short idle timeout (200 ms, as NSD): it keeps asking to keep its slot.
    port, srv, _ = dnsserver("tcp_max_connections = 2\ntcp_idle_timeout = 30\n")
    q = make_query("example.test", "SOA").to_wire()
    first = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(2)]
    for s in first:
        assert tcp_exchange(s, q) is not None
    stop = threading.Event()

    def busy():
        for _ in range(100):  # 5 s at most
            if stop.wait(0.05):
                return
            assert tcp_exchange(first[1], q) is not None

    t = threading.Thread(target=busy)
    t.start()
    try:
        third = socket.create_connection(("127.0.0.1", port), timeout=5)  # waits in the backlog
        third.sendall(struct.pack("!H", len(q)) + q)
        third.settimeout(1.0)
        with pytest.raises(socket.timeout):
            third.recv(2)
        first[0].close()  # a slot frees: the third is taken
        third.settimeout(5)
        assert tcp_read(third) is not None
    finally:
        stop.set()
        t.join()
    for s in first[1:] + [third]:
        s.close()


def test_tcp_idle_connections_past_half_the_cap_time_out_fast(dnsserver):
    # RFC 7766 6.2.3: connections taken while more than half the slots are
    # in use get a 200 ms idle timeout (as NSD), so idle clients cannot
    # hold every slot for tcp_idle_timeout; those taken before keep theirs.
    port, srv, _ = dnsserver("tcp_max_connections = 4\ntcp_idle_timeout = 30\n")
    q = make_query("example.test", "SOA").to_wire()
    conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
    for s in conns:
        assert tcp_exchange(s, q) is not None
    for s in conns[2:]:
        s.settimeout(5)
        assert s.recv(1) == b""  # closed by the server, long before 30 s
    assert tcp_exchange(conns[0], q) is not None  # still open
    assert tcp_exchange(conns[1], q) is not None
    for s in conns:
        s.close()


def write_zone(path, serial, extra=""):
    with open(path, "w") as f:
        f.write("$TTL 300\n@ SOA ns1 hostmaster %d 2h 30m 2w 60\n@ NS ns1\nns1 A 192.0.2.1\n%s"
                % (serial, extra))


def serial(port, name="reload.test"):
    r = query(name, "SOA", port)
    return r.answer[0][0].serial if r.answer else r.rcode()


def test_sighup_reload(tmp_path, server_factory):
    zone = tmp_path / "reload.zone"
    write_zone(zone, 1)
    port = free_port()
    srv = server_factory(mxhost_config(port, [("reload.test", str(zone))]))
    assert serial(port) == 1
    write_zone(zone, 2, "new A 192.0.2.2\n")
    srv.reload()
    srv.wait_log("zones reloaded", count=1)
    assert serial(port) == 2
    assert rrs(query("new.reload.test", "A", port).answer) == ["new.reload.test. A 192.0.2.2"]
    # Broken: the old data stays, and the log says where and why.
    with open(zone, "a") as f:
        f.write("bad A 300.1.2.3\n")
    srv.reload()
    srv.wait_log("zones reloaded", count=2)
    assert re.search(r"zone reload\.test\.: .*reload\.zone:6: .*; still serving serial 2",
                     srv.log()), srv.log()
    assert serial(port) == 2
    assert rrs(query("new.reload.test", "A", port).answer) == ["new.reload.test. A 192.0.2.2"]
    # Fixed: served again.
    write_zone(zone, 3)
    srv.reload()
    srv.wait_log("zones reloaded", count=3)
    assert serial(port) == 3


def test_reload_drops_no_query(tmp_path, server_factory):
    """Queries flow while big zones reload: every one is answered."""
    zone = tmp_path / "big.zone"
    write_zone(zone, 1, "".join("h%d A 10.%d.%d.%d\n" % (i, i >> 16 & 255, i >> 8 & 255, i & 255)
                                for i in range(60000)))
    port = free_port()
    srv = server_factory(mxhost_config(port, [("reload.test", str(zone))]))
    stop, failures, answered = threading.Event(), [], [0]

    def ask_forever():
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(2)
        i = 0
        while not stop.is_set():
            q = make_query("h%d.reload.test" % (i % 60000), "A", qid=i & 0xffff)
            sock.sendto(q.to_wire(), ("127.0.0.1", port))
            try:
                r = dns.message.from_wire(sock.recv(4096))
                if r.id != q.id or r.rcode() != 0 or not r.answer:
                    failures.append(r.to_text())
                answered[0] += 1
            except socket.timeout:
                failures.append("timeout")
            i += 1
        sock.close()

    t = threading.Thread(target=ask_forever)
    t.start()
    try:
        for n in range(3):
            srv.reload()
            srv.wait_log("zones reloaded", count=n + 1, timeout=60)
    finally:
        stop.set()
        t.join()
    assert not failures, failures[:5]
    assert answered[0] > 100


def test_reload_storm(tmp_path, server_factory):
    """SIGHUPs faster than reloads: they queue (the newest config wins),
    zones shared between sets are freed once, and the last data is served."""
    zone = tmp_path / "storm.zone"
    big = "".join("h%d A 10.0.%d.%d\n" % (i, i >> 8 & 255, i & 255) for i in range(20000))
    write_zone(zone, 1, big)
    other = tmp_path / "other.zone"
    write_zone(other, 1)
    port = free_port()
    srv = server_factory(mxhost_config(port, [("reload.test", str(zone)),
                                              ("other.test", str(other))]))
    for n in range(2, 12):
        if n % 3 == 0:
            write_zone(other, n, "broken A 1.2.3\n")  # keeps the old data
        else:
            write_zone(zone, n, big)
        srv.signal(signal.SIGHUP)
        time.sleep(0.02)
    deadline = time.monotonic() + 30
    while serial(port) != 11 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert serial(port) == 11
    assert serial(port, "other.test") == 1
    assert srv.proc.poll() is None


def test_zone_that_never_loaded_is_servfail(tmp_path, server_factory):
    zone = tmp_path / "later.zone"
    port = free_port()
    srv = server_factory(mxhost_config(port, [("reload.test", str(zone))]))
    assert "not served (SERVFAIL) until it loads" in srv.log()
    r = query("reload.test", "SOA", port, edns=1232)
    assert r.rcode() == dns.rcode.SERVFAIL
    write_zone(zone, 9)
    srv.reload()
    srv.wait_log("zones reloaded")
    assert serial(port) == 9


def test_configcheck_loads_every_zone(tmp_path):
    zones = copy_zones(tmp_path)
    conf = tmp_path / "c.conf"
    conf.write_text(mxhost_config(5300, zones))
    r = run(["configcheck", "-c", str(conf)])
    assert r.returncode == 0 and r.stderr == ""
    with open(zones[1][1], "a") as f:
        f.write("oops IN MX not-a-number mx\n")
    r = run(["configcheck", "-c", str(conf)])
    assert r.returncode == 1
    assert re.search(r"zone zone2.test: .*zone2.test.zone:10: ", r.stderr), r.stderr


def test_demo_zone(tmp_path, server_factory):
    """The example config's zone, as `make run` serves it (on a free port)."""
    shutil.copy(os.path.join(REPO, "examples", "zones", "example.test.zone"), tmp_path)
    port = free_port()
    server_factory(mxhost_config(port, [("example.test", str(tmp_path / "example.test.zone"))]))
    status, flags, s, out = dig(port, "example.test", "MX")
    assert status == "NOERROR" and "aa" in flags
    assert s["answer"] == ["example.test. 3600 MX 0 mx1.example.test.",
                           "example.test. 3600 MX 10 mx2.example.test."]
    assert "mx1.example.test. 3600 A 127.0.0.1" in s["additional"]
    assert "mx2.example.test. 3600 A 127.0.0.2" in s["additional"]


def test_sigterm_with_open_connections(dnsserver):
    port, srv, _ = dnsserver()
    conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
    assert tcp_exchange(conns[0], make_query("example.test", "SOA").to_wire()) is not None
    assert srv.stop() == 0
    for c in conns:
        c.close()
