"""Differential test: BIND 9.18's nslookup and `mxhost nslookup`, same
arguments, same stdin, same servers, same resolv.conf; stdout, stderr and
the exit status must be identical, byte for byte.

Each case names its arguments with placeholders for the servers of
nslookup_env ({NSD}, {FRONT}, ...) and the port ({P}); -port={P} is added
unless the case sets a port itself. Both tools run at the same time, so
that the timeout cases cost their time once.
"""
import concurrent.futures
import os

import pytest

from nslookup_env import (CUT, DEAD, FRONT, NSD, NSLOOKUP, REFUSED, SERVFAIL, SILENT, TRUNC,
                          Env, has_ipv6_loopback, mxhost_has_nslookup)

pytestmark = pytest.mark.skipif(not os.path.exists(NSLOOKUP),
                                reason="BIND's nslookup (bind9-dnsutils) is not installed")

# resolv.conf variants; {P} is not used there (nslookup takes -port).
RC_NONE = "options ndots:1\n"
RC_NSD = "nameserver %s\n" % NSD
RC_FRONT = "nameserver %s\nsearch example.test\n" % FRONT
RC_SEARCH2 = "nameserver %s\nsearch nope.example.test example.test\n" % FRONT
RC_DEAD_NSD = "nameserver %s\nnameserver %s\n" % (DEAD, NSD)
RC_SILENT_NSD = "nameserver %s\nnameserver %s\n" % (SILENT, NSD)
RC_SERVFAIL_FRONT = "nameserver %s\nnameserver %s\n" % (SERVFAIL, FRONT)
RC_NSD_FRONT = "nameserver %s\nnameserver %s\n" % (NSD, FRONT)
RC_THREE_DEAD = "nameserver %s\nnameserver 127.0.0.10\nnameserver 127.0.0.11\n" % DEAD
RC_NO_SERVER = "search example.test\n"
RC_OPTIONS = ("nameserver %s\ndomain d.example.test\nsearch a.example.test example.test\n"
              "options ndots:2 timeout:3 attempts:4\n" % FRONT)
RC_DEAD_TRUNC = "nameserver %s\nnameserver %s\n" % (DEAD, TRUNC)
RC_TRUNC_SEARCH = "nameserver %s\nsearch nope.example.test example.test\n" % TRUNC
RC_DEAD_DEAD_NSD = "nameserver %s\nnameserver 127.0.0.10\nnameserver %s\n" % (DEAD, NSD)
# Options written out, glibc's defaults among them: BIND takes them as
# written (timeout 5 s over TCP too, 2 tries), not as "not set".
RC_OPT_DEFAULTS = "nameserver %s\noptions timeout:5 attempts:2 ndots:1\n" % NSD
RC_OPT_SILENT = "nameserver %s\noptions timeout:1 attempts:2\n" % SILENT
RC_OPT_SILENT_NSD = "nameserver %s\nnameserver %s\noptions timeout:1 attempts:2\n" % (SILENT, NSD)
RC_OPT_DEAD_NSD = "nameserver %s\nnameserver %s\noptions attempts:5\n" % (DEAD, NSD)
# Beyond glibc's limits (30 s, 5 tries, ndots 15), within libirs' (255).
RC_OPT_LARGE = "nameserver %s\noptions timeout:40 attempts:9 ndots:20\n" % NSD
RC_OPT_ZERO = "nameserver %s\noptions timeout:0 attempts:0 ndots:0\n" % NSD
RC_OPT_ODD = "nameserver %s\noptions timeout: attempts:-0 ndots:+2 rotate debug\n" % NSD


def rc_search(n, last="example.test"):
    """n-1 subdomains that do not exist, then last: found only if the
    search list keeps n names."""
    names = ["%s.example.test" % c for c in "abcdefghij"[:n - 1]] + [last]
    return "nameserver %s\nsearch %s\n" % (FRONT, " ".join(names))


