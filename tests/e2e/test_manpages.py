"""The man pages (man/mxhost.8, man/mxhost.conf.5) against the code.

- Both pages render with groff's man macros without a single warning.
- mxhost.conf.5 documents every (section, key) of the key table in
  src/core/config.c, and no other, each with the value type of its kind,
  the range of a number key, and the default that defaults() sets.
- mxhost.8 has a subsection for every command src/cli/main.c dispatches
  (and `mxhost help` lists), and each subsection names every option its
  source file parses; the SIGNALS section names every signal serve handles.

The facts are read from the C sources, so a key, command or option added
to the code without the pages fails here.
"""
import os
import re
import shutil
import subprocess

import pytest

from conftest import REPO, run

MAN8 = os.path.join(REPO, "man", "mxhost.8")
MAN5 = os.path.join(REPO, "man", "mxhost.conf.5")
CLI = os.path.join(REPO, "src", "cli")


def read(*parts):
    with open(os.path.join(REPO, *parts)) as f:
        return f.read()


def plain(roff):
    """roff text without font changes and the escapes the pages use, with
    white space runs made one space."""
    s = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", roff)
    for esc, rep in (("\\-", "-"), ("\\&", ""), ("\\%", ""), ("\\|", ""),
                     ("\\ ", " "), ("\\e", "\\")):
        s = s.replace(esc, rep)
    return re.sub(r"\s+", " ", s).strip()


def sections(roff, macro):
    """{heading: body} for each `.SH`/`.SS` heading (macro) of roff; a body
    runs to the next heading of the same or a higher level."""
    stop = r"\.SH" if macro == ".SH" else r"\.S[HS]"
    out = {}
    for m in re.finditer(r"^%s\s+(.*)$" % re.escape(macro), roff, re.M):
        rest = roff[m.end():]
        end = re.search(r"^%s\b" % stop, rest, re.M)
        out[m.group(1).strip().strip('"')] = rest[:end.start() if end else len(rest)]
    return out


def entries(body):
    """[(tag, text)] of the .TP paragraphs in body, as plain text."""
    parts = re.split(r"^\.TP\b.*\n", body, flags=re.M)[1:]
    out = []
    for p in parts:
        tag, _, text = p.partition("\n")
        text = re.split(r"^\.(?:PP|SS|SH|RS)\b", text, flags=re.M)[0]
        text = re.sub(r"^\.\w+\s?", "", text, flags=re.M)  # macro names
        out.append((plain(tag), plain(text.replace('"', ""))))
    return out


# ---- rendering ----

