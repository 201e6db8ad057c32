#!/usr/bin/python3
"""Writes the seed corpus of fuzz/fuzz_resolver.c: answers as a stub
resolver meets them (CNAME chains, negative answers with SOA, referrals,
failures, truncation), made with dnspython (run once; output committed)."""
import os
import sys

import dns.flags
import dns.message
import dns.rcode
import dns.rrset

out = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/resolver"
os.makedirs(out, exist_ok=True)
SOA = ("example.test.", "SOA", "ns.example.test. admin.example.test. 1 3600 600 86400 60")


def answer(qname, qtype, an=(), ns=(), rcode=0, aa=True, tc=False, edns=True):
    q = dns.message.make_query(qname, qtype, use_edns=edns)
    r = dns.message.make_response(q)
    if aa:
        r.flags |= dns.flags.AA
    if tc:
        r.flags |= dns.flags.TC
    r.set_rcode(rcode)
    for name, t, data in an:
        r.answer.append(dns.rrset.from_text(name, 300, "IN", t, data))
    for name, t, data in ns:
        r.authority.append(dns.rrset.from_text(name, 300, "IN", t, data))
    return r.to_wire()


seeds = {
    "mx": answer("example.test.", "MX", [("example.test.", "MX", "10 mx1.example.test."),
                                         ("example.test.", "MX", "20 mx2.example.test.")]),
    "nullmx": answer("null.example.test.", "MX", [("null.example.test.", "MX", "0 .")]),
    "a": answer("mx1.example.test.", "A", [("mx1.example.test.", "A", "127.0.0.2")]),
    "aaaa": answer("mx1.example.test.", "AAAA", [("mx1.example.test.", "AAAA", "::2")]),
    "cname-chain": answer("a.example.test.", "A", [
        ("a.example.test.", "CNAME", "b.example.test."),
        ("b.example.test.", "CNAME", "c.example.test."),
        ("c.example.test.", "A", "192.0.2.1")]),
    "cname-out": answer("a.example.test.", "MX", [("a.example.test.", "CNAME", "x.other.test.")]),
    "cname-loop": answer("a.example.test.", "A", [
        ("a.example.test.", "CNAME", "b.example.test."),
        ("b.example.test.", "CNAME", "a.example.test.")]),
    "cname-nodata": answer("a.example.test.", "AAAA", [("a.example.test.", "CNAME", "b.example.test.")],
                           [SOA]),
    "cname-nx": answer("a.example.test.", "A", [("a.example.test.", "CNAME", "gone.example.test.")],
                       [SOA], rcode=dns.rcode.NXDOMAIN),
    "nxdomain": answer("nx.example.test.", "MX", [], [SOA], rcode=dns.rcode.NXDOMAIN),
    "nodata": answer("mx1.example.test.", "MX", [], [SOA]),
    "nodata-nosoa": answer("mx1.example.test.", "MX", []),
    "referral": answer("sub.example.test.", "MX", [], [("sub.example.test.", "NS", "ns.sub.example.test.")],
                       aa=False),
    "servfail": answer("example.test.", "MX", rcode=dns.rcode.SERVFAIL, aa=False),
    "refused": answer("example.test.", "MX", rcode=dns.rcode.REFUSED, aa=False, edns=False),
    "formerr-noedns": answer("example.test.", "MX", rcode=dns.rcode.FORMERR, edns=False),
    "truncated": answer("example.test.", "TXT", tc=True),
}
for name, wire in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(wire)