# Files BIND's libirs refuses: both tools stop before anything else.
RC_MALFORMED = [
    ("rc-bad-timeout-range", "nameserver %s\noptions timeout:256\n" % NSD),
    ("rc-bad-ndots-text", "nameserver %s\noptions ndots:2x\n" % NSD),
    ("rc-bad-empty-options", "nameserver %s\noptions\n" % NSD),
    ("rc-bad-nameserver-junk", "nameserver %s junk\n" % NSD),
    ("rc-bad-nameserver-name", "nameserver ns.example.test\nnameserver %s\n" % NSD),
    ("rc-bad-nameserver-crlf", "nameserver %s\r\n" % NSD),
    ("rc-bad-domain-two", "nameserver %s\ndomain a.test b.test\n" % NSD),
    ("rc-bad-search-empty", "nameserver %s\nsearch \n" % NSD),
    ("rc-bad-sortlist", "nameserver %s\nsortlist 127.1\n" % NSD),
    ("rc-bad-sortlist-count", "nameserver %s\nsortlist %s\nsortlist 10.0.0.1 10.0.0.2\n"
     % (NSD, " ".join("10.0.1.%d" % i for i in range(9)))),
    ("rc-bad-fourth-junk", "nameserver %s\nnameserver %s\nnameserver %s\nnameserver x y\n"
     % (NSD, FRONT, SILENT)),
]

