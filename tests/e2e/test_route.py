"""End-to-end tests of MX routing (src/route), through `mxhost route`,
against NSD and mxhost's own DNS server serving the same zones
(dnspeers.ZONES), and against servers that fail (dnspeers.FakeDns).
"""
from conftest import run
from dnspeers import ZONES, authority, check_clean, fake, nsd, route  # noqa: F401

assert "selfmx" in ZONES["example.test"]


def test_ordered_with_flags(authority):
    rc, head, mxs = route("example.test", "-s", authority)
    assert rc == 0
    assert head == "example.test: ok"
    assert [m["pref"] for m in mxs] == [10, 20, 20]
    assert mxs[0] == {"use": True, "pref": 10, "name": "mx1.example.test",
                      "addrs": ["127.0.0.2", "::2"], "flags": [], "reason": ""}
    by_name = {m["name"]: m for m in mxs[1:]}
    assert by_name["mx2.example.test"]["addrs"] == ["127.0.0.3"]
    # an MX that names an alias: followed, and flagged
    assert by_name["mx3.example.test"]["addrs"] == ["127.0.0.4"]
    assert by_name["mx3.example.test"]["flags"] == ["cname=host.example.test"]


def test_equal_preferences_shuffled(nsd):
    # 24 routes in one process (the DNS answers cached): mx2 and mx3 share
    # preference 20 and must come in both orders (odds of a false failure:
    # 2 in 16 million); mx1 is always first
    p = run(["route", "-s", nsd, "-n", "24", "example.test"])
    check_clean(p)
    assert p.returncode == 0
    blocks = p.stdout.strip().split("\n\n")
    assert len(blocks) == 24
    seconds = set()
    for b in blocks:
        lines = b.splitlines()
        assert lines[1].startswith("  use 10 mx1.example.test ")
        seconds.add(lines[2].split()[2])
    assert seconds == {"mx2.example.test", "mx3.example.test"}


def test_implicit_mx(authority):
    rc, head, mxs = route("nomx.example.test", "-s", authority)
    assert rc == 0
    assert mxs == [{"use": True, "pref": 0, "name": "nomx.example.test",
                    "addrs": ["127.0.0.5", "::5"], "flags": ["implicit"], "reason": ""}]


def test_null_mx(authority):
    rc, head, mxs = route("null.example.test", "-s", authority)
    assert rc == 1
    assert head == ("null.example.test: permanent failure 5.1.10: "
                    "domain null.example.test does not accept mail (null MX)")


def test_nxdomain(authority):
    rc, head, mxs = route("nothing.example.test", "-s", authority)
    assert rc == 1
    assert head == ("nothing.example.test: permanent failure 5.1.2: domain nothing.example.test "
                    "does not exist (NXDOMAIN from %s)" % authority)
    assert mxs == []


def test_ip_address_as_exchanger(authority):
    rc, head, mxs = route("ipmx.example.test", "-s", authority)
    assert rc == 0
    assert mxs[0] == {"use": True, "pref": 10, "name": "192.0.2.1", "addrs": ["192.0.2.1"],
                      "flags": ["ip-address"], "reason": ""}
    assert mxs[1]["name"] == "mx2.example.test"


def test_exchanger_that_does_not_exist(authority):
    rc, head, mxs = route("badmx.example.test", "-s", authority)
    assert rc == 0
    assert mxs[0] == {"use": False, "pref": 10, "name": "gone.example.test", "addrs": [],
                      "flags": [], "reason": "does not exist (NXDOMAIN from %s)" % authority}
    assert mxs[1]["use"] and mxs[1]["name"] == "mx2.example.test"


def test_exchanger_without_address(authority):
    rc, head, mxs = route("noaddr.example.test", "-s", authority)
    assert rc == 1
    assert head == ("noaddr.example.test: permanent failure 5.4.4: no exchanger of "
                    "noaddr.example.test has an address: bare.example.test: has no address records")
    assert mxs[0]["reason"] == "has no address records"


