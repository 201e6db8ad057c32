"""mxhost configcheck: the daemon's own parser, with file:line errors."""
from conftest import run, REPO


def test_example_config_is_valid():
    r = run(["configcheck", "-c", REPO + "/examples/mxhost.conf"])
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""


def test_unknown_key_names_file_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[dns]\nlisten = 127.0.0.1:5300\nlisten_port = 53\n")
    r = run(["configcheck", "-c", str(conf)])
    assert r.returncode == 1
    assert "bad.conf:3: [dns] listen_port: unknown key" in r.stderr


def test_bad_listen_address(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[dns]\nlisten = 127.0.0.1\n")
    r = run(["configcheck", "-c", str(conf)])
    assert r.returncode == 1
    assert "bad.conf:2: [dns] listen: expected ADDRESS:PORT" in r.stderr


def test_missing_file(tmp_path):
    r = run(["configcheck", "-c", str(tmp_path / "nope.conf")])
    assert r.returncode == 1
    assert "No such file or directory" in r.stderr


def test_no_role(tmp_path):
    conf = tmp_path / "empty.conf"
    conf.write_text("; nothing\n")
    r = run(["configcheck", "-c", str(conf)])
    assert r.returncode == 1
    assert "no role enabled" in r.stderr


def test_unknown_section_without_keys(tmp_path):
    # inih never calls back for an empty section: the loader's own scan
    # must still refuse it (a typo like [smpt] would otherwise disable
    # the role without a word).
    conf = tmp_path / "bad.conf"
    conf.write_text("[dns]\nlisten = 127.0.0.1:5300\n\n[smpt]\n")
    r = run(["configcheck", "-c", str(conf)])
    assert r.returncode == 1
    assert "bad.conf:4: unknown section" in r.stderr


def test_serve_takes_c_after_d(tmp_path):
    # -c FILE may come after -d: the broken file's own error shows it was read.
    conf = tmp_path / "bad.conf"
    conf.write_text("[dns]\nlisten = 127.0.0.1:5300\nlisten_port = 53\n")
    r = run(["serve", "-d", "-c", str(conf)])
    assert r.returncode == 1
    assert "bad.conf:3: [dns] listen_port: unknown key" in r.stderr