# (id, args, stdin or None, resolv.conf)
CASES = [
    # authoritative answers from NSD, each record type
    ("a-aaaa-default", "example.test {NSD}", None, RC_NONE),
    ("a-only", "-type=a example.test {NSD}", None, RC_NONE),
    ("aaaa-only", "-type=AAAA example.test {NSD}", None, RC_NONE),
    ("mx", "-type=mx example.test {NSD}", None, RC_NONE),
    ("mx-query", "-query=MX example.test {NSD}", None, RC_NONE),
    ("mx-querytype", "-querytype=mx example.test {NSD}", None, RC_NONE),
    ("mx-q", "-q=mx example.test {NSD}", None, RC_NONE),
    ("ns", "-type=ns example.test {NSD}", None, RC_NONE),
    ("soa", "-type=soa example.test {NSD}", None, RC_NONE),
    ("txt", "-type=txt example.test {NSD}", None, RC_NONE),
    ("cname", "-type=cname www.example.test {NSD}", None, RC_NONE),
    ("cname-followed", "www.example.test {NSD}", None, RC_NONE),
    ("cname-chain", "chain.example.test {NSD}", None, RC_NONE),
    ("cname-then-mx", "-type=mx alias.example.test {NSD}", None, RC_NONE),
    ("dangling-cname", "dangling.example.test {NSD}", None, RC_NONE),
    ("v4only", "v4only.example.test {NSD}", None, RC_NONE),
    ("v6only", "v6only.example.test {NSD}", None, RC_NONE),
    ("srv", "-type=srv srv.example.test {NSD}", None, RC_NONE),
    ("null-mx", "-type=mx nullmx.example.test {NSD}", None, RC_NONE),
    ("mixed-case", "-type=mx ExAmPlE.TeSt {NSD}", None, RC_NONE),
    ("trailing-dot", "-type=mx example.test. {NSD}", None, RC_NONE),
    ("class-ch", "-class=CH example.test {NSD}", None, RC_NONE),
    ("norecurse", "-norecurse -type=ns example.test {NSD}", None, RC_NONE),
    ("vc", "-vc -type=mx example.test {NSD}", None, RC_NONE),
    ("options-after-name", "example.test -type=mx {NSD}", None, RC_NONE),
    ("upper-case-option", "-TYPE=MX example.test {NSD}", None, RC_NONE),
    ("generic-type", "-type=TYPE15 example.test {NSD}", None, RC_NONE),
    ("any", "-type=any example.test {NSD}", None, RC_NONE),
    ("escaped-name", "weird\\.name.example.test {NSD}", None, RC_NONE),
    ("root-name", "-type=ns . {NSD}", None, RC_NONE),
    ("txt-bytes", "-type=txt utf8.example.test {NSD}", None, RC_NONE),
    # NXDOMAIN and no data
    ("nxdomain", "nonexist.example.test {NSD}", None, RC_NONE),
    ("nxdomain-mx", "-type=mx nonexist.example.test {NSD}", None, RC_NONE),
    ("nodata-default", "txtonly.example.test {NSD}", None, RC_NONE),
    ("nodata-mx", "-type=mx txtonly.example.test {NSD}", None, RC_NONE),
    ("nodata-aaaa", "-type=aaaa v4only.example.test {NSD}", None, RC_NONE),
    # referrals: NSD's own non-authoritative answers
    ("referral-a", "x.sub.example.test {NSD}", None, RC_NONE),
    ("referral-mx", "-type=mx x.sub.example.test {NSD}", None, RC_NONE),
    # PTR from an address
    ("ptr-v4", "192.0.2.1 {NSD}", None, RC_NONE),
    ("ptr-v4-nx", "192.0.2.99 {NSD}", None, RC_NONE),
    ("ptr-v4-nodata", "192.0.2.5 {NSD}", None, RC_NONE),
    ("ptr-v6", "2001:db8::1 {NSD}", None, RC_NONE),
    ("ptr-v6-nx", "2001:db8::2 {NSD}", None, RC_NONE),
    ("ptr-typed", "-type=ptr 10.2.0.192.in-addr.arpa {NSD}", None, RC_NONE),
    ("ptr-with-type-set", "-type=mx 192.0.2.10 {NSD}", None, RC_NONE),
    # debug
    ("debug-default", "-debug example.test {NSD}", None, RC_NONE),
    ("debug-mx", "-debug -type=mx example.test {NSD}", None, RC_NONE),
    ("debug-nxdomain", "-debug nonexist.example.test {NSD}", None, RC_NONE),
    ("debug-soa", "-debug -type=soa example.test {FRONT}", None, RC_NONE),
    # non-authoritative answers (a resolver's)
    ("nonauth-default", "example.test {FRONT}", None, RC_NONE),
    ("nonauth-mx", "-type=mx example.test {FRONT}", None, RC_NONE),
    ("nonauth-ns", "-type=ns example.test {FRONT}", None, RC_NONE),
    ("nonauth-txt", "-type=txt example.test {FRONT}", None, RC_NONE),
    ("nonauth-soa", "-type=soa example.test {FRONT}", None, RC_NONE),
    ("nonauth-cname", "www.example.test {FRONT}", None, RC_NONE),
    ("nonauth-nxdomain", "-type=mx nonexist.example.test {FRONT}", None, RC_NONE),
    ("nonauth-nodata-mx", "-type=mx txtonly.example.test {FRONT}", None, RC_NONE),
    ("nonauth-nodata-default", "txtonly.example.test {FRONT}", None, RC_NONE),
    ("nonauth-ptr", "192.0.2.10 {FRONT}", None, RC_NONE),
    # failures
    ("servfail", "-type=mx example.test {SERVFAIL}", None, RC_NONE),
    ("servfail-default", "example.test {SERVFAIL}", None, RC_NONE),
    ("refused", "example.test {REFUSED}", None, RC_NONE),
    # truncated over UDP: BIND says so, then asks again over TCP
    ("truncated-tcp", "-type=txt big.example.test {NSD}", None, RC_NONE),
    ("truncated-front", "-type=mx example.test {TRUNC}", None, RC_NONE),
    ("truncated-default", "example.test {TRUNC}", None, RC_NONE),
    ("truncated-debug", "-debug -type=mx example.test {TRUNC}", None, RC_NONE),
    ("truncated-nxdomain", "-type=mx nonexist.example.test {TRUNC}", None, RC_NONE),
    ("truncated-interactive", "- {TRUNC}",
     "set type=mx\nexample.test\nexample.test\nset vc\nexample.test\n", RC_NONE),
    # the TCP retry starts again at the first server, with the tries left
    ("rc-dead-then-trunc", "-type=mx example.test", None, RC_DEAD_TRUNC),
    ("rc-dead-then-trunc-retry1", "-retry=1 -type=mx example.test", None, RC_DEAD_TRUNC),
    ("rc-trunc-search", "mx1", None, RC_TRUNC_SEARCH),
    ("refused-port", "-type=mx example.test {DEAD}", None, RC_NONE),
    ("refused-port-retry1", "-retry=1 example.test {DEAD}", None, RC_NONE),
    ("timeout", "-timeout=1 -retry=1 -type=mx example.test {SILENT}", None, RC_NONE),
    ("timeout-retry2", "-timeout=1 -retry=2 example.test {SILENT}", None, RC_NONE),
    ("retry0", "-retry=0 -type=mx example.test {DEAD}", None, RC_NONE),
    ("vc-refused", "-vc -type=mx example.test {DEAD}", None, RC_NONE),
    ("vc-timeout", "-vc -timeout=1 -retry=1 -type=mx example.test {SILENT}", None, RC_NONE),
    ("rc-vc-refused-then-nsd", "-vc -type=mx example.test", None, RC_DEAD_NSD),
    ("rc-vc-refused-two", "-vc -type=mx example.test", None,
     RC_DEAD_DEAD_NSD.replace("nameserver %s\n" % NSD, "")),
    ("rc-vc-refused-retry1", "-vc -retry=1 -type=mx example.test", None, RC_DEAD_DEAD_NSD),
    ("rc-dead-then-nsd-default", "example.test", None, RC_DEAD_NSD),
    ("rc-dead-then-front-search", "mx1", None,
     RC_DEAD_NSD.replace(NSD, FRONT) + "search nope.example.test example.test\n"),
    # servers from resolv.conf: retries across them, RA and SERVFAIL rules
    ("rc-default-server", "-type=mx example.test", None, RC_NSD),
    ("rc-dead-then-nsd", "-type=mx example.test", None, RC_DEAD_NSD),
    ("rc-silent-then-nsd", "-timeout=1 -retry=1 -type=mx example.test", None,
     RC_SILENT_NSD),
    ("rc-servfail-then-front", "-type=mx example.test", None, RC_SERVFAIL_FRONT),
    ("rc-nsd-then-front", "example.test", None, RC_NSD_FRONT),
    ("rc-three-dead", "-retry=2 example.test", None, RC_THREE_DEAD),
    ("rc-no-server", "-type=mx example.test", None, RC_NO_SERVER),
    ("rc-norecurse", "-norecurse -type=mx example.test", None, RC_NSD_FRONT),
    ("rc-fail", "-fail -type=mx example.test", None, RC_SERVFAIL_FRONT),
    ("rc-interactive-dash", "-", "set type=mx\nexample.test\n", RC_NSD),
    # search list and ndots
    ("search-found", "mx1", None, RC_FRONT),
    ("search-nxdomain", "nosuchhost", None, RC_FRONT),
    ("search-nodata", "-type=txt mx1", None, RC_FRONT),
    ("search-second", "-type=mx mx1", None, RC_SEARCH2),
    ("search-debug", "-debug -type=a mx1", None, RC_SEARCH2),
    ("search-absolute", "mx1. {FRONT}", None, RC_FRONT),
    ("search-nosearch", "-nosearch mx1", None, RC_FRONT),
    ("search-ndots", "-ndots=3 -type=mx mx1.example.test", None, RC_SEARCH2),
    ("search-domain-opt", "-domain=example.test mx2", None, RC_NONE.replace(
        "options", "nameserver %s\noptions" % FRONT)),
    ("rc-options", "-type=mx mx1", None, RC_OPTIONS),
    # resolv.conf options as written, not glibc's view of them
    ("rc-opt-defaults-set-all", "", "set all\nset type=mx\nexample.test\n", RC_OPT_DEFAULTS),
    ("rc-opt-defaults-vc", "-vc -type=mx example.test", None, RC_OPT_DEFAULTS),
    ("rc-opt-try-count", "-type=mx example.test", None, RC_OPT_SILENT),
    ("rc-opt-try-count-next", "-type=mx example.test", None, RC_OPT_SILENT_NSD),
    ("rc-opt-vc-try-count", "-vc -type=mx example.test", None,
     RC_OPT_SILENT.replace("attempts:2", "attempts:1")),
    ("rc-opt-attempts5", "-type=mx example.test", None, RC_OPT_DEAD_NSD),
    ("rc-opt-large", "", "set all\n", RC_OPT_LARGE),
    ("rc-opt-zero", "", "set all\n", RC_OPT_ZERO),
    ("rc-opt-odd", "", "set all\n", RC_OPT_ODD),
    ("rc-opt-overridden", "-timeout=0 -retry=0 -ndots=0", "set all\n", RC_OPT_LARGE),
    ("rc-opt-ndots20", "-type=mx mx1.example.test", None,
     RC_OPT_LARGE.replace(NSD, FRONT) + "search nope.example.test\n"),
    # search lists: libirs keeps 8 names (glibc's classic limit was 6)
    ("rc-search7", "-type=mx mx1", None, rc_search(7)),
    ("rc-search8", "mx1", None, rc_search(8)),
    ("rc-search9", "mx1", None, rc_search(9)),
    ("rc-search10-set-all", "", "set all\n", rc_search(10)),
    ("rc-search-debug8", "-debug -type=a mx1", None, rc_search(8)),
    # what else libirs reads its own way
    ("rc-domain-then-search", "", "set all\n",
     "nameserver %s\ndomain d.test\nsearch a.test b.test\n" % NSD),
    ("rc-search-then-domain", "", "set all\n",
     "nameserver %s\nsearch a.test b.test\ndomain d.test\n" % NSD),
    ("rc-comments", "", "set all\n",
     "# c\n  nameserver %s # c\n\tsearch a.test ;b.test\nfoo bar\n; x\n" % NSD),
    ("rc-bare-keyword", "", "set all\n", "nameserver\n%s\nsearch\nexample.test\n" % NSD),
    ("rc-zero-address", "", "set all\n", "nameserver 0.0.0.0\nnameserver %s\n" % NSD),
    ("rc-fourth-bad-address", "", "set all\n",
     "nameserver %s\nnameserver %s\nnameserver %s\nnameserver bogus\n" % (NSD, FRONT, SILENT)),
    ("rc-crlf-search", "", "set all\n", "nameserver %s \r\nsearch a.test\r\n" % NSD),
    # server given as a name
    ("server-name", "-type=mx example.test nsd.test", None, RC_NONE),
    ("server-localhost", "example.test localhost", None, RC_NONE),
    # argument and name errors
    ("bad-option", "-foo example.test {NSD}", None, RC_NONE),
    ("bad-type", "-type=bogus example.test {NSD}", None, RC_NONE),
    ("bad-port", "-port=abc example.test {NSD}", None, RC_NONE),
    ("bad-port-range", "-port=70000 example.test {NSD}", None, RC_NONE),
    ("bad-timeout", "-timeout=x -type=ns example.test {NSD}", None, RC_NONE),
    ("bad-ndots", "-ndots=129 -type=ns example.test {NSD}", None, RC_NONE),
    ("extra-argument", "example.test {NSD} extra", None, RC_NONE),
    ("unknown-server", "example.test no-such-host.invalid", None, RC_NONE),
    ("illegal-name", "a..b {NSD}", None, RC_NONE),
    ("label-too-long", ("x" * 64) + ".example.test {NSD}", None, RC_NONE),
    ("name-too-long", ".".join(["y" * 60] * 5) + " {NSD}", None, RC_NONE),
    ("bad-escape", "a\\2b.example.test {NSD}", None, RC_NONE),
    ("escape-at-end", "a\\2 {NSD}", None, RC_NONE),
    # interactive
    ("i-basic", "- {NSD}",
     "example.test\nset type=mx\nexample.test\nnonexist.example.test\n"
     "set q=txt\ntxtonly.example.test\nset querytype=ns\nexample.test\nexit\n", RC_NONE),
    ("i-server-switch", "- {NSD}",
     "set type=mx\nexample.test\nserver {FRONT}\nexample.test\nlserver {NSD}\n"
     "example.test\nserver\nexit\n", RC_NONE),
    ("i-settings", "",
     "set all\nset debug\nset port=99\nset timeout=3\nset retry=4\nset ndots=2\n"
     "set type=soa\nset class=IN\nset vc\nset norecurse\nset nosearch\nset all\n"
     "set nodebug\nset novc\nset recurse\nset search\nset all\nexit\n", RC_FRONT),
    ("i-commands", "- {NSD}",
     "help\n?\nls example.test\nview x\nfinger\nroot\nset foo\nset type=bogus\n"
     "set deb\nset al\nset\n\n   \n192.0.2.1\nexit\nexample.test\n", RC_NONE),
    ("i-eof", "- {NSD}", "set type=mx\nexample.test", RC_NONE),
    ("i-default-server", "", "set type=mx\nexample.test\nmx1\n", RC_FRONT),
    ("i-no-lookup", "", "exit\n", RC_NSD),
    ("i-debug", "- {FRONT}",
     "set debug\nset type=mx\nexample.test\nnonexist.example.test\nexit\n", RC_NONE),
    ("i-ptr-and-errors", "- {NSD}",
     "192.0.2.99\nset type=a\n192.0.2.1\n2001:db8::1\nv6only.example.test\nexit\n",
     RC_NONE),
    ("i-bad-server", "- {NSD}", "server no-such-host.invalid\nexample.test\n", RC_NONE),
    ("i-timeout-then-ok", "- {SILENT}",
     "set timeout=1\nset retry=1\nexample.test\nserver {NSD}\nexample.test\n", RC_NONE),
    ("i-options-on-command-line", "-type=mx -debug - {FRONT}",
     "example.test\nset nodebug\nexample.test\n", RC_NONE),
    ("i-type-only", "-type=mx", "example.test\n", RC_FRONT),
    ("i-crlf", "- {NSD}", "set type=mx\r\nexample.test\r\nexit\r\n", RC_NONE),
    ("i-vc-and-search", "- {FRONT}",
     "set vc\nset type=mx\nmx1\nset novc\nset ndots=2\nmx1.example\nset nosearch\n"
     "mx1\nexit\n", RC_SEARCH2),
    ("i-domain", "- {FRONT}", "set domain=example.test\nmx2\nset all\n", RC_NONE),
]
CASES += [(name, "-type=mx example.test {NSD}", None, rc) for name, rc in RC_MALFORMED]
CASES += [("rc-bad-version", "-version", None, RC_MALFORMED[0][1]),
          ("rc-bad-interactive", "", "set all\n", RC_MALFORMED[2][1])]

