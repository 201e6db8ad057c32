"""Cases found in a review of the resolver and MX routing, checked
through `mxhost route` and the resolver tool against docs/ROUTING.md.

The misbehaving peers here need answers FakeDns cannot give (records in a
chosen wire order, a second question, a TTL with its top bit set), so
ScriptDns below answers each query with whatever its handler returns.
"""
import struct

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from conftest import free_port
from dnsfront import DnsFront
from dnspeers import resolve, route


class ScriptDns(DnsFront):
    """A DNS server on 127.0.0.1:port, UDP and TCP (dnsfront's loops),
    answering each query with handler(query message, "udp" or "tcp"): the
    answer's wire bytes, or None for silence."""

    def __init__(self, handler):
        self.port = free_port()
        super().__init__(("127.0.0.1", self.port), upstream=None)
        self.handler = handler
        self.start()

    @property
    def server(self):
        return "127.0.0.1:%d" % self.port

    def answer(self, query, transport):
        try:
            q = dns.message.from_wire(query)
        except Exception:
            return None
        return self.handler(q, transport)


def qinfo(q):
    return (q.question[0].name.to_text().lower(),
            dns.rdatatype.to_text(q.question[0].rdtype))


def response(q):
    r = dns.message.make_response(q)
    r.flags |= dns.flags.RA
    return r


def nodata(r, zone):
    r.authority.append(dns.rrset.from_text(
        zone, 300, "IN", "SOA", "ns.%s admin.%s 1 3600 600 86400 60" % (zone, zone)))
    return r


# ---- MX records past the 64th ----

def many_mx_server(nworse):
    """many.test: `nworse` MX records of preference 20 (w00..), then, last
    in the answer's wire order, `10 best.many.test`. Every exchanger has an
    A record: best 127.0.0.9, wNN 127.0.1.NN+1."""

    def handler(q, transport):
        name, rtype = qinfo(q)
        r = response(q)
        if name == "many.test." and rtype == "MX":
            # one RRset per record, so that the wire order is this order
            for i in range(nworse):
                r.answer.append(dns.rrset.from_text(name, 300, "IN", "MX", "20 w%02d.many.test." % i))
            r.answer.append(dns.rrset.from_text(name, 300, "IN", "MX", "10 best.many.test."))
        elif name == "best.many.test." and rtype == "A":
            r.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "127.0.0.9"))
        elif name.startswith("w") and rtype == "A":
            r.answer.append(dns.rrset.from_text(name, 300, "IN", "A",
                                                "127.0.1.%d" % (int(name[1:3]) + 1)))
        else:
            nodata(r, "many.test.")
        return r.to_wire(max_size=65535)

    return ScriptDns(handler)


def test_best_exchanger_after_the_64th_record_is_used():
    """RFC 5321 section 5.1: the MX records are sorted by preference and
    the most preferred is tried first. docs/ROUTING.md: of more than 64
    records, the 64 best are kept, sorted first; Postfix too sorts the
    whole RRset (dns_rr_sort) before it looks up or limits anything.

    The answer holds 69 records of preference 20, then `10 best`: best
    (preference 10) comes first, with its address. Before the fix, the
    first 64 records in the answer's order were kept and only then
    sorted, so best was dropped and mail went to a backup."""
    s = many_mx_server(69)
    try:
        rc, head, mxs = route("many.test", "-s", s.server, "-4")
    finally:
        s.stop()
    assert rc == 0, head
    assert mxs[0]["pref"] == 10 and mxs[0]["name"] == "best.many.test", mxs[:2]
    assert mxs[0]["addrs"] == ["127.0.0.9"]


def test_this_host_after_the_64th_record_still_detected():
    """RFC 5321 section 5.1: if this host is among the exchangers, it and
    every exchanger of equal or worse preference are dropped; when it is
    the best, the mail loops back: permanent 5.4.6 "mail for D loops back
    to myself" (docs/ROUTING.md; Postfix says the same).

    This host is best.many.test (preference 10, -H), listed after 69
    records of preference 20. The 64 records kept are the best, so the
    loop rule sees this host and the route fails with 5.4.6. Before the
    fix, the record was cut with everything past the 64th and mail went
    to the preference-20 backups, which send it back to this host: a
    mail loop."""
    s = many_mx_server(69)
    try:
        rc, head, mxs = route("many.test", "-s", s.server, "-4", "-H", "best.many.test")
    finally:
        s.stop()
    assert rc == 1, head
    assert head == ("many.test: permanent failure 5.4.6: "
                    "mail for many.test loops back to myself")


# ---- the resolver believing answers it should not ----

def test_answer_with_two_questions_ignored():
    """docs/ROUTING.md: an answer is taken only if it carries the same
    question, one question, no more. glibc's resolver, which Postfix
    uses, likewise takes an answer only if its QDCOUNT is the query's
    (res_queriesmatch), and RFC 9619 says a QUERY message does not have
    QDCOUNT > 1.

    The server answers with QDCOUNT 2: the question asked, then another
    (other.test A), then an A record 192.0.2.66. The answer is ignored,
    the wait goes on and ends in a timeout (TEMPFAIL). Before the fix,
    only the first question was compared and the answer was believed."""

    def handler(q, transport):
        name, rtype = qinfo(q)
        r = response(q)
        r.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "192.0.2.66"))
        wire = bytearray(r.to_wire())
        qend = 12 + len(q.question[0].name.to_wire()) + 4
        extra = dns.name.from_text("other.test.").to_wire() + struct.pack("!HH", 1, 1)
        wire = wire[:qend] + extra + wire[qend:]
        wire[4:6] = struct.pack("!H", 2)
        return bytes(wire)

    s = ScriptDns(handler)
    try:
        rc, [r] = resolve([s.server], "host.test", "A", "-T", "300", "-A", "1")
    finally:
        s.stop()
    assert r["status"] == "TEMPFAIL", r
    assert rc == 75


def test_ttl_with_top_bit_set_is_not_cached():
    """RFC 2181 section 8 (and docs/ROUTING.md, "Cache"): a TTL received
    with its most significant bit set is treated as zero, and so not
    cached.

    The answer has TTL 2147483648 (0x80000000): the result says ttl 0,
    and the second lookup in the same process asks the server again
    (cached no). Before the fix, the TTL was capped to a week, so one
    bad record pinned an address for seven days."""

    def handler(q, transport):
        name, rtype = qinfo(q)
        r = response(q)
        if rtype == "A":
            r.answer.append(dns.rrset.from_text(name, 0x80000000, "IN", "A", "192.0.2.7"))
        else:
            nodata(r, "test.")
        return r.to_wire()

    s = ScriptDns(handler)
    try:
        rc, results = resolve([s.server], "host.test", "A", "-n", "2")
        asked = len(s.queries)
    finally:
        s.stop()
    assert rc == 0
    assert results[0]["status"] == "ANSWER"
    assert results[0]["ttl"] == "0", results[0]
    assert results[1]["cached"] == "no", results[1]
    assert asked == 2