@pytest.mark.parametrize("device", ["ps", "utf8"])
@pytest.mark.parametrize("page", [MAN8, MAN5], ids=os.path.basename)
def test_page_renders_without_warnings(page, device):
    groff = shutil.which("groff")
    assert groff, "groff is missing (Debian: groff-base; `make deps` installs it)"
    r = subprocess.run([groff, "-man", "-ww", "-z", "-T" + device, page],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr


# ---- mxhost.conf.5 against src/core/config.c ----

ROW = re.compile(r'\{"(\w+)",\s*"(\w+)",\s*(K_\w+),\s*(?:DNS|SMTP)\((\w+)\),'
                 r'\s*[^,]+,\s*(\d+),\s*(\d+)\}')

# The placeholder each kind of key shows after "key =" in its .TP tag.
TYPE_WORD = {
    "K_STRING": "name", "K_PATH": "path", "K_DURATION": "duration",
    "K_SIZE": "size", "K_UINT": "number", "K_LISTEN": "address",
    "K_ZONE": "name path", "K_CIDRS": "list", "K_SERVERS": "list",
    "K_FAMILIES": "list",
}
NUMERIC = ("K_UINT", "K_DURATION", "K_SIZE")


def key_table():
    src = read("src", "core", "config.c")
    table = re.search(r"static const struct key keys\[\] = \{(.*?)\n\};", src, re.S).group(1)
    rows = [l for l in table.splitlines() if l.strip().startswith('{"')]
    keys = [m.groups() for m in map(ROW.search, rows) if m]
    assert len(keys) == len(rows) and keys, "the key table's rows changed shape"
    return keys  # (section, name, type, field, min, max)


def code_defaults():
    """{(section, field): value} for what defaults() sets to a number."""
    src = read("src", "core", "config.c")
    body = re.search(r"static void defaults\(struct config \*cfg\)\n\{(.*?)\n\}", src, re.S).group(1)
    out = {}
    for sec, field, expr in re.findall(r"cfg->(\w+)\.(\w+) = ([0-9 *+]+);", body):
        out[(sec, field)] = eval(expr, {"__builtins__": {}})
    return out


def parse_duration(s):
    total = n = 0
    for c in s.lower():
        if c.isdigit():
            n = n * 10 + int(c)
        else:
            total += n * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[c]
            n = 0
    return total + n


def parse_size(s):
    m = re.fullmatch(r"(\d+)([kmg]?)b?", s.lower())
    return int(m.group(1)) * {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[m.group(2)]


def documented_keys():
    """{section: {key: (type words, text)}} from mxhost.conf.5."""
    out = {}
    for heading, body in sections(read("man", "mxhost.conf.5"), ".SH").items():
        m = re.fullmatch(r"\[(\w+)\] SECTION", heading)
        if not m:
            continue
        keys = out.setdefault(m.group(1), {})
        for tag, text in entries(body):
            name, eq, typ = tag.partition(" = ")
            assert eq, "entry %r in [%s] is not 'key = type'" % (tag, m.group(1))
            assert name not in keys, "[%s] %s documented twice" % (m.group(1), name)
            keys[name] = (typ, text)
    return out


def test_every_key_is_documented():
    doc = documented_keys()
    code = {}
    for sec, name, *_ in key_table():
        code.setdefault(sec, set()).add(name)
    for sec, names in code.items():
        assert sec in doc, 'mxhost.conf.5 has no .SH "[%s] SECTION"' % sec
        missing = names - set(doc[sec])
        assert not missing, "[%s] keys not in mxhost.conf.5: %s" % (sec, sorted(missing))
    for sec, keys in doc.items():
        extra = set(keys) - code.get(sec, set())
        assert not extra, "[%s] keys in mxhost.conf.5 but not in config.c: %s" % (sec, sorted(extra))


def test_key_types_ranges_and_defaults():
    doc = documented_keys()
    defaults = code_defaults()
    for sec, name, typ, field, lo, hi in key_table():
        where = "[%s] %s" % (sec, name)
        assert name in doc.get(sec, {}), where + ": not in mxhost.conf.5"
        words, text = doc[sec][name]
        assert words == TYPE_WORD[typ], "%s: shown as '%s', the code reads a %s" % (
            where, words, TYPE_WORD[typ])
        if typ == "K_UINT":
            assert "from %s to %s" % (lo, hi) in text, "%s: range %s to %s not stated" % (
                where, lo, hi)
        m = re.search(r"Default: (\S+?)\.?(?: |$)", text)
        assert m, "%s: no 'Default:'" % where
        if typ in NUMERIC:
            value = {"K_UINT": int, "K_DURATION": parse_duration,
                     "K_SIZE": parse_size}[typ](m.group(1))
            want = defaults.get((sec, field), 0)
            assert value == want, "%s: the page says %s, defaults() sets %d" % (
                where, m.group(1), want)


def test_default_config_path():
    path = re.search(r'#define CONFIG_DEFAULT_PATH "([^"]+)"',
                     read("src", "core", "config.h")).group(1)
    for page in (MAN8, MAN5):
        with open(page) as f:
            assert path in f.read(), "%s does not name %s" % (page, path)


# ---- mxhost.8 against src/cli ----

def dispatched():
    """The commands main.c runs: its table, and the words it compares
    argv[1] with (version, help)."""
    src = read("src", "cli", "main.c")
    table = re.findall(r'\{"(\w+)", (cmd_\w+),', src)
    words = [w for w in re.findall(r'strcmp\(argv\[1\], "([a-z]\w*)"\)', src)]
    assert table and words
    return dict(table), words


def subsections():
    return sections(read("man", "mxhost.8"), ".SS")


def test_every_command_has_a_subsection():
    table, words = dispatched()
    have = subsections()
    for cmd in list(table) + words:
        assert cmd in have, "mxhost.8 has no .SS %s" % cmd
        assert re.search(r"^\.B mxhost %s\b" % cmd, read("man", "mxhost.8"), re.M), \
            "mxhost.8's SYNOPSIS lacks mxhost %s" % cmd


def test_help_output_matches_the_page():
    r = run(["help"])
    assert r.returncode == 0, r.stderr
    listed = re.findall(r"^  mxhost (\w+)", r.stdout, re.M)
    assert listed
    have = subsections()
    for cmd in listed:
        assert cmd in have, "`mxhost help` lists %s, mxhost.8 has no .SS %s" % (cmd, cmd)


def source_of(func):
    """The text of the src/cli file that defines func."""
    for name in sorted(os.listdir(CLI)):
        if name.endswith(".c"):
            text = read("src", "cli", name)
            if re.search(r"^int %s\(" % func, text, re.M):
                return text
    raise AssertionError("no src/cli file defines " + func)


def options_of(src):
    """The dash options a subcommand's source parses."""
    opts = set(re.findall(r'strcmp\(argv\[\w+\], "(-\w)"\)', src))
    for spec in re.findall(r'getopt\(argc, argv, "([^"]+)"\)', src):
        opts |= {"-" + c for c in spec if c != ":"}
    if "cli_config_path(" in src:
        opts.add("-c")
    return opts


def test_every_option_is_documented():
    table, _ = dispatched()
    subs = subsections()
    for cmd, func in table.items():
        assert cmd in subs, "mxhost.8 has no .SS %s" % cmd
        body = subs[cmd]
        for opt in sorted(options_of(source_of(func))):
            assert re.search(re.escape("\\" + opt) + r"\b", body), \
                "mxhost.8: the %s subsection does not document %s" % (cmd, opt)


def test_queue_actions_are_documented():
    body = plain(subsections().get("queue", ""))
    for action in re.findall(r'strcmp\(action, "(\w+)"\)', read("src", "cli", "queue.c")):
        assert re.search(r"\b%s\b" % action, body), "mxhost.8: queue %s" % action


def test_nslookup_options_and_commands_are_documented():
    body = plain(subsections().get("nslookup", ""))
    opts = read("src", "cli", "nslookup_opts.c")
    names = re.findall(r'word\(opt, "(\w+)"', opts)
    values = re.findall(r'"(\w+=)"', opts)
    assert names and values
    for n in names:
        assert re.search(r"(?<![\w-])%s\b" % n, body), "mxhost.8: nslookup option %s" % n
    for v in values:
        assert re.search(r"(?<![\w-])%s" % v, body), "mxhost.8: nslookup option %s" % v
    main = read("src", "cli", "nslookup.c")
    for c in re.findall(r'strn?casecmp\(cmd, "(\w+)"', main):
        assert re.search(r"\b%s\b" % c, body), "mxhost.8: nslookup command %s" % c
    for o in re.findall(r'strncasecmp\(argv\[i\], "(-\w+)"', main):
        assert o in body, "mxhost.8: nslookup %s" % o


def test_signals_are_documented():
    sig = sections(read("man", "mxhost.8"), ".SH").get("SIGNALS", "")
    for s in re.findall(r"evsignal_new\(\w+\.base, (SIG\w+)", read("src", "cli", "serve.c")):
        assert re.search(r"\b%s\b" % s, sig), "mxhost.8 SIGNALS lacks " + s