if has_ipv6_loopback():
    CASES += [
        ("ipv6-server", "-type=mx example.test ::1", None, RC_NONE),
        ("i-ipv6-server", "- {NSD}", "server ::1\nexample.test\n", RC_NONE),
        # A link-local server with its scope, as router advertisements
        # put in resolv.conf: nothing routes to fe80::1 on lo, so the
        # query cannot even be sent ("UDP setup ... failed").
        ("rc-scoped-set-all", "", "set all\n", "nameserver fe80::1%lo\n"),
        ("rc-scoped-unreachable", "-type=mx example.test", None,
         "nameserver fe80::1%%lo\nnameserver %s\n" % NSD),
        ("rc-scoped-unreachable-vc", "-vc -retry=1 -type=mx example.test", None,
         "nameserver fe80::1%%lo\nnameserver %s\n" % NSD),
        ("scoped-server", "-retry=2 example.test fe80::1%lo", None, RC_NONE),
        ("i-scoped-server", "- {NSD}", "server fe80::1%lo\nset retry=1\nexample.test\n",
         RC_NONE),
    ]



def expand(text, env):
    return text.format(NSD=NSD, FRONT=FRONT, SILENT=SILENT, SERVFAIL=SERVFAIL,
                       TRUNC=TRUNC, REFUSED=REFUSED, CUT=CUT, DEAD=DEAD, P=env.port)


