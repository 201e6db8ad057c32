"""mxhost zonecheck: verdicts and messages, side by side with BIND's
named-checkzone on the same files.

named-checkzone runs with -i local: it then checks the names inside the
zone exactly as with its default (-i full), but does not look up names
outside the zone on the network, which mxhost zonecheck never does.
Where the two differ on purpose, the test says so (docs/ZONEFILES.md).
"""
import os
import shutil
import subprocess

import pytest

from conftest import REPO, run

NAMED_CHECKZONE = shutil.which("named-checkzone") or "/usr/bin/named-checkzone"

HEAD = ("$TTL 1h\n"
        "@ IN SOA ns1 hostmaster 1 2h 30m 2w 5m\n"
        "  IN NS ns1\n"
        "ns1 IN A 192.0.2.1\n"
        "alias IN CNAME ns1\n")
# HEAD is 5 lines: the first line of a case's body is line 6.


def bind(path, origin="example.test", cwd=None):
    assert os.path.exists(NAMED_CHECKZONE), "named-checkzone missing: run make deps"
    r = subprocess.run([NAMED_CHECKZONE, "-i", "local", origin, str(path)],
                       capture_output=True, text=True, timeout=30, cwd=cwd)
    return r.returncode, r.stdout + r.stderr


def ours(path, origin="example.test", cwd=None):
    args = ["zonecheck", str(path)] + ([origin] if origin else [])
    r = run(args, cwd=cwd)
    return r.returncode, r.stdout + r.stderr


def both(tmp_path, body, name="t.zone"):
    """Writes HEAD + body into tmp_path/name; runs both checkers there."""
    (tmp_path / name).write_text(HEAD + body)
    return ours(name, cwd=tmp_path), bind(name, cwd=tmp_path)


def test_example_zone_same_output_as_bind():
    path = os.path.join(REPO, "examples", "zones", "example.test.zone")
    rc, out = ours(path)
    brc, bout = bind(path)
    assert rc == 0 and brc == 0, out + bout
    assert out == "zone example.test/IN: loaded serial 2026112601\nOK\n"
    assert out == bout


def test_origin_from_file(tmp_path):
    path = os.path.join(REPO, "examples", "zones", "example.test.zone")
    # The file's first $ORIGIN names the zone.
    rc, out = ours(path, origin=None)
    assert rc == 0, out
    assert out.startswith("zone example.test/IN: loaded serial 2026112601")
    # No $ORIGIN: the file name without ".zone", or "db." in front.
    for name in ("example.test.zone", "db.example.test", "example.test.db"):
        (tmp_path / name).write_text(HEAD)
        rc, out = ours(name, origin=None, cwd=tmp_path)
        assert rc == 0, out
        assert out.startswith("zone example.test/IN: loaded serial 1\n")
    # Neither: the user must say.
    (tmp_path / "zonedata").write_text(HEAD)
    rc, out = ours("zonedata", origin=None, cwd=tmp_path)
    assert rc == 2
    assert "give it as ORIGIN" in out


def test_usage():
    rc, out = ours("x", origin="a..b")
    assert rc == 2 and "bad zone name" in out
    r = run(["zonecheck"])
    assert r.returncode == 2 and "usage: mxhost zonecheck FILE [ORIGIN]" in r.stderr


def test_missing_file(tmp_path):
    (rc, out), (brc, bout) = ours("nope.zone", cwd=tmp_path), bind("nope.zone", cwd=tmp_path)
    assert rc == 1 and brc == 1
    assert "nope.zone: cannot read nope.zone: No such file or directory" in out
    assert "not loaded due to errors" in out and "not loaded due to errors" in bout


