"""The differential test: NSD and mxhost serve the same zone files
(tests/e2e/dns_zones), and the same queries go to both. Header flags,
rcode, EDNS and every section, as sets of records with their TTLs, must
match.

The corpus crosses every name of the zones (apex, hosts, CNAME chains in
and out of the zones and in loops, wildcards, empty non-terminals,
delegations, a child zone, names that do not exist, names in no zone)
with the record types, in turns over UDP and TCP, with and without EDNS
(and the DO bit, and payload sizes of 512, 1232 and 4096), over IPv4
and (a seventh of them) IPv6, a fifth of the names in mixed case. Then
classes, zone transfers, and malformed packets sent raw.

Where mxhost answers differently on purpose, the case is listed in
DELIBERATE with what each server answers and why (docs/DNS.md says the
same): the test checks both sides, so neither difference can change
silently.
"""
import random
import struct

import dns.exception
import dns.message
import dns.rcode
import pytest

from dnsutil import (copy_zones, header, make_query, opt, question, raw_udp,
                     start_nsd_and_mxhost, summary, tcp_exchange)

NAMES = [
    "example.test", "www.example.test", "alias.example.test", "mx1.example.test",
    "mx2.example.test", "ns1.example.test", "ns2.example.test", "upper.example.test",
    "chain1.example.test", "chain2.example.test", "chain3.example.test", "out.example.test",
    "tozone2.example.test", "loop1.example.test", "self.example.test", "dangling.example.test",
    "todeleg.example.test", "_submission._tcp.example.test", "_imap._tcp.example.test",
    "_tcp.example.test", "nullmx.example.test", "unk.example.test", "ptr.example.test",
    "txt.example.test", "mxcname.example.test", "mxwild.example.test", "mxglue.example.test",
    "a.wild.example.test", "b.a.wild.example.test", "wild.example.test", "*.wild.example.test",
    "sub.wild.example.test", "x.sub.wild.example.test", "x.cn.example.test",
    "y.cnx.example.test", "a.wl.example.test", "x.wl.example.test",
    "a.b.c.ent.example.test", "b.c.ent.example.test", "c.ent.example.test", "ent.example.test",
    "x.a.b.c.ent.example.test", "z.c.ent.example.test",
    "deleg.example.test", "x.deleg.example.test", "ns1.deleg.example.test",
    "deleg2.example.test", "y.deleg2.example.test",
    "sub.example.test", "www.sub.example.test", "ns1.sub.example.test", "nope.sub.example.test",
    "nothere.example.test", "a.nothere.example.test", "many.example.test",
    "bigmx.example.test", "mxhost03.bigmx.example.test", "edge.example.test",
    "edge2.example.test", "edge3.example.test", "anyorder.example.test",
    "anyorder2.example.test", "anyorder3.example.test",
    "zone2.test", "host.zone2.test", "back.zone2.test", "mx.zone2.test", "srv.zone2.test",
    "nope.zone2.test", "2.0.192.in-addr.arpa", "1.2.0.192.in-addr.arpa",
    "9.2.0.192.in-addr.arpa", "other.test", "test", ".", "example.test.invalid",
]
TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "ANY", "CNAME", "SRV", "CAA", "PTR", "DS",
         "TYPE65280"]
# (over TCP, EDNS payload or None, DO bit), in turns.
VARIANTS = [(False, None, False), (False, 1232, False), (True, None, False),
            (True, 4096, True), (False, 4096, True), (False, 512, False)]


def mixed_case(name, rnd):
    return "".join(c.upper() if rnd.random() < 0.5 else c for c in name)


def corpus():
    rnd = random.Random(2026)
    out = []
    for i, (name, rdtype) in enumerate((n, t) for n in NAMES for t in TYPES):
        tcp, edns, do = VARIANTS[i % len(VARIANTS)]
        if i % 5 == 4:
            name = mixed_case(name, rnd)
        host = "::1" if i % 7 == 3 else "127.0.0.1"
        out.append(dict(name=name, rdtype=rdtype, tcp=tcp, edns=edns, do=do, host=host))
    # Classes, transfers, a tiny payload, RD clear.
    for tcp in (False, True):
        for edns in (None, 1232):
            for name, rdtype, rdclass in [("example.test", "MX", "ANY"),
                                          ("nothere.example.test", "A", "ANY"),
                                          ("www.example.test", "A", "ANY"),
                                          ("deleg.example.test", "A", "ANY"),
                                          ("example.test", "A", "CH"),
                                          ("version.bind", "TXT", "CH"),
                                          ("id.server", "TXT", "CH"),
                                          ("example.test", "A", "HS"),
                                          ("example.test", "AXFR", "IN"),
                                          ("example.test", "IXFR", "IN"),
                                          ("zone2.test", "AXFR", "IN")]:
                out.append(dict(name=name, rdtype=rdtype, rdclass=rdclass, tcp=tcp, edns=edns))
    for name in ["example.test", "many.example.test", "bigmx.example.test", "edge2.example.test"]:
        out.append(dict(name=name, rdtype="MX", edns=100))
        out.append(dict(name=name, rdtype="A", rd=False))
    return out