@pytest.fixture(scope="module")
def env():
    assert mxhost_has_nslookup(), "mxhost has no nslookup command"
    e = Env().start()
    yield e
    e.stop()


def case_id(c):
    return c.values[0][0] if hasattr(c, "values") else c[0]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_same_as_bind(env, case):
    name, args, stdin, resolv = case
    if env.ns is None:
        pytest.skip("no private mount namespace (unshare -m): resolv.conf is not ours")
    argv = expand(args, env).split()
    if not any(a.startswith("-port=") for a in argv):
        argv.insert(0, "-port=%d" % env.port)
    stdin = expand(stdin, env) if stdin is not None else None
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        fb = pool.submit(env.run, "bind", argv, stdin, resolv)
        fm = pool.submit(env.run, "mxhost", argv, stdin, resolv)
        bind, mx = fb.result(), fm.result()
    assert (mx.stdout, mx.stderr, mx.rc) == (bind.stdout, bind.stderr, bind.rc), (
        "\n=== bind nslookup %s\n%r\n=== mxhost nslookup\n%r" % (" ".join(argv), bind, mx))


# An answer cut short in a record: ";; Got bad packet" and BIND's hex dump
# of it, whose first two bytes are the query ID each tool drew at random.
BAD_PACKET_CASES = [
    ("bad-packet", "-type=mx example.test {CUT}", None, RC_NONE),
    ("bad-packet-debug", "-debug -type=mx example.test {CUT}", None, RC_NONE),
    ("bad-packet-default", "example.test {CUT}", None, RC_NONE),
    ("rc-bad-packet-then-nsd", "-type=mx example.test", None,
     "nameserver %s\nnameserver %s\n" % (CUT, NSD)),
    ("i-bad-packet", "- {CUT}", "set type=mx\nexample.test\nserver {NSD}\nexample.test\n",
     RC_NONE),
]