# Errors that stop the load: (body, line, our message, BIND's message).
LOAD_ERRORS = [
    ("www IN MXX 10 mx\n", 6, "unknown type 'MXX'", "unknown RR type 'MXX'"),
    ("www 1x IN A 192.0.2.1\n", 6, "bad TTL '1x'", "unknown RR type '1x'"),
    ("www IN CNAME ns1\nwww IN A 192.0.2.2\n", 7, "CNAME and other data at www.example.test.",
     "CNAME and other data"),
    ("sub IN SOA ns1 hostmaster 1 2 3 4 5\n", 6, "SOA record not at the top of the zone",
     "SOA record not at top of zone"),
    ("@ IN SOA ns1 hostmaster 2 2 3 4 5\n", 6, "more than one SOA record",
     "multiple RRs of singleton type"),
    ("a IN A 192.0.2\n", 6, "bad IPv4 address '192.0.2'", "bad dotted quad"),
    ("a IN A 192.0.2.1 5\n", 6, "extra text after the A record's data", "extra input text"),
    ("a IN MX 10\n", 6, "MX record is missing its exchange", "unexpected end of input"),
    ("a IN MX 70000 mx\n", 6, "bad MX preference '70000'", "out of range"),
    ("a CH A 192.0.2.1\n", 6, "class CH differs from the zone's class IN", "class 'CH' != zone class 'IN'"),
    ("a IN TXT \"abc\n", 6, "missing closing quote", "unbalanced quotes"),
    ("a IN TXT ( \"abc\"\n", 7, "'(' on line 6 is never closed", "unbalanced parentheses"),
    ("a IN TXT \"abc\" )\n", 6, "')' without an opening '('", "unbalanced parentheses"),
    ("a..b IN A 192.0.2.1\n", 6, "bad owner name 'a..b': empty label", "empty label"),
    ("$FOO bar\n", 6, "unknown directive '$FOO'", "unknown $ directive"),
    ("a IN TXT \"%s\"\n" % ("x" * 256), 6, "TXT string longer than 255 characters", "syntax error"),
    ("a IN A \\# 3 0A0000\n", 6, "\\# data is not valid A data", "unexpected end of input"),
    ("sub NS ns1\nsub DS 1 8 2 0102\n", 7, "DS digest has 2 octets; digest type 2 has 32",
     "unexpected end of input"),
    ("a IN CAA 0 iss-ue \"x\"\n", 6, "bad CAA tag 'iss-ue': letters and digits only", "syntax error"),
]


@pytest.mark.parametrize("body,line,mine,theirs", LOAD_ERRORS,
                         ids=[e[2][:30] for e in LOAD_ERRORS])
def test_load_errors_agree_with_bind(tmp_path, body, line, mine, theirs):
    (rc, out), (brc, bout) = both(tmp_path, body)
    assert brc == 1, bout
    assert theirs in bout, bout
    assert rc == 1, out
    assert "t.zone:%d: %s" % (line, mine) in out, out
    assert "t.zone:%d:" % line in bout, bout
    assert out.endswith("zone example.test/IN: not loaded due to errors.\n")
    assert "zone example.test/IN: not loaded due to errors." in bout


def test_no_ttl_agrees_with_bind(tmp_path):
    # No $TTL: BIND takes the SOA's MINIMUM (with a warning), and refuses
    # a record before the SOA that has no TTL.
    (tmp_path / "a.zone").write_text("@ IN SOA ns1 hm 1 2h 30m 2w 5m\n  NS ns1\nns1 A 192.0.2.1\n")
    (rc, out), (brc, bout) = ours("a.zone", cwd=tmp_path), bind("a.zone", cwd=tmp_path)
    assert rc == 0 and brc == 0
    assert "a.zone:1: warning: no TTL and no $TTL: using the SOA's minimum (300)" in out
    assert "a.zone:1: no TTL specified; using SOA MINTTL instead" in bout
    (tmp_path / "b.zone").write_text("ns1 A 192.0.2.1\n@ IN SOA ns1 hm 1 2h 30m 2w 5m\n  NS ns1\n")
    (rc, out), (brc, bout) = ours("b.zone", cwd=tmp_path), bind("b.zone", cwd=tmp_path)
    assert rc == 1 and brc == 1
    assert "b.zone:1: no TTL: give one on this record or a $TTL line before it" in out
    assert "b.zone:1: no TTL specified; zone rejected" in bout


def test_ttl_mismatch_warns_like_bind(tmp_path):
    (rc, out), (brc, bout) = both(tmp_path, "a 300 IN A 192.0.2.1\na 600 IN A 192.0.2.2\n")
    assert rc == 0 and brc == 0
    assert "t.zone:7: warning: a.example.test. A TTL 600 differs from the set's TTL 300" in out
    assert "t.zone:7: TTL set to prior TTL (300)" in bout