def ask(q, port):
    m = make_query(q["name"], q["rdtype"], rdclass=q.get("rdclass", "IN"), edns=q.get("edns"),
                   do=q.get("do", False), rd=q.get("rd", True))
    f = dns.query.tcp if q.get("tcp") else dns.query.udp
    return f(m, q.get("host", "127.0.0.1"), port=port, timeout=3)


# Malformed and unusual packets, sent raw over UDP (and a few over TCP).
Q = question()
RAW = {
    "shorter than a header": b"\x12\x34\x01",
    "a response": header(flags=0x8100) + Q,
    "no question": header(qd=0),
    "two questions": header(qd=2) + Q + Q,
    "an answer record": header(an=1) + Q + b"\x00" + struct.pack("!HHIH", 1, 1, 0, 4) + b"\1\2\3\4",
    "an authority record": header(ns=1) + Q + b"\x00" + struct.pack("!HHIH", 1, 1, 0, 4) + b"\1\2\3\4",
    "question cut short": header() + Q[:8],
    "question without type": header() + Q[:-4],
    "header only": header(),
    "rcode set": header(flags=0x0103) + Q,
    "TC set": header(flags=0x0300) + Q,
    "AD CD Z set": header(flags=0x0170) + Q,
    "AA set": header(flags=0x0500) + Q,
    "RD clear": header(flags=0) + Q,
    "pointer in question": header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1),
    "pointer loop": header() + b"\xc0\x0c\x00\x01\x00\x01",
    "label past the end": header() + b"\x3fabc",
    "label of 64": header() + b"\x40" + b"a" * 64 + b"\x00" + struct.pack("!HH", 1, 1),
    "extended label type": header() + b"\x41a\x00" + struct.pack("!HH", 1, 1),
    "name of 256": header() + (b"\x3f" + b"a" * 63) * 4 + b"\x00" + struct.pack("!HH", 1, 1),
    "name of 255": header() + (b"\x3f" + b"a" * 63) * 3 + b"\x3d" + b"a" * 61 + b"\x00" +
                   struct.pack("!HH", 1, 1),
    "EDNS version 1": header(ar=1) + Q + opt(version=1),
    "EDNS version 1 with DO": header(ar=1) + Q + opt(version=1, flags=0x8000),
    "EDNS with DO": header(ar=1) + Q + opt(flags=0x8000),
    "EDNS payload 100": header(ar=1) + Q + opt(size=100),
    "EDNS payload 65535": header(ar=1) + Q + opt(size=65535),
    "EDNS unknown option": header(ar=1) + Q + opt(rdata=struct.pack("!HH", 65001, 2) + b"xy"),
    "EDNS NSID asked": header(ar=1) + Q + opt(rdata=struct.pack("!HH", 3, 0)),
    "EDNS option past its data": header(ar=1) + Q + opt(rdata=struct.pack("!HH", 3, 10)),
    "EDNS option header cut": header(ar=1) + Q + opt(rdata=b"\x00\x03"),
    "EDNS extended rcode set": header(ar=1) + Q + opt(ext=1),
    "two OPT": header(ar=2) + Q + opt() + opt(),
    "OPT not at the root": header(ar=1) + Q + opt(owner=b"\x01a\x00"),
    "OPT cut short": header(ar=1) + Q + opt()[:5],
    "A record in additional": header(ar=1) + Q + b"\x00" + struct.pack("!HHIH", 1, 1, 0, 4) +
                              b"\1\2\3\4",
    "additional count lies": header(ar=3) + Q + opt(),
    "trailing garbage": header() + Q + b"garbage",
    "class 0": header() + question(rdclass=0),
    "class NONE": header() + question(rdclass=254),
    "type 0": header() + question(rdtype=0),
    "type OPT": header() + question(rdtype=41),
    "type RRSIG": header() + question(rdtype=46),
    "root name": header() + question(name=""),
    "IXFR with SOA in authority": header(ns=1) + question(rdtype=251) + b"\xc0\x0c" +
                                  struct.pack("!HHIH", 6, 1, 0, 22) + b"\x00\x00" +
                                  struct.pack("!IIIII", 1, 2, 3, 4, 5),
    "opcode STATUS": header(flags=0x1100) + Q,
    "opcode UPDATE": header(flags=0x2900) + Q,
    "opcode 3": header(flags=0x1900) + Q,
    "opcode 15 with EDNS": header(flags=0x7900, ar=1) + Q + opt(),
}
RAW_TCP = ["two questions", "rcode set", "EDNS version 1", "EDNS payload 100", "question cut short",
           "trailing garbage", "AD CD Z set"]