def mask_ids(text):
    """The ID in each dump's first line: its two hex bytes and their two
    characters in the printable column (57 columns on)."""
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if lines[i - 1].endswith(" bytes") and len(lines[i]) >= 59:
            lines[i] = "XX XX" + lines[i][5:57] + ".." + lines[i][59:]
    return "\n".join(lines)


@pytest.mark.parametrize("case", BAD_PACKET_CASES, ids=[c[0] for c in BAD_PACKET_CASES])
def test_bad_packet_same_as_bind(env, case):
    name, args, stdin, resolv = case
    if env.ns is None:
        pytest.skip("no private mount namespace (unshare -m): resolv.conf is not ours")
    argv = ["-port=%d" % env.port] + expand(args, env).split()
    stdin = expand(stdin, env) if stdin is not None else None
    bind = env.run("bind", argv, stdin, resolv)
    mx = env.run("mxhost", argv, stdin, resolv)
    assert ";; Got bad packet: unexpected end of input\n" in bind.stdout, bind
    assert (mask_ids(mx.stdout), mx.stderr, mx.rc) == (mask_ids(bind.stdout), bind.stderr,
                                                       bind.rc), (
        "\n=== bind nslookup %s\n%r\n=== mxhost nslookup\n%r" % (" ".join(argv), bind, mx))


