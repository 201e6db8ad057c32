#!/usr/bin/python3
"""Writes the seed corpus of fuzz/fuzz_answer.c: queries for every kind
of name of the harness's zones, over each transport and EDNS setting,
and a few malformed ones (run once; output committed). The first byte
of each seed is the harness's transport/payload selector."""
import os
import struct
import sys

import dns.flags
import dns.message

out = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/answer"
os.makedirs(out, exist_ok=True)
queries = [
    ("example.test.", "MX"), ("example.test.", "ANY"), ("example.test.", "SOA"),
    ("www.example.test.", "A"), ("c1.example.test.", "AAAA"), ("l1.example.test.", "A"),
    ("d.example.test.", "A"), ("x.y.wild.example.test.", "MX"), ("q.cn.example.test.", "A"),
    ("b.ent.example.test.", "TXT"), ("h.deleg.example.test.", "A"), ("deleg.example.test.", "DS"),
    ("www.sub.example.test.", "A"), ("sub.example.test.", "DS"), ("www.other.test.", "A"),
    ("many.example.test.", "A"), ("nothere.example.test.", "A"), ("example.org.", "A"),
    ("example.test.", "AXFR"), ("unk.example.test.", 65280),
]
n = 0
for i, (name, rtype) in enumerate(queries):
    q = dns.message.make_query(name, rtype, use_edns=(0 if i % 2 else -1), payload=1232,
                               want_dnssec=(i % 3 == 0))
    selector = bytes([(i * 37) & 0xff])
    with open(os.path.join(out, "query-%02d" % n), "wb") as f:
        f.write(selector + q.to_wire())
    n += 1
head = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 1)
qd = b"\x07example\x04test\x00\x00\x01\x00\x01"
bad = [
    head + qd + b"\x00\x00\x29\x04\xd0\x00\x01\x00\x00\x00\x00",  # EDNS version 1
    head + qd + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x04\x00\x03\x00\x09",  # bad option
    struct.pack("!HHHHHH", 1, 0x2800, 1, 0, 0, 0) + qd,  # UPDATE
    struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01",  # pointer
    struct.pack("!HHHHHH", 1, 0, 1, 0, 1, 0) + b"\x07example\x04test\x00\x00\xfb\x00\x01" +
    b"\xc0\x0c\x00\x06\x00\x01\x00\x00\x00\x00\x00\x16\x00\x00" + bytes(20),  # IXFR
]
for i, p in enumerate(bad):
    with open(os.path.join(out, "bad-%02d" % i), "wb") as f:
        f.write(bytes([i]) + p)
