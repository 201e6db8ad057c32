"""A small DNS front for tests: relays queries to an upstream server (NSD)
and changes what the answer says, to produce the answers an authoritative
server does not give on its own: non-authoritative answers with recursion
available (as from a recursive resolver), SERVFAIL or REFUSED, answers
truncated over UDP (the client must retry over TCP), cut short in the
middle of a record (malformed), or silence.

The answer's bytes are the upstream's, with header bits changed in place,
so both clients under comparison see exactly the same packet.

Use in tests:  front = DnsFront(("127.0.0.1", port), upstream, aa=False,
ra=True).start() ... front.stop()
Standalone:    python3 dnsfront.py LISTEN_ADDR PORT UP_ADDR UP_PORT [opts]
"""
import socket
import struct
import threading

import dns.flags
import dns.message
import dns.rcode


class DnsFront:
    def __init__(self, listen, upstream, aa=None, ra=None, rcode=None,
                 truncate_udp=False, silent=False, tcp=True, cut_udp=0):
        """listen, upstream: (addr, port). aa/ra: None keeps the bit,
        True sets it, False clears it. rcode: answer every query with this
        rcode and no records. truncate_udp: answer UDP with TC and the
        question alone. cut_udp: answer UDP with the upstream's answer,
        TC set and its last cut_udp bytes cut off. silent: read queries and
        never answer."""
        self.listen = listen
        self.upstream = upstream
        self.aa, self.ra, self.rcode = aa, ra, rcode
        self.truncate_udp = truncate_udp
        self.cut_udp = cut_udp
        self.silent = silent
        self.queries = []  # (transport, qname, qtype) received
        self._stop = False
        family = socket.AF_INET6 if ":" in listen[0] else socket.AF_INET
        self.udp = socket.socket(family, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.bind(listen)
        self.udp.settimeout(0.2)
        self.tcp = None
        if tcp:
            self.tcp = socket.socket(family, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.tcp.bind(listen)
            self.tcp.listen(16)
            self.tcp.settimeout(0.2)
        self.threads = []

    def start(self):
        for fn in (self._serve_udp, self._serve_tcp):
            if fn == self._serve_tcp and self.tcp is None:
                continue
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self):
        self._stop = True
        for t in self.threads:
            t.join(timeout=2)
        self.udp.close()
        if self.tcp:
            self.tcp.close()

    def _note(self, transport, query):
        try:
            m = dns.message.from_wire(query)
            q = m.question[0]
            self.queries.append((transport, q.name.to_text(), q.rdtype))
        except Exception:  # a test may send junk; record it as such
            self.queries.append((transport, None, None))

    def _relay(self, query, transport):
        family = socket.AF_INET6 if ":" in self.upstream[0] else socket.AF_INET
        if transport == "udp":
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.settimeout(2)
                s.sendto(query, self.upstream)
                return s.recv(65535)
        with socket.create_connection(self.upstream, timeout=2) as s:
            s.sendall(struct.pack("!H", len(query)) + query)
            return _read_tcp_msg(s)

    def answer(self, query, transport):
        """The answer bytes for a query, or None to stay silent."""
        if self.silent or len(query) < 12:
            return None
        if self.rcode is not None or (self.truncate_udp and transport == "udp"):
            # Header and question only: count the question's bytes.
            m = dns.message.from_wire(query)
            r = dns.message.make_response(m)
            if self.rcode is not None:
                r.set_rcode(self.rcode)
            r.flags &= ~dns.flags.AA
            if self.truncate_udp and transport == "udp" and self.rcode is None:
                r.flags |= dns.flags.TC
            wire = bytearray(r.to_wire())
        else:
            wire = bytearray(self._relay(query, transport))
            if self.cut_udp and transport == "udp":
                wire[2] |= 0x02  # TC
                wire = wire[:max(12, len(wire) - self.cut_udp)]
        flags = struct.unpack("!H", wire[2:4])[0]
        for bit, want in ((0x0400, self.aa), (0x0080, self.ra)):
            if want is True:
                flags |= bit
            elif want is False:
                flags &= ~bit
        wire[2:4] = struct.pack("!H", flags)
        return bytes(wire)

    def _serve_udp(self):
        while not self._stop:
            try:
                query, peer = self.udp.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self._note("udp", query)
            try:
                out = self.answer(query, "udp")
            except Exception:
                out = None
            if out is not None:
                self.udp.sendto(out, peer)

    def _serve_tcp(self):
        while not self._stop:
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    while True:
                        query = _read_tcp_msg(conn)
                        if query is None:
                            break
                        self._note("tcp", query)
                        out = self.answer(query, "tcp")
                        if out is None:
                            break
                        conn.sendall(struct.pack("!H", len(out)) + out)
                except (OSError, ValueError):
                    pass


def _read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _read_tcp_msg(s):
    head = _read_exact(s, 2)
    if head is None:
        return None
    return _read_exact(s, struct.unpack("!H", head)[0])


if __name__ == "__main__":
    import argparse
    import time

    p = argparse.ArgumentParser()
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("upaddr")
    p.add_argument("upport", type=int)
    p.add_argument("--aa", choices=["set", "clear"])
    p.add_argument("--ra", choices=["set", "clear"])
    p.add_argument("--rcode")
    p.add_argument("--tc", action="store_true")
    p.add_argument("--silent", action="store_true")
    a = p.parse_args()
    bit = {None: None, "set": True, "clear": False}
    f = DnsFront((a.addr, a.port), (a.upaddr, a.upport), aa=bit[a.aa], ra=bit[a.ra],
                 rcode=dns.rcode.from_text(a.rcode) if a.rcode else None,
                 truncate_udp=a.tc, silent=a.silent).start()
    while True:
        time.sleep(3600)