def test_cases_cover_every_kind(env):
    """The list above keeps its promise: every record type, both modes,
    and each failure class appear, and BIND itself says what we expect
    for the key ones (so a server that broke would not pass unseen)."""
    ids = {case_id(c) for c in CASES}
    for needed in ("a-aaaa-default", "aaaa-only", "mx", "ns", "cname", "txt", "soa", "ptr-v4",
                   "nonauth-mx", "nxdomain", "nodata-mx", "timeout", "refused-port",
                   "i-basic", "truncated-tcp", "servfail", "rc-opt-defaults-set-all",
                   "rc-opt-try-count", "rc-search8", "rc-search9", "rc-bad-timeout-range"):
        assert needed in ids
    r = env.run("bind", ["-port=%d" % env.port, "-type=mx", "example.test", TRUNC],
                resolv=RC_NONE)
    assert r.stdout.startswith(";; Truncated, retrying in TCP mode.\n"), r
    assert "mail exchanger = 0 mx1.example.test." in r.stdout, r
    r = env.run("bind", ["-port=%d" % env.port], "set all\n", resolv=RC_OPT_DEFAULTS)
    assert "  timeout = 5\t\tretry = 2\t" in r.stdout, r
    r = env.run("bind", ["-port=%d" % env.port, "-type=mx", "example.test"],
                resolv=RC_OPT_SILENT)
    assert r.stdout.count("timed out") == 2, r
    r = env.run("bind", ["-port=%d" % env.port, "mx1"], resolv=rc_search(8))
    assert "Address: 192.0.2.10\n" in r.stdout, r
    r = env.run("bind", ["-port=%d" % env.port, "mx1"], resolv=rc_search(9))
    assert "Address: 192.0.2.10\n" not in r.stdout, r
    r = env.run("bind", ["-port=%d" % env.port, "example.test", NSD],
                resolv=RC_MALFORMED[0][1])
    assert (r.stdout, r.stderr) == ("", "nslookup: parse of /etc/resolv.conf failed\n"), r
    r = env.run("bind", ["-port=%d" % env.port, "-type=mx", "example.test", NSD],
                resolv=RC_NONE)
    assert "example.test\tmail exchanger = 0 mx1.example.test.\n" in r.stdout, r
    r = env.run("bind", ["-port=%d" % env.port, "-type=mx", "example.test", FRONT],
                resolv=RC_NONE)
    assert "Non-authoritative answer:\n" in r.stdout, r
    assert "mx1.example.test\tinternet address = 192.0.2.10\n" in r.stdout, r
    r = env.run("bind", ["-port=%d" % env.port, "-timeout=1", "-retry=1", "example.test",
                         SILENT], resolv=RC_NONE)
    assert r.rc == 1 and "timed out" in r.stdout, r


