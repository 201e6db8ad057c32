"""End-to-end tests of the resolver (src/dns/resolver.c), through
`mxhost route -t TYPE NAME`, against real DNS servers on loopback: NSD
and mxhost's own, serving the same zones; and each failure class produced
for real by a small server written in the test (dnspeers.FakeDns).
"""
from dnspeers import resolve

# the zones, and the fixtures: nsd, authority (NSD or mxhost serve), fake
from dnspeers import ZONES, authority, fake, nsd  # noqa: F401


# ---- answers from real servers ----

def test_answer(authority):
    rc, [r] = resolve([authority], "mx1.example.test", "A")
    assert rc == 0
    assert r["status"] == "ANSWER"
    assert r["reason"] == "answer from " + authority
    assert r["canonical"] == "mx1.example.test."
    assert r["cname"] == "no"
    assert r["ttl"] == "300"
    assert r["records"] == ["mx1.example.test. 300 IN A 127.0.0.2"]


def test_mx_records(authority):
    # asked in upper case: servers compress against the question, so the
    # names come back in its case, and the answer must still match
    rc, [r] = resolve([authority], "EXAMPLE.test", "MX")
    assert rc == 0
    assert sorted(x.lower() for x in r["records"]) == [
        "example.test. 300 in mx 10 mx1.example.test.",
        "example.test. 300 in mx 20 mx2.example.test.",
        "example.test. 300 in mx 20 mx3.example.test.",
    ]


def test_cname_chain_followed(authority):
    # alias -> mx3 -> host, all in the zone: one answer holds the chain
    rc, [r] = resolve([authority], "alias.example.test", "A")
    assert rc == 0
    assert r["cname"] == "yes"
    assert r["canonical"] == "host.example.test."
    assert r["records"] == ["host.example.test. 300 IN A 127.0.0.4"]


def test_cname_out_of_zone_requeried(authority):
    # out -> elsewhere.other.test: an authoritative server gives only the
    # CNAME; the resolver asks again for the target (other.test is served
    # by the same server here)
    rc, [r] = resolve([authority], "out.example.test", "A")
    assert rc == 0
    assert r["cname"] == "yes"
    assert r["canonical"] == "elsewhere.other.test."
    assert r["records"] == ["elsewhere.other.test. 40 IN A 127.0.0.8"]
    assert r["ttl"] == "40"


def test_nxdomain_with_negative_ttl(authority):
    # SOA TTL 300, MINIMUM 60: cached 60 s (RFC 2308: the lesser)
    rc, [r] = resolve([authority], "nothing.example.test", "MX")
    assert rc == 1
    assert r["status"] == "NXDOMAIN"
    assert r["ttl"] == "60"
    assert r["records"] == []
    # SOA TTL 40, MINIMUM 3600: 40
    rc, [r] = resolve([authority], "nothing.other.test", "A")
    assert r["status"] == "NXDOMAIN"
    assert r["ttl"] == "40"


def test_nodata(authority):
    rc, [r] = resolve([authority], "mx1.example.test", "MX")
    assert rc == 1
    assert r["status"] == "NODATA"
    assert r["ttl"] == "60"
    rc, [r] = resolve([authority], "bare.example.test", "A")
    assert r["status"] == "NODATA"


def test_cached_within_one_process(authority):
    rc, results = resolve([authority], "example.test", "TXT", "-n", "2")
    assert rc == 0
    assert [r["cached"] for r in results] == ["no", "yes"]
    assert results[1]["reason"] == "cached"
    assert results[0]["records"] == ['example.test. 300 IN TXT "v=spf1 mx -all"']
    assert results[1]["records"] == results[0]["records"]
    rc, results = resolve([authority], "nothing.example.test", "A", "-n", "2")
    assert [r["status"] for r in results] == ["NXDOMAIN", "NXDOMAIN"]
    assert results[1]["cached"] == "yes"


# ---- the resolver's own behaviour, seen by a server written here ----

def test_cache_asks_once(fake):
    s = fake({("www.example.test", "A"): ["192.0.2.1"]})
    rc, results = resolve([s.server], "www.example.test", "A", "-n", "3")
    assert [r["cached"] for r in results] == ["no", "yes", "yes"]
    assert s.count() == 1
    # a negative answer too (the SOA's 60 s)
    rc, results = resolve([s.server], "nx.example.test", "A", "-n", "2")
    assert [r["status"] for r in results] == ["NXDOMAIN", "NXDOMAIN"]
    assert s.count() == 2


