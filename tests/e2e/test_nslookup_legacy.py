"""mxhost nslookup -legacy: the classic format (docs/NSLOOKUP.md), against
NSD and the fronts of nslookup_env. BIND 9.18 has no such mode, so these
are exact expected texts rather than a comparison."""
import pytest

from nslookup_env import DEAD, FRONT, NSD, SILENT, Env, mxhost_has_nslookup

RC = "options ndots:1\n"


@pytest.fixture(scope="module")
def env():
    assert mxhost_has_nslookup(), "mxhost has no nslookup command"
    e = Env().start()
    yield e
    e.stop()


def run(env, args, stdin=None):
    return env.run("mxhost", ["-port=%d" % env.port] + args, stdin=stdin, resolv=RC)


def head(env, server, title="Server:"):
    return "%-7s  %s\nAddress:  %s#%d\n\n" % (title, server, server, env.port)


ADDITIONAL = ("example.test\tnameserver = ns1.example.test\n"
              "example.test\tnameserver = ns2.example.test\n"
              "mx1.example.test\tinternet address = 192.0.2.10\n"
              "mx2.example.test\tinternet address = 192.0.2.11\n"
              "ns1.example.test\tinternet address = 127.0.0.1\n"
              "ns2.example.test\tinternet address = 127.0.0.2\n"
              "mx1.example.test\tIPv6 address = 2001:db8::10\n"
              "ns2.example.test\tIPv6 address = ::1\n")

MX = ("example.test\tpreference = 0, mail exchanger = mx1.example.test\n"
      "example.test\tpreference = 10, mail exchanger = mx2.example.test\n")


def test_mx_shows_exchangers_and_their_addresses(env):
    r = run(env, ["-legacy", "-type=mx", "example.test", NSD])
    assert r.rc == 0, r
    assert r.stdout == head(env, NSD) + MX + ADDITIONAL + "\n\n", r


def test_non_authoritative_mx(env):
    r = run(env, ["-legacy", "-query=mx", "example.test", FRONT])
    assert r.rc == 0, r
    assert r.stdout == (head(env, FRONT) + "Non-authoritative answer:\n" + MX +
                        "\nAuthoritative answers can be found from:\n" + ADDITIONAL +
                        "\n\n"), r


def test_host_lookup_with_alias(env):
    r = run(env, ["-legacy", "www.example.test", NSD])
    assert r.rc == 0, r
    assert r.stdout == (head(env, NSD) + "Name:    example.test\n"
                        "Addresses:  192.0.2.1, 2001:db8::1\n"
                        "Aliases:  www.example.test\n\n\n"), r


def test_soa_with_times_in_words(env):
    r = run(env, ["-legacy", "-type=soa", "example.test", NSD])
    assert r.rc == 0, r
    assert r.stdout.startswith(
        head(env, NSD) + "example.test\n"
        "\torigin = ns1.example.test\n"
        "\tmail addr = hostmaster.example.test\n"
        "\tserial = 2024010101\n"
        "\trefresh = 7200 (2 hours)\n"
        "\tretry   = 3600 (1 hour)\n"
        "\texpire  = 1209600 (14 days)\n"
        "\tminimum ttl = 300 (5 mins)\n"), r


def test_reverse_lookup_by_address(env):
    r = run(env, ["-legacy", "192.0.2.10", NSD])
    assert r.rc == 0, r
    assert r.stdout == head(env, NSD) + "Name:    mx1.example.test\nAddress:  192.0.2.10\n\n\n", r


def test_errors(env):
    r = run(env, ["-legacy", "nonexist.example.test", NSD])
    assert r.rc == 1, r
    assert r.stdout == (head(env, NSD) + "*** 127.0.0.1 can't find nonexist.example.test: "
                        "Non-existent host/domain\n\n"), r
    r = run(env, ["-legacy", "-type=mx", "txtonly.example.test", NSD])
    assert r.rc == 0, r
    assert r.stdout == (head(env, NSD) + "*** 127.0.0.1 can't find txtonly.example.test: "
                        "No information\n\n"), r
    r = run(env, ["-legacy", "-timeout=1", "-retry=1", "example.test", SILENT])
    assert (r.rc, r.stdout) == (1, "*** Request to 127.0.0.3 timed-out\n\n"), r
    r = run(env, ["-legacy", "example.test", DEAD])
    assert (r.rc, r.stdout) == (1, "*** 127.0.0.9 can't find example.test: "
                                   "No response from server\n\n"), r


def test_interactive_banner_and_set_legacy(env):
    r = run(env, ["-", NSD], stdin="set legacy\nset type=mx\nexample.test\n"
            "set nolegacy\nexample.test\n")
    assert r.rc == 0, r
    assert r.stdout == (head(env, NSD) + MX + ADDITIONAL + "\n" +
                        "Server:\t\t127.0.0.1\nAddress:\t127.0.0.1#%d\n\n" % env.port +
                        "example.test\tmail exchanger = 0 mx1.example.test.\n"
                        "example.test\tmail exchanger = 10 mx2.example.test.\n\n"), r
    r = run(env, ["-legacy", "-", NSD], stdin="server localhost\nexit\n")
    assert r.stdout == (head(env, NSD, "Default Server:") +
                        "Default Server:  localhost\nAddress:  127.0.0.1#%d\n\n\n" % env.port), r
