"""Zone-file reader review: differential cases against BIND
(named-checkzone) and NSD (nsd-checkzone), beyond test_zonecheck.py.

Each test here is a file on which BIND and NSD agree (both load it, or
both refuse it); the test first checks that both peers still behave as
the docstring says, then that mxhost does the same. The one exception,
a deliberate difference docs/ZONEFILES.md lists, says so in its docstring.
"""
import os
import shutil
import subprocess

import dns.name
import dns.zone
import pytest

from conftest import run

NAMED_CHECKZONE = shutil.which("named-checkzone") or "/usr/bin/named-checkzone"
NSD_CHECKZONE = shutil.which("nsd-checkzone") or "/usr/sbin/nsd-checkzone"

HEAD = ("$TTL 1h\n"
        "@ IN SOA ns1 hostmaster 1 2h 30m 2w 5m\n"
        "  IN NS ns1\n"
        "ns1 IN A 192.0.2.1\n")
ORIGIN = "example.test"


def write(tmp_path, body, name="t.zone"):
    (tmp_path / name).write_text(HEAD + body)
    return name


def ours(tmp_path, name="t.zone", dump=False):
    r = run(["zonecheck"] + (["-D"] if dump else []) + [name, ORIGIN], cwd=tmp_path)
    return r.returncode, r.stdout + r.stderr


def bind(tmp_path, name="t.zone", dump=False):
    assert os.path.exists(NAMED_CHECKZONE), "named-checkzone missing: run make deps"
    r = subprocess.run([NAMED_CHECKZONE, "-i", "local"] + (["-D"] if dump else []) +
                       [ORIGIN, name], capture_output=True, text=True, timeout=30, cwd=tmp_path)
    return r.returncode, r.stdout + r.stderr


def nsd(tmp_path, name="t.zone", dump=False):
    assert os.path.exists(NSD_CHECKZONE), "nsd-checkzone missing: run make deps"
    r = subprocess.run([NSD_CHECKZONE] + (["-p"] if dump else []) + [ORIGIN, name],
                       capture_output=True, text=True, timeout=30, cwd=tmp_path)
    return r.returncode, r.stdout + r.stderr


def records(text, kind):
    """The records of a dump (mxhost -D, named-checkzone -D or
    nsd-checkzone -p), as a set of (owner, type, TTL, canonical wire
    rdata) that does not depend on the text form."""
    if kind == "nsd":
        lines = [l for l in text.splitlines() if not l.startswith("zone ") and l != "OK"
                 and not l.startswith("[")]
    else:
        lines = [l for l in text.splitlines() if "\t" in l and not l.startswith("zone ")]
    z = dns.zone.from_text("\n".join(lines) + "\n", origin=ORIGIN, relativize=False,
                           check_origin=False)
    out = set()
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            for rd in rds:
                out.add((name.to_text().lower(), rds.rdtype, rds.ttl,
                         rd.to_digestable(dns.name.root)))
    return out


def all_three(tmp_path, body):
    name = write(tmp_path, body)
    return ours(tmp_path, name), bind(tmp_path, name), nsd(tmp_path, name)


# ---- 1. Malformed data in the generic form (RFC 3597) ----

# Types mxhost keeps opaque (docs/ZONEFILES.md) but BIND and NSD parse:
# data written with \# that is too short to be a record of the type.
GENERIC_MALFORMED = [
    "sub NS ns1\nsub DS \\# 3 303908\n",   # DS: key tag, algorithm, no digest type
    "@ DNSKEY \\# 3 010003\n",             # DNSKEY: flags, protocol, no algorithm
    "a NSEC \\# 0\n",                      # NSEC: no next name
    "a RRSIG \\# 0\n",
    "a HTTPS \\# 0\n",                     # SVCB/HTTPS: no priority, no target
    "a URI \\# 0\n",
    "@ NSEC3PARAM \\# 0\n",
]