# The target checks: (body, verdict, our line and message, BIND's message).
TARGET_CHECKS = [
    ("@ MX 0 alias\n", 0, "t.zone:6: warning: example.test/MX 'alias.example.test' is a CNAME",
     "example.test/MX 'alias.example.test' is a CNAME (illegal)"),
    ("@ MX 0 nowhere\n", 0,
     "t.zone:6: warning: example.test/MX 'nowhere.example.test' has no address records (A or AAAA)",
     "example.test/MX 'nowhere.example.test' has no address records (A or AAAA)"),
    ("@ MX 0 1.2.3.4\n", 0, "t.zone:6: warning: example.test/MX '1.2.3.4' is an address",
     "'1.2.3.4': MX is an address"),
    ("@ MX 0 192.0.2.1.\n", 0, "t.zone:6: warning: example.test/MX '192.0.2.1' is an address",
     "'192.0.2.1.': MX is an address"),
    ("@ MX 0 ::1\n", 0, "t.zone:6: warning: example.test/MX '::1' is an address",
     "'::1': MX is an address"),
    ("e.x A 192.0.2.5\n@ MX 0 x\n", 0,
     "t.zone:7: warning: example.test/MX 'x.example.test' has no address records",
     "example.test/MX 'x.example.test' has no address records"),
    ("_s._tcp SRV 0 0 25 alias\n", 0,
     "t.zone:6: warning: _s._tcp.example.test/SRV 'alias.example.test' is a CNAME",
     "_s._tcp.example.test/SRV 'alias.example.test' is a CNAME (illegal)"),
    ("_s._tcp SRV 0 0 25 nowhere\n", 0,
     "t.zone:6: warning: _s._tcp.example.test/SRV 'nowhere.example.test' has no address records",
     "_s._tcp.example.test/SRV 'nowhere.example.test' has no address records"),
    # The zone's own name servers must resolve: these are errors.
    ("@ NS alias\n", 1, "t.zone:6: example.test/NS 'alias.example.test' is a CNAME",
     "NS 'alias.example.test' is a CNAME (illegal)"),
    ("@ NS nowhere\n", 1,
     "t.zone:6: example.test/NS 'nowhere.example.test' has no address records (A or AAAA)",
     "NS 'nowhere.example.test' has no address records (A or AAAA)"),
    ("@ NS 10.0.0.1\n", 1, "t.zone:6: warning: example.test/NS '10.0.0.1' is an address",
     "NS record '10.0.0.1' appears to be an address"),
    # Delegations: glue.
    ("sub NS ns.sub\n", 0,
     "t.zone:6: warning: sub.example.test/NS 'ns.sub.example.test' has no REQUIRED GLUE address "
     "records (A or AAAA)",
     "sub.example.test/NS 'ns.sub.example.test' has no REQUIRED GLUE address records (A or AAAA)"),
    ("sub NS ns.sub2\nsub2 NS ns.sub2\n", 0,
     "t.zone:6: warning: sub.example.test/NS 'ns.sub2.example.test' has no SIBLING GLUE",
     "sub.example.test/NS 'ns.sub2.example.test' has no SIBLING GLUE"),
    ("sub NS alias\n", 0, "t.zone:6: warning: sub.example.test/NS 'alias.example.test' is a CNAME",
     "sub.example.test/NS 'alias.example.test' is a CNAME (illegal)"),
]


@pytest.mark.parametrize("body,verdict,mine,theirs", TARGET_CHECKS,
                         ids=[t[0].strip()[:30] for t in TARGET_CHECKS])
def test_target_checks_agree_with_bind(tmp_path, body, verdict, mine, theirs):
    (rc, out), (brc, bout) = both(tmp_path, body)
    assert brc == verdict, bout
    assert theirs in bout, bout
    assert rc == verdict, out
    assert mine in out, out
    last = ("zone example.test/IN: loaded serial 1\nOK\n" if verdict == 0
            else "zone example.test/IN: not loaded due to errors.\n")
    assert out.endswith(last), out