def test_loops_back_to_myself(authority):
    # this host is the best exchanger, by name
    rc, head, mxs = route("selfmx.example.test", "-s", authority, "-H", "MX1.example.test")
    assert rc == 1
    assert head == ("selfmx.example.test: permanent failure 5.4.6: "
                    "mail for selfmx.example.test loops back to myself")
    assert [(m["use"], m["flags"]) for m in mxs] == [(False, ["self"]), (False, []), (False, [])]
    assert mxs[0]["reason"] == "this host"


def test_backup_drops_itself_and_worse(authority):
    # this host is mx2, by one of its addresses: only mx1 is left
    rc, head, mxs = route("selfmx.example.test", "-s", authority, "-l", "127.0.0.3")
    assert rc == 0
    assert [m["use"] for m in mxs] == [True, False, False]
    assert mxs[1]["flags"] == ["self"]
    assert mxs[2]["reason"] == "preference 30 is not better than this host's (20)"


def test_backup_without_primary(authority):
    # this host is mx2; the only better exchanger does not exist: wait
    rc, head, mxs = route("badmx.example.test", "-s", authority, "-l", "127.0.0.3")
    assert rc == 75
    assert head.startswith("badmx.example.test: temporary failure 4.4.4: "
                           "unable to find primary relay for badmx.example.test")


def test_address_families(authority):
    rc, head, mxs = route("example.test", "-s", authority, "-f", "ipv6,ipv4")
    assert mxs[0]["addrs"] == ["::2", "127.0.0.2"]
    rc, head, mxs = route("example.test", "-s", authority, "-6")
    assert rc == 0
    assert mxs[0]["addrs"] == ["::2"]
    assert [m["reason"] for m in mxs[1:]] == ["has no IPv6 address"] * 2
    rc, head, mxs = route("v6.example.test", "-s", authority, "-4")
    assert rc == 1
    assert "mx6.example.test: has no IPv4 address" in head


def test_dns_failures_are_temporary(fake):
    for mode, why in (("silent", "timed out"), ("servfail", "SERVFAIL"), ("refused", "REFUSED"),
                      ("garbage", "malformed answer")):
        s = fake(mode=mode)
        rc, head, mxs = route("example.test", "-s", s.server, "-T", "200", "-A", "1")
        assert rc == 75, head
        assert head == ("example.test: temporary failure 4.4.3: DNS lookup of MX records for "
                        "example.test failed: %s (%s)" % (why, s.server))


def test_exchanger_lookup_failure_is_temporary(fake):
    # the MX answer comes; the exchanger's address lookups get no answer
    s = fake({("example.test", "MX"): ["10 mx1.example.test."],
              ("mx1.example.test", "A"): None, ("mx1.example.test", "AAAA"): None})
    rc, head, mxs = route("example.test", "-s", s.server, "-T", "200", "-A", "1")
    assert rc == 75
    assert head == ("example.test: temporary failure 4.4.3: no exchanger of example.test could "
                    "be resolved: mx1.example.test: address lookup failed: timed out (%s)"
                    % s.server)
    assert mxs[0]["reason"] == "address lookup failed: timed out (%s)" % s.server


def test_config_file(authority, tmp_path):
    conf = tmp_path / "route.conf"
    conf.write_text("[smtp]\nhostname = mx1.example.test\ndns_servers = %s\n"
                    "address_families = ipv4\nlisten = 127.0.0.1:2525\n" % authority)
    # the hostname from the config: this host is selfmx's best
    rc, head, mxs = route("selfmx.example.test", "-c", str(conf))
    assert rc == 1
    assert "5.4.6" in head
    # address_families = ipv4: no IPv6 address anywhere
    rc, head, mxs = route("example.test", "-c", str(conf), "-H", "other.test")
    assert rc == 0
    assert mxs[0]["addrs"] == ["127.0.0.2"]
    # the listen address is this host's: an exchanger there is this host
    rc, head, mxs = route("[127.0.0.1]", "-c", str(conf), "-H", "other.test")
    assert rc == 1
    assert "5.4.6" in head


def test_usage():
    p = run(["route"])
    assert p.returncode == 2
    assert "usage: mxhost route" in p.stderr
    p = run(["route", "-t", "NOSUCHTYPE", "x.test"])
    assert p.returncode == 2