@pytest.mark.parametrize("body", GENERIC_MALFORMED, ids=[b.split("\n")[-2] for b in GENERIC_MALFORMED])
def test_generic_data_of_opaque_types_is_checked(tmp_path, body):
    """RFC 3597 section 5: a known type written as \\# LENGTH HEX is still
    that type ("all further processing by the server MUST treat it as a
    known type"), so its data has to be a record of that type. BIND
    ("unexpected end of input") and NSD ("bad unknown RDATA") both refuse
    these records, and so does mxhost: for a type it keeps opaque it
    checks at least the fixed fields and names (docs/ZONEFILES.md). If served,
    such a record is one no client can parse (a validating resolver fails
    the delegation on a short DS). Before the fix, mxhost loaded them."""
    (rc, out), (brc, bout), (nrc, nout) = all_three(tmp_path, body)
    assert brc == 1, bout
    assert nrc != 0, nout
    assert rc == 1, out


# ---- 2. Files BIND and NSD load ----

ALG_MNEMONICS = [
    "sub NS ns1\nsub DS 12345 RSASHA256 2 " + "ab" * 32 + "\n",
    "@ DNSKEY 256 3 RSASHA256 AwEAAQ==\n",
]


@pytest.mark.parametrize("body", ALG_MNEMONICS, ids=["DS", "DNSKEY"])
def test_dnssec_algorithm_mnemonics(tmp_path, body):
    """RFC 4034 sections 2.2 (DNSKEY) and 5.3 (DS): "The Algorithm field
    MUST be represented either as an unsigned decimal integer or as an
    algorithm mnemonic as specified in Appendix A.1." BIND and NSD both
    load `DS 12345 RSASHA256 2 ...` as algorithm 8, and mxhost loads the
    same records. Before the fix, mxhost refused the mnemonic ("bad DS
    algorithm 'RSASHA256': expected a number from 0 to 255")."""
    name = write(tmp_path, body)
    (rc, out) = ours(tmp_path, name, dump=True)
    (brc, bout), (nrc, nout) = bind(tmp_path, name, dump=True), nsd(tmp_path, name, dump=True)
    assert brc == 0 and nrc == 0, bout + nout
    assert records(bout, "bind") == records(nout, "nsd")
    assert rc == 0, out
    assert records(out, "mx") == records(bout, "bind")


def test_quoted_owner_name_is_refused_clearly(tmp_path):
    """A deliberate difference (docs/ZONEFILES.md): BIND and NSD both
    accept an owner written as a quoted string (`"a" A 192.0.2.5`, loaded
    as a.example.test.), but they disagree once a dot is inside the quotes
    (BIND splits labels there, NSD does not). mxhost refuses a quoted
    owner with a message naming the line, rather than pick one reading."""
    name = write(tmp_path, "\"a\" A 192.0.2.5\n")
    rc, out = ours(tmp_path, name)
    (brc, bout), (nrc, nout) = bind(tmp_path, name, dump=True), nsd(tmp_path, name, dump=True)
    assert brc == 0 and nrc == 0, bout + nout  # the peers still take it
    assert rc == 1
    assert "owner name must not be quoted" in out and "t.zone:" in out, out


LONG_NUMBERS = [
    "a MX 00000000010 ns1\n",                         # 11 characters, value 10
    "_s._tcp SRV 00000000000 00000000001 00000000025 ns1\n",
    "a TYPE65280 \\# 00000000001 00\n",               # RFC 3597 length
    "sub NS ns1\nsub DS 000000012345 8 2 " + "ab" * 32 + "\n",
]


@pytest.mark.parametrize("body", LONG_NUMBERS, ids=["MX", "SRV", "generic-length", "DS"])
def test_numbers_with_many_leading_zeros(tmp_path, body):
    """A decimal field is a value, not a width (docs/ZONEFILES.md): BIND
    and NSD both read `MX 00000000010 ns1` as preference 10, and mxhost
    loads the same records as they do. Before the fix, mxhost refused a
    number written with more than 10 characters."""
    name = write(tmp_path, body)
    rc, out = ours(tmp_path, name, dump=True)
    (brc, bout), (nrc, nout) = bind(tmp_path, name, dump=True), nsd(tmp_path, name, dump=True)
    assert brc == 0 and nrc == 0, bout + nout
    assert records(bout, "bind") == records(nout, "nsd")
    assert rc == 0, out
    assert records(out, "mx") == records(bout, "bind")