# Nothing to say, for either.
CLEAN = [
    "@ MX 0 .\n",                                     # null MX (RFC 7505)
    "* A 192.0.2.7\n@ MX 0 anything\n",              # a wildcard answers
    "sub NS ns.sub\nns.sub A 192.0.2.8\n@ MX 0 mx.sub\n",  # below a cut: not ours
    "@ MX 0 mx.other.test.\n",                        # outside the zone
    "sub NS ns.sub\nns.sub AAAA 2001:db8::8\n",       # glue by AAAA
    "x MX 0 ns1\nx MX 0 NS1\n",                       # the same record twice
    "a IN TXT ( ( \"abc\" ) )\n",                      # nested parentheses
    "a IN TYPE65280 \\# 4 0A000001\na IN A \\# 4 0A000001\n",
    "a CLASS1 TYPE1 10.0.0.1\n",
    # Text forms of types kept opaque: DANE for mail, DNSSEC, SSH.
    "_25._tcp.ns1 TLSA 3 1 1 AABBCCDD\nsub NS ns1\nsub DS 12345 8 2 " + "01" * 32 +
    "\nns1 SSHFP 4 2 ( " + "0A" * 16 + "\n " + "0B" * 16 + " )\n@ DNSKEY 256 3 8 AwEAAQ==\n",
]


@pytest.mark.parametrize("body", CLEAN, ids=[c.strip()[:30] for c in CLEAN])
def test_clean_zones_agree_with_bind(tmp_path, body):
    (rc, out), (brc, bout) = both(tmp_path, body)
    assert brc == 0 and bout == "zone example.test/IN: loaded serial 1\nOK\n", bout
    assert rc == 0 and out == bout, out


def test_out_of_zone_data_is_an_error(tmp_path):
    # Deliberate difference: BIND ignores data outside the zone with a
    # warning; mxhost refuses it, as NSD does (a typo in an owner name
    # should not silently drop a record).
    (rc, out), (brc, bout) = both(tmp_path, "x.other.test. IN A 192.0.2.1\n")
    assert brc == 0 and "t.zone:6: ignoring out-of-zone data (x.other.test)" in bout
    assert rc == 1
    assert "t.zone:6: x.other.test. is outside the zone example.test." in out


def test_include_relative_to_the_including_file(tmp_path):
    sub = tmp_path / "zones"
    sub.mkdir()
    (sub / "main.zone").write_text(HEAD + "$INCLUDE hosts.inc\n")
    (sub / "hosts.inc").write_text("www A 192.0.2.3\n  MX 0 www\nmail MX 0 alias\n")
    # From the zone's own folder, BIND and mxhost read the same files.
    (rc, out), (brc, bout) = ours("main.zone", cwd=sub), bind("main.zone", cwd=sub)
    assert rc == 0 and brc == 0
    assert "hosts.inc:3: warning: mail.example.test/MX 'alias.example.test' is a CNAME" in out
    assert "mail.example.test/MX 'alias.example.test' is a CNAME" in bout
    # From elsewhere, mxhost still finds hosts.inc next to main.zone.
    rc, out = ours(str(sub / "main.zone"), cwd=tmp_path)
    assert rc == 0, out
    assert out.endswith("zone example.test/IN: loaded serial 1\nOK\n")


def test_include_loop(tmp_path):
    (tmp_path / "a.zone").write_text(HEAD + "$INCLUDE b.inc\n")
    (tmp_path / "b.inc").write_text("x A 192.0.2.1\n$INCLUDE a.zone\n")
    (rc, out), (brc, bout) = ours("a.zone", cwd=tmp_path), bind("a.zone", cwd=tmp_path)
    assert rc == 1 and brc == 1
    assert "b.inc:2: $INCLUDE loop: " in out
    assert "a.zone is already being read" in out


def test_error_in_included_file_names_it(tmp_path):
    (tmp_path / "a.zone").write_text(HEAD + "$INCLUDE b.inc\n")
    (tmp_path / "b.inc").write_text("\n\nx A 1.2.3\n")
    (rc, out), (brc, bout) = ours("a.zone", cwd=tmp_path), bind("a.zone", cwd=tmp_path)
    assert rc == 1 and brc == 1
    assert "b.inc:3: bad IPv4 address '1.2.3'" in out
    assert "b.inc:3:" in bout


def test_hostile_input_does_not_crash(tmp_path):
    # Binary junk, a NUL, an endless parenthesis, a very long line.
    cases = {
        "junk.zone": bytes(range(256)) * 4,
        "nul.zone": (HEAD + "a TXT \"x\0y\"\n").encode(),
        "paren.zone": (HEAD + "a TXT (" + " \"x\"" * 10000).encode(),
        "long.zone": (HEAD + "a TXT " + "\"%s\" " % ("y" * 255) * 300 + "\n").encode(),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        rc, out = ours(name, cwd=tmp_path)
        assert rc == 1, (name, out)
        assert "not loaded due to errors" in out