def test_random_ids_and_ports_edns(fake):
    # a silent server sees every try: each from a new port with a new ID
    s = fake(mode="silent")
    rc, [r] = resolve([s.server], "www.example.test", "A", "-T", "100", "-A", "8")
    assert rc == 75
    assert s.count() == 8
    ports = {q[2] for q in s.queries}
    ids = {q[3] for q in s.queries}
    assert len(ports) == 8
    assert len(ids) >= 7  # 16-bit IDs: a repeat among 8 has odds 1 in 2000
    assert all(q[6] == 1232 for q in s.queries)  # EDNS0, 1232 bytes
    assert all(q[4] == "www.example.test." for q in s.queries)


def test_timeout(fake):
    s = fake(mode="silent")
    rc, [r] = resolve([s.server], "www.example.test", "A", "-T", "200", "-A", "2")
    assert rc == 75
    assert r["status"] == "TEMPFAIL"
    assert r["reason"] == "timed out (%s)" % s.server
    assert s.count() == 2


def test_servfail(fake):
    s = fake(mode="servfail")
    rc, [r] = resolve([s.server], "www.example.test", "A", "-T", "500", "-A", "2")
    assert rc == 75
    assert r["status"] == "TEMPFAIL"
    assert r["reason"] == "SERVFAIL (%s)" % s.server
    assert s.count() == 1  # SERVFAIL is not asked again of the same server


def test_refused_and_malformed(fake):
    s = fake(mode="refused")
    rc, [r] = resolve([s.server], "www.example.test", "A", "-T", "500")
    assert (rc, r["status"], r["reason"]) == (75, "TEMPFAIL", "REFUSED (%s)" % s.server)
    g = fake(mode="garbage")
    rc, [r] = resolve([g.server], "www.example.test", "A", "-T", "500")
    assert (rc, r["status"], r["reason"]) == (75, "TEMPFAIL", "malformed answer (%s)" % g.server)


def test_connection_refused():
    from conftest import free_port
    port = free_port()  # nothing listens there
    rc, [r] = resolve(["127.0.0.1:%d" % port], "www.example.test", "A", "-T", "2000")
    assert rc == 75
    assert r["reason"] == "Connection refused (127.0.0.1:%d)" % port


def test_truncated_answer_over_tcp(fake):
    # 8 x 200 bytes: more than the 1232 bytes EDNS0 allows over UDP
    s = fake({("big.example.test", "TXT"): ['"%d%s"' % (i, "x" * 200) for i in range(8)]},
             mode="truncate")
    rc, [r] = resolve([s.server], "big.example.test", "TXT", "-T", "1000")
    assert rc == 0
    assert r["status"] == "ANSWER"
    assert len(r["records"]) == 8
    assert s.count("udp") == 1
    assert s.count("tcp") == 1


def test_forged_answers_ignored(fake):
    # before the right answer, 150 ms later: one with a wrong ID, one to
    # another question, and copies from another address and another port,
    # all saying 192.0.2.66. Only the right one may be taken.
    s = fake({("www.example.test", "A"): ["192.0.2.1"]}, mode="forged")
    rc, [r] = resolve([s.server], "www.example.test", "A", "-T", "2000")
    assert rc == 0
    assert r["records"] == ["www.example.test. 300 IN A 192.0.2.1"]
    assert s.count() == 1  # taken on the first try, after the forgeries
    # a forged NXDOMAIN does not win either
    rc, [r] = resolve([s.server], "www.example.test", "MX", "-T", "2000")
    assert r["status"] == "NODATA"


def test_next_server_after_failure(fake):
    dead = fake(mode="silent")
    bad = fake(mode="servfail")
    good = fake({("www.example.test", "A"): ["192.0.2.1"]})
    rc, [r] = resolve([dead.server, bad.server, good.server], "www.example.test", "A",
                      "-T", "200", "-A", "2")
    assert rc == 0
    assert r["reason"] == "answer from " + good.server
    assert (dead.count(), bad.count(), good.count()) == (1, 1, 1)
    # all failing: each server's last failure, in order
    rc, [r] = resolve([dead.server, bad.server], "www.example.test", "A", "-T", "200", "-A", "2")
    assert rc == 75
    assert r["reason"] == "timed out (%s), SERVFAIL (%s)" % (dead.server, bad.server)