def test_soa_serial_with_many_leading_zeros(tmp_path):
    """As test_numbers_with_many_leading_zeros, for the SOA serial: BIND,
    NSD and mxhost all load `SOA ns1 hm 000000000001 ...` with serial 1,
    so a serial zero-padded to a fixed width is fine. Before the fix,
    mxhost refused it ("bad SOA serial '000000000001'")."""
    (tmp_path / "t.zone").write_text("$TTL 1h\n@ SOA ns1 hm 000000000001 2h 30m 2w 5m\n"
                                     "  NS ns1\nns1 A 192.0.2.1\n")
    (rc, out), (brc, bout), (nrc, nout) = ours(tmp_path), bind(tmp_path), nsd(tmp_path)
    assert brc == 0 and "loaded serial 1" in bout, bout
    assert nrc == 0, nout
    assert rc == 0, out
    assert "loaded serial 1" in out


# ---- 3. Files BIND and NSD refuse ----

def test_blank_owner_is_decided_by_the_line_that_starts_the_record(tmp_path):
    """RFC 1035 5.1: "If a line begins with a blank, then the owner is
    assumed to be the same as that of the previous RR." The line a record
    starts on decides, a `(` before its first word included
    (docs/ZONEFILES.md): a record that starts with ` (` on a line
    beginning with a blank has the previous owner, so in the first file
    `b` is read as a type; a record whose line starts with `(` does not
    begin with a blank, so in the second file `TXT` is the owner and
    `"x"` the type. BIND ("unknown RR type 'b'", "syntax error") and NSD
    ("syntax error") both refuse the two files, and so does mxhost.
    Before the fix, mxhost loaded both: the first as b.example.test. A,
    the second as a TXT record at the previous owner."""
    (tmp_path / "a.zone").write_text(HEAD + "a A 192.0.2.2\n (\nb A 192.0.2.3 )\n")
    (tmp_path / "b.zone").write_text(HEAD + "a A 192.0.2.2\n(\n TXT \"x\" )\n")
    for name in ("a.zone", "b.zone"):
        (rc, out), (brc, bout), (nrc, nout) = (ours(tmp_path, name), bind(tmp_path, name),
                                               nsd(tmp_path, name))
        assert brc == 1 and nrc != 0, (name, bout, nout)
        assert rc == 1, (name, out)


@pytest.mark.parametrize("key", ["AwEAAQ", "AwEAAQ="], ids=["no-padding", "short-padding"])
def test_base64_must_be_padded(tmp_path, key):
    """RFC 4648 section 4: base64 comes in groups of 4 characters, padded
    with '='; RFC 4034 2.2 uses it for the DNSKEY key. BIND ("bad base64
    encoding") and NSD ("invalid base64 data") both refuse `AwEAAQ` and
    `AwEAAQ=` (the right form is `AwEAAQ==`), and so does mxhost. Before
    the fix, mxhost accepted both."""
    (rc, out), (brc, bout), (nrc, nout) = all_three(tmp_path, "@ DNSKEY 256 3 8 %s\n" % key)
    assert brc == 1 and nrc != 0, bout + nout
    assert rc == 1, out


def test_name_server_below_a_dname_at_the_apex(tmp_path):
    """RFC 6672 section 2.3: "Resource records MUST NOT exist at any
    subdomain of the owner of a DNAME RR"; with a DNAME at the apex the
    whole zone below the apex is redirected, including the zone's own
    name server ns1.example.test. BIND refuses the zone ("NS
    'ns1.example.test' is below a DNAME 'example.test' (illegal)"), NSD
    too ("DNAME at example.test. has data below it"), and so does mxhost,
    which allows no data below a DNAME (docs/ZONEFILES.md). Before the
    fix, mxhost loaded the zone."""
    (rc, out), (brc, bout), (nrc, nout) = all_three(tmp_path, "@ DNAME example.org.\n")
    assert brc == 1 and "below a DNAME" in bout, bout
    assert nrc != 0 and "has data below it" in nout, nout
    assert rc == 1, out
