#!/usr/bin/python3
"""Writes the seed corpus of fuzz/fuzz_wire.c: queries and answers of
each type mxhost knows, made with dnspython (run once; output committed)."""
import os
import sys

import dns.flags
import dns.message
import dns.rrset

out = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/wire"
os.makedirs(out, exist_ok=True)
records = [
    ("example.test.", "SOA", "ns1.example.test. hostmaster.example.test. 1 7200 1800 1209600 300"),
    ("example.test.", "MX", "0 mx1.example.test."),
    ("example.test.", "MX", "0 ."),
    ("example.test.", "NS", "ns1.example.test."),
    ("mx1.example.test.", "A", "127.0.0.1"),
    ("mx1.example.test.", "AAAA", "::1"),
    ("www.example.test.", "CNAME", "example.test."),
    ("example.test.", "TXT", '"v=spf1 mx -all" "second \\"string\\""'),
    ("1.0.0.127.in-addr.arpa.", "PTR", "mx1.example.test."),
    ("_smtp._tcp.example.test.", "SRV", "0 1 25 mx1.example.test."),
    ("example.test.", "CAA", '0 issue "letsencrypt.org"'),
    ("example.test.", "TYPE65280", "\\# 4 0A000001"),
]
n = 0
for name, rtype, rdata in records:
    q = dns.message.make_query(name, rtype if not rtype.startswith("TYPE") else 65280,
                               use_edns=(n % 2 == 0))
    with open(os.path.join(out, "query-%02d" % n), "wb") as f:
        f.write(q.to_wire())
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    r.answer.append(dns.rrset.from_text(name, 300, "IN", rtype, rdata))
    r.authority.append(dns.rrset.from_text("example.test.", 300, "IN", "NS", "ns1.example.test."))
    r.additional.append(dns.rrset.from_text("ns1.example.test.", 300, "IN", "A", "127.0.0.1"))
    with open(os.path.join(out, "answer-%02d" % n), "wb") as f:
        f.write(r.to_wire())
    n += 1