# Cases where mxhost differs from NSD 4.6 on purpose: name -> (packet,
# what NSD answers, what mxhost answers, why). docs/DNS.md lists them.
DELIBERATE = {
    "NOTIFY for a zone served here": (
        header(flags=0x2000) + Q, "REFUSED", "NOTIMP",
        "mxhost has no secondary service yet, and NOTIMP is the answer to every opcode "
        "but QUERY"),
    "NOTIFY for an unknown zone": (
        header(flags=0x2000) + question("nowhere.invalid"), "NXDOMAIN", "NOTIMP",
        "as above"),
    "NOTIMP with every flag set": (
        header(flags=0x17f0) + Q, "NOTIMP flags=QR AA TC RD RA CD", "NOTIMP flags=QR RD",
        "NSD echoes the query's flags; a response must not claim AA or TC for nothing"),
    "no question, with an OPT (cookie probe)": (
        header(qd=0, ar=1) + opt(), "NOERROR", "FORMERR",
        "mxhost does not implement DNS cookies (RFC 7873 5.4); a query with no question "
        "is malformed"),
    "BADVERS with AA, TC, CD set in the query": (
        header(flags=0x0730, ar=1) + Q + opt(version=1), "BADVERS flags=QR AA TC RD CD",
        "BADVERS flags=QR RD",
        "as for NOTIMP: NSD echoes the query's flags in this error"),
}


def tsig_query():
    """A query signed with a key neither server has (a zeroed MAC)."""
    rdata = (b"\x0bhmac-sha256\x00" + struct.pack("!HIH", 0, 1700000000, 300) +
             struct.pack("!H", 32) + bytes(32) + struct.pack("!HHH", 0x1234, 0, 0))
    record = b"\x03key\x00" + struct.pack("!HHIH", 250, 255, 0, len(rdata)) + rdata
    return header(ar=1) + Q + record


DELIBERATE["TSIG-signed query"] = (
    tsig_query(), "NOTAUTH", "FORMERR",
    "mxhost has no TSIG keys and does not parse TSIG: an additional record other than "
    "the OPT is not understood")


def describe(packet):
    """rcode and flags of a raw response, as DELIBERATE writes them."""
    if packet is None:
        return "no answer"
    try:
        m = dns.message.from_wire(packet)
        rcode, flags = m.rcode(), m.flags
    except (dns.exception.DNSException, ValueError):
        # A TSIG error dnspython will not read without the key: the header.
        flags = struct.unpack("!H", packet[2:4])[0]
        rcode = flags & 0xf
    return "%s flags=%s" % (dns.rcode.to_text(rcode), dns.flags.to_text(flags))


def same(a, b):
    """Both dropped, or both parse to the same summary (or the same bytes)."""
    if a is None or b is None:
        return a is b
    try:
        return summary(dns.message.from_wire(a)) == summary(dns.message.from_wire(b))
    except (dns.exception.DNSException, ValueError):
        return a == b  # what dnspython cannot read (opcode 15) must match byte for byte


@pytest.fixture(scope="module")
def servers(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("differential")
    zones = copy_zones(folder)
    return start_nsd_and_mxhost(folder, zones, request)


def test_corpus(servers):
    nsd_port, mx_port, _ = servers
    queries = corpus()
    assert len(queries) >= 200
    differ = []
    for q in queries:
        a, b = ask(q, nsd_port), ask(q, mx_port)
        sa, sb = summary(a), summary(b)
        if sa != sb:
            diff = {k: (sa[k], sb[k]) for k in sa if sa[k] != sb[k]}
            differ.append("%s\n  %s" % (q, "\n  ".join("%s: nsd %s / mxhost %s" % (k, x, y)
                                                        for k, (x, y) in diff.items())))
    assert not differ, "%d of %d queries differ:\n%s" % (len(differ), len(queries),
                                                        "\n".join(differ[:20]))


@pytest.mark.parametrize("case", sorted(RAW))
def test_raw_udp(servers, case):
    nsd_port, mx_port, _ = servers
    a, b = raw_udp(RAW[case], nsd_port), raw_udp(RAW[case], mx_port)
    assert same(a, b), "%s: nsd %s / mxhost %s" % (case, describe(a), describe(b))


@pytest.mark.parametrize("case", RAW_TCP)
def test_raw_tcp(servers, case):
    import socket
    nsd_port, mx_port, _ = servers
    out = []
    for port in (nsd_port, mx_port):
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            out.append(tcp_exchange(s, RAW[case]))
    assert same(*out), "%s: nsd %s / mxhost %s" % (case, describe(out[0]), describe(out[1]))


@pytest.mark.parametrize("case", sorted(DELIBERATE))
def test_deliberate_difference(servers, case):
    nsd_port, mx_port, _ = servers
    packet, nsd_says, mx_says, _why = DELIBERATE[case]
    assert describe(raw_udp(packet, nsd_port)).startswith(nsd_says)
    assert describe(raw_udp(packet, mx_port)).startswith(mx_says)


def test_mxhost_still_running(servers):
    _, mx_port, mx = servers
    assert mx.proc.poll() is None
    r = dns.query.udp(make_query("example.test", "SOA"), "127.0.0.1", port=mx_port, timeout=3)
    assert r.rcode() == 0 and r.answer