SWEEP_NAMES = ["example.test", "www.example.test", "chain.example.test", "mx1", "mx2.example",
               "txtonly", "nonexist", "nonexist.example.test", "v6only.example.test",
               "x.sub.example.test", "dangling.example.test", "nullmx.example.test",
               "srv.example.test", "utf8.example.test", "192.0.2.1", "192.0.2.99",
               "2001:db8::1", "EXAMPLE.TEST.", "1.2.0.192.in-addr.arpa", "*.example.test"]
SWEEP_TYPES = [None, "a", "aaaa", "mx", "ns", "cname", "txt", "soa", "ptr", "srv", "TYPE99"]
SWEEP_RC = [RC_NONE, RC_FRONT, RC_NSD_FRONT.replace("\n", "\nsearch nope.example.test "
                                                    "example.test\noptions ndots:2\n", 1),
            RC_SERVFAIL_FRONT, RC_NO_SERVER, RC_DEAD_TRUNC, RC_OPT_DEFAULTS, rc_search(8)]
SWEEP_OPTS = ["-debug", "-norecurse", "-vc", "-nosearch", "-fail", "-retry=1", "-ndots=3"]


def sweep_case(rnd, env):
    """One random combination of options, names, servers and commands."""
    args = ["-port=%d" % env.port] + rnd.sample(SWEEP_OPTS, rnd.randint(0, 2))
    t = rnd.choice(SWEEP_TYPES)
    if t:
        args.append("-type=" + t)
    servers = [NSD, FRONT, SERVFAIL, REFUSED, DEAD, TRUNC, None]
    stdin = None
    if rnd.random() < 0.3:
        srv = rnd.choice(servers)
        args += ["-"] + ([srv] if srv else [])
        lines = []
        for _ in range(rnd.randint(1, 5)):
            r = rnd.random()
            if r < 0.2:
                lines.append("set type=" + rnd.choice([x for x in SWEEP_TYPES if x]))
            elif r < 0.3:
                lines.append("set " + rnd.choice(["debug", "nodebug", "vc", "novc", "nosearch",
                                                   "ndots=2", "retry=1"]))
            elif r < 0.4:
                lines.append("server " + rnd.choice([NSD, FRONT, SERVFAIL, TRUNC]))
            else:
                lines.append(rnd.choice(SWEEP_NAMES))
        stdin = "\n".join(lines) + "\n"
    else:
        args.append(rnd.choice(SWEEP_NAMES))
        srv = rnd.choice(servers)
        if srv:
            args.append(srv)
    return args, stdin, rnd.choice(SWEEP_RC)


def test_random_sweep(env):
    """A seeded sweep over combinations the list above does not spell out;
    the same 40 every run."""
    import random
    rnd = random.Random(20241126)
    cases = [sweep_case(rnd, env) for _ in range(40)]

    def both(c):
        args, stdin, resolv = c
        return c, env.run("bind", args, stdin, resolv), env.run("mxhost", args, stdin, resolv)

    diffs = []
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for (args, stdin, resolv), bind, mx in pool.map(both, cases):
            if (mx.stdout, mx.stderr, mx.rc) != (bind.stdout, bind.stderr, bind.rc):
                diffs.append("args %s stdin %r resolv %r\n=== bind\n%r\n=== mxhost\n%r"
                             % (args, stdin, resolv, bind, mx))
    assert not diffs, "\n\n".join(diffs[:3])
