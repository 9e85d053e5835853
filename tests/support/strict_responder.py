#!/usr/bin/python3
"""A minimal, strict mDNS responder for one `_sd._udp` instance, written from RFC 6762 with plain
sockets (no mDNS library), to check that our node works with responders that are not like ours:

  - it answers only questions whose class is exactly IN: a question with the unicast-response
    bit (QU, class 0x8001) is ignored, as some embedded responders do;
  - it answers exactly what is asked, with no additional records, and announces its PTR alone,
    so the querier must ask for the SRV, TXT and address by itself;
  - a question from a port other than 5353 gets a legacy unicast answer (RFC 6762 §6.7: id and
    question echoed, TTL at most 10 s); others a multicast answer, each record at most once a
    second (§6);
  - IPv4 only, on one interface.

  strict_responder.py '<json>'   {instance, hostname (without .local), port, txt: [strings],
                                  address: IPv4 of the interface}
Prints READY once listening, then one line per question: `ignored CLASS NAME TYPE` or
`answered multicast|legacy NAME TYPE`. On SIGTERM it sends goodbyes (TTL 0) and exits.
"""
import json
import select
import signal
import socket
import struct
import sys
import time

GROUP = '224.0.0.251'
PORT = 5353
CLASS_IN = 1
TYPE_A, TYPE_PTR, TYPE_TXT, TYPE_SRV, TYPE_ANY = 1, 12, 16, 33, 255
TYPE_NAMES = {TYPE_A: 'A', TYPE_PTR: 'PTR', TYPE_TXT: 'TXT', TYPE_SRV: 'SRV', TYPE_ANY: 'ANY', 28: 'AAAA'}
SERVICE = '_sd._udp.local'
HOST_TTL, OTHER_TTL, LEGACY_TTL = 120, 4500, 10


def say(*words):
    print(*words, flush=True)


def encode_name(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        raw = label.encode('utf-8')
        out += bytes([len(raw)]) + raw
    return out + b'\x00'


def decode_name(packet, offset):
    """The name at offset (compression pointers followed) and the offset after it."""
    labels, end, jumps = [], None, 0
    while True:
        length = packet[offset]
        if length & 0xC0 == 0xC0:
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | packet[offset + 1]
            jumps += 1
            if jumps > 20:
                raise ValueError('compression loop')
            continue
        offset += 1
        if length == 0:
            break
        labels.append(packet[offset:offset + length].decode('utf-8', 'replace'))
        offset += length
    return '.'.join(labels), (end if end is not None else offset)


class Instance:
    def __init__(self, opts):
        self.label = opts['instance']
        self.full = f"{self.label}.{SERVICE}"
        self.host = f"{opts['hostname']}.local"
        self.port = opts['port']
        self.txt = [s.encode('utf-8') for s in opts['txt']]
        self.address = opts['address']

    def records(self, qname, qtype):
        """(name, type, ttl, rdata) answering one question, by exact name and type."""
        name = qname.lower()
        out = []
        if name == SERVICE.lower() and qtype in (TYPE_PTR, TYPE_ANY):
            out.append((SERVICE, TYPE_PTR, OTHER_TTL, encode_name(self.full)))
        if name == self.full.lower() and qtype in (TYPE_SRV, TYPE_ANY):
            out.append((self.full, TYPE_SRV, HOST_TTL, struct.pack('!HHH', 0, 0, self.port) + encode_name(self.host)))
        if name == self.full.lower() and qtype in (TYPE_TXT, TYPE_ANY):
            out.append((self.full, TYPE_TXT, OTHER_TTL, b''.join(bytes([len(s)]) + s for s in self.txt)))
        if name == self.host.lower() and qtype in (TYPE_A, TYPE_ANY):
            out.append((self.host, TYPE_A, HOST_TTL, socket.inet_aton(self.address)))
        return out


def response(records, ident=0, questions=(), ttl_cap=None):
    head = struct.pack('!HHHHHH', ident, 0x8400, len(questions), len(records), 0, 0)
    body = b''.join(encode_name(n) + struct.pack('!HH', t, CLASS_IN) for n, t in questions)
    for name, rtype, ttl, rdata in records:
        if ttl_cap is not None:
            ttl = min(ttl, ttl_cap)
        body += encode_name(name) + struct.pack('!HHIH', rtype, CLASS_IN, ttl, len(rdata)) + rdata
    return head + body


def parse_questions(packet):
    ident, flags, qd = struct.unpack('!HHH', packet[:6])
    if flags & 0x8000 or (flags >> 11) & 0xF:
        return ident, []
    offset, out = 12, []
    for _ in range(qd):
        name, offset = decode_name(packet, offset)
        qtype, qclass = struct.unpack('!HH', packet[offset:offset + 4])
        offset += 4
        out.append((name, qtype, qclass))
    return ident, out


def main():
    opts = json.loads(sys.argv[1])
    inst = Instance(opts)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(('0.0.0.0', PORT))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(GROUP) + socket.inet_aton(inst.address))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(inst.address))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    last_multicast = {}

    def multicast(records):
        now = time.monotonic()
        fresh = [r for r in records if now - last_multicast.get(r[:2], -10) >= 1.0]
        for r in fresh:
            last_multicast[r[:2]] = now
        if fresh:
            sock.sendto(response(fresh), (GROUP, PORT))

    def goodbye(*_):
        sock.sendto(response([(SERVICE, TYPE_PTR, 0, encode_name(inst.full))]), (GROUP, PORT))
        sys.exit(0)

    signal.signal(signal.SIGTERM, goodbye)
    ptr = inst.records(SERVICE, TYPE_PTR)
    say('READY')
    announcements = [time.monotonic(), time.monotonic() + 1.0]
    while True:
        if announcements and time.monotonic() >= announcements[0]:
            announcements.pop(0)
            multicast(ptr)
        readable, _, _ = select.select([sock], [], [], 0.1)
        if not readable:
            continue
        packet, (source, sport) = sock.recvfrom(9000)
        try:
            ident, questions = parse_questions(packet)
        except (ValueError, IndexError, struct.error):
            continue
        for qname, qtype, qclass in questions:
            answers = inst.records(qname, qtype)
            if not answers:
                continue
            kind = TYPE_NAMES.get(qtype, str(qtype))
            if qclass != CLASS_IN:
                say('ignored', hex(qclass), qname, kind)
            elif sport != PORT:
                sock.sendto(response(answers, ident, [(qname, qtype)], LEGACY_TTL), (source, sport))
                say('answered legacy', qname, kind)
            else:
                multicast(answers)
                say('answered multicast', qname, kind)


if __name__ == '__main__':
    main()
