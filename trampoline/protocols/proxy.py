"""The PROXY protocol, sans-I/O: who the client really was, behind a balancer.

What it is for.  A load balancer that relays TCP (HAProxy, nginx's stream
module, a cloud L4 balancer) connects to the server itself, so the server
sees the balancer's address, not the client's.  With the PROXY protocol
(HAProxy's ``send-proxy`` / ``send-proxy-v2``) the balancer first sends
one header naming the original connection -- source and destination
address and port -- and then relays the client's bytes untouched.  This
module reads that header: ``parse_header(data)`` takes the bytes received
so far and returns the header and its length once it is complete.
``HeaderParser`` does the same fed piece by piece.  Nothing here touches a
socket, a clock or a thread.

The two versions (HAProxy's doc/proxy-protocol.txt).  Version 1 is one
text line, at most 107 bytes with its CRLF::

    PROXY TCP4 203.0.113.7 192.0.2.1 56324 443\\r\\n
    PROXY TCP6 2001:db8::7 2001:db8::1 56324 443\\r\\n
    PROXY UNKNOWN\\r\\n             (anything may follow UNKNOWN, up to the CRLF,
                                  but a bare CR or LF)

Version 2 is binary: a 12-byte signature (``\\r\\n\\r\\n\\0\\r\\nQUIT\\n``),
a version-and-command byte (``0x21`` PROXY, ``0x20`` LOCAL), a family-
and-transport byte, a 2-byte big-endian length, then that many bytes: the
addresses (12 for IPv4, 36 for IPv6, 216 for Unix paths) followed by TLVs
(type, 2-byte length, value), which carry extras (ALPN, the TLS details,
a CRC32c of the header ...).  TLVs are returned as they came, each one
checked to fit in the header; a CRC32c TLV is verified (a second one is
refused), and a UNIQUE_ID longer than the spec's 128 bytes refused.

The idea.  The parser decides as early as the bytes allow: a first byte
that begins neither signature is refused at once, as is a version 1 line
that has no CRLF within 107 bytes -- so garbage, or a client that
bypassed the balancer, is turned away without waiting for more.  It never
asks for more bytes than the header has, and the length it returns says
exactly where the client's own bytes begin, so a server can read the
header without taking anything that follows (a TLS handshake, say).

What it must never do: block, do I/O, accept a header HAProxy's spec
forbids (a wrong signature, version or command, an unknown family or
transport, a bad address, a port out of range or with a leading zero, a
field too many or too few, a bare CR or LF), or read past the end of a
header's own length.

Where HAProxy's own receiver (2.6) differs, this parser follows the spec.
HAProxy takes version 1 addresses and ports the spec forbids (leading
zeros, ``1.2.3``, a number past 255 or 65535, an empty port as 0), extra
fields after a TCP6 address pair, a line past 107 bytes, an unknown
version 2 family or transport in a LOCAL header, and a second CRC32C TLV
(checked over the first one zeroed): all refused here.  It refuses what
the spec lets through: text after UNKNOWN, a version 2 PROXY header of
any family but TCP over IPv4 or IPv6 (UNSPEC, UDP, Unix: taken here as
the spec says), an AUTHORITY TLV over 255 bytes, and a header split over
two reads or longer than its buffer (16 kB).
"""

import socket
import struct

__all__ = [
    "ProxyHeader", "ProxyProtocolError", "HeaderParser", "parse_header", "header_length",
    "V1_MAX_LENGTH", "V2_SIGNATURE",
    "PP2_TYPE_ALPN", "PP2_TYPE_AUTHORITY", "PP2_TYPE_CRC32C", "PP2_TYPE_NOOP",
    "PP2_TYPE_UNIQUE_ID", "PP2_TYPE_SSL", "PP2_TYPE_NETNS",
]

#: The longest version 1 header, ``"PROXY "`` to CRLF included.
V1_MAX_LENGTH = 107
V1_SIGNATURE = b"PROXY "
#: The 12 bytes every version 2 header begins with.
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V2_FIXED_LENGTH = 16                    # signature, version/command, family, length

# The TLV types the spec names (others may come; all are returned as they are).
PP2_TYPE_ALPN = 0x01
PP2_TYPE_AUTHORITY = 0x02
PP2_TYPE_CRC32C = 0x03
PP2_TYPE_NOOP = 0x04
PP2_TYPE_UNIQUE_ID = 0x05
PP2_TYPE_SSL = 0x20
PP2_TYPE_NETNS = 0x30

_V2_COMMANDS = {0x0: "LOCAL", 0x1: "PROXY"}
_V2_TRANSPORTS = {0x0: "UNSPEC", 0x1: "STREAM", 0x2: "DGRAM"}   # (only STREAM's are used)
# family nibble -> (socket family, size of the address block)
_V2_FAMILIES = {0x0: (socket.AF_UNSPEC, 0), 0x1: (socket.AF_INET, 12),
                0x2: (socket.AF_INET6, 36), 0x3: (socket.AF_UNIX, 216)}


class ProxyProtocolError(ValueError):
    """The bytes are not a PROXY protocol header we accept.

    The message names what was wrong and shows the bytes (``repr``, cut
    short); ``offset`` is where in the header the fault was found
    (``None`` when a server saw the connection end before its first byte).
    """

    def __init__(self, message, offset=0):
        super().__init__(message)
        self.offset = offset


class ProxyHeader:
    """One PROXY protocol header, parsed.

    ``version``: 1 or 2.  ``command``: ``"PROXY"`` (the connection was
    relayed for a client) or ``"LOCAL"`` (version 2 only: the balancer
    speaks for itself, a health check say).  ``family``: ``socket.AF_INET``,
    ``AF_INET6``, ``AF_UNIX``, or ``AF_UNSPEC`` when the addresses are
    unknown or not this connection's (version 1 ``UNKNOWN``, version 2
    LOCAL, UNSPEC, or a transport other than STREAM: UDP, UNIX datagram --
    whose addresses are skipped, as HAProxy skips them).  ``transport``:
    ``socket.SOCK_STREAM``, or 0 with ``AF_UNSPEC`` (version 1 says only
    TCP).  ``source`` and ``destination``: the
    original connection's two ends, shaped as the socket module shapes them
    -- ``(host, port)`` for IPv4, ``(host, port, 0, 0)`` for IPv6 (hosts
    as ``inet_ntop`` writes them), a ``str`` path for Unix -- or ``None``
    when unknown: then the server should use the real connection's
    addresses, as the spec says.  ``tlvs``: version 2's extra fields, a
    tuple of ``(type, value)`` pairs in the order they came.
    """

    __slots__ = ("version", "command", "family", "transport", "source", "destination",
                 "tlvs")

    def __init__(self, version, command, family, transport, source, destination, tlvs=()):
        self.version = version
        self.command = command
        self.family = family
        self.transport = transport
        self.source = source
        self.destination = destination
        self.tlvs = tuple(tlvs)

    def __repr__(self):
        return ("<ProxyHeader v%d %s %s source=%r destination=%r tlvs=%d>"
                % (self.version, self.command, _family_name(self.family),
                   self.source, self.destination, len(self.tlvs)))

    def __eq__(self, other):
        if not isinstance(other, ProxyHeader):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    __hash__ = None                 # type: ignore[assignment]  # (equal by value: unhashable)

    def tlv(self, kind, default=None):
        """The value of the first TLV of type ``kind``, or ``default``."""
        for key, value in self.tlvs:
            if key == kind:
                return value
        return default


def _family_name(family):
    return {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6",
            socket.AF_UNIX: "AF_UNIX"}.get(family, "AF_UNSPEC")


def _show(data, limit=40):
    data = bytes(data)
    return repr(data[:limit]) + ("..." if len(data) > limit else "")


# ================================================================ the entry point

def parse_header(data):
    """``parse_header(data) -> (header, length) or None``

    ``data``: the first bytes of a connection (bytes-like), as many as
    have come.  Returns ``None`` if they are the beginning of a valid
    header that is not complete yet; ``(ProxyHeader, length)`` once it is,
    ``length`` being how many bytes of ``data`` the header takes (what
    follows is the client's).  Raises ``ProxyProtocolError`` as soon as
    ``data`` cannot begin a valid header.
    """
    data = bytes(data)
    if data[:1] == b"P":
        return _parse_v1(data)
    if data[:1] == b"\r":
        return _parse_v2(data)
    if not data:
        return None
    raise ProxyProtocolError("not a PROXY protocol header: the connection begins with %s "
                             "(expected 'PROXY ' or the version 2 signature)" % _show(data))


def header_length(data):
    """The whole header's length, once the bytes so far say it: for version
    2, 16 plus the length field, as soon as those 16 bytes are there;
    ``None`` before, and always for version 1 (a line: it ends where its
    CRLF is).  Call it on bytes ``parse_header`` found incomplete."""
    if len(data) >= V2_FIXED_LENGTH and data[:12] == V2_SIGNATURE:
        return V2_FIXED_LENGTH + struct.unpack_from("!H", data, 14)[0]
    return None


class HeaderParser:
    """``HeaderParser().feed(data) -> ProxyHeader or None``, piece by piece.

    Keeps the bytes fed so far; ``feed`` returns the header once it is
    complete (then ``rest`` holds the bytes that came after it, the
    client's), ``None`` while more are needed, and raises
    ``ProxyProtocolError`` as soon as they cannot be a header.  Once a
    version 2 header's length is known, the bytes are only counted until
    they are all there: a long header fed byte by byte costs no
    re-parsing.  Feeding a parser that is done raises ``RuntimeError``.
    """

    def __init__(self):
        self._received = bytearray()
        self._needed = None             # the whole header's length, once known
        self.header = None
        self.rest = b""

    def feed(self, data):
        """Take ``data`` (bytes): the header once it is complete (the bytes
        after it in ``rest``), else None.  See the class docstring."""
        if self.header is not None:
            raise RuntimeError("HeaderParser.feed(): the header is complete already; "
                               "what follows it belongs to the client")
        received = self._received
        received += data
        if self._needed is not None and len(received) < self._needed:
            return None
        result = parse_header(received)
        if result is None:
            self._needed = header_length(received)
            return None
        self.header, length = result
        self.rest = bytes(received[length:])
        del received[:]
        return self.header


# ================================================================ version 1: one text line

def _parse_v1(data):
    if not data.startswith(V1_SIGNATURE[:len(data)]):
        raise ProxyProtocolError("not a PROXY protocol header: the connection begins with %s "
                                 "(expected 'PROXY ')" % _show(data))
    end = data.find(b"\r\n", 0, V1_MAX_LENGTH)
    if end < 0:
        _refuse_bare_line_ends(data[:V1_MAX_LENGTH])
        if len(data) >= V1_MAX_LENGTH:
            raise ProxyProtocolError("PROXY v1 header without CRLF within %d bytes: %s"
                                     % (V1_MAX_LENGTH, _show(data)), V1_MAX_LENGTH)
        return None
    line = data[:end]
    _refuse_bare_line_ends(line + b"\r")   # (UNKNOWN's too: as when fed in pieces)
    fields = line.split(b" ")
    protocol = fields[1]
    if protocol == b"UNKNOWN":          # the spec: ignore whatever follows, up to the CRLF
        return ProxyHeader(1, "PROXY", socket.AF_UNSPEC, 0, None, None), end + 2
    if protocol == b"TCP4":
        family = socket.AF_INET
    elif protocol == b"TCP6":
        family = socket.AF_INET6
    else:
        raise ProxyProtocolError("PROXY v1 header with an unknown protocol %s "
                                 "(expected TCP4, TCP6 or UNKNOWN): %s"
                                 % (_show(protocol), _show(line)), 6)
    if len(fields) != 6:
        raise ProxyProtocolError("PROXY v1 %s header needs 4 fields after the protocol, "
                                 "one space apart; got %d: %s"
                                 % (protocol.decode(), len(fields) - 2, _show(line)), 0)
    source_host = _v1_address(family, fields[2], line)
    destination_host = _v1_address(family, fields[3], line)
    source_port = _v1_port(fields[4], line)
    destination_port = _v1_port(fields[5], line)
    tail = (0, 0) if family == socket.AF_INET6 else ()
    return ProxyHeader(1, "PROXY", family, socket.SOCK_STREAM,
                       (source_host, source_port) + tail,
                       (destination_host, destination_port) + tail), end + 2


def _refuse_bare_line_ends(data):
    """A CR not followed by LF, or an LF without its CR, cannot end a
    version 1 header: refuse it now rather than after 107 bytes (the
    first, as when fed in pieces)."""
    found = [at for at in (data.find(b"\n"), data.find(b"\r", 0, len(data) - 1)) if at >= 0]
    if found:
        bare = min(found)
        raise ProxyProtocolError("PROXY v1 header with a bare %s at byte %d (it must end "
                                 "with CRLF): %s" % ("LF" if data[bare:bare + 1] == b"\n"
                                                     else "CR", bare, _show(data)), bare)


_V1_ADDRESS_BYTES = {socket.AF_INET: frozenset(b"0123456789."),
                     socket.AF_INET6: frozenset(b"0123456789abcdefABCDEF:.")}


def _v1_address(family, field, line):
    try:
        if not _V1_ADDRESS_BYTES[family].issuperset(field):
            raise ValueError("not an address")  # (and PyPy's inet_pton stops at a NUL)
        return socket.inet_ntop(family, socket.inet_pton(family, field.decode("ascii")))
    except (OSError, ValueError):
        raise ProxyProtocolError("PROXY v1 header with a bad %s address %s: %s"
                                 % ("IPv4" if family == socket.AF_INET else "IPv6",
                                    _show(field), _show(line))) from None


def _v1_port(field, line):
    # Decimal, 0 to 65535, no sign, no leading zero (the spec's form).
    if (not field.isdigit() or len(field) > 5 or (len(field) > 1 and field[:1] == b"0")
            or int(field) > 65535):
        raise ProxyProtocolError("PROXY v1 header with a bad port %s (expected 0 to 65535, "
                                 "in decimal without leading zeros): %s"
                                 % (_show(field), _show(line)))
    return int(field)


# ================================================================ version 2: binary

def _parse_v2(data):
    if not data.startswith(V2_SIGNATURE[:len(data)]):
        raise ProxyProtocolError("not a PROXY protocol header: the connection begins with %s "
                                 "(expected the version 2 signature %s)"
                                 % (_show(data), _show(V2_SIGNATURE)))
    if len(data) < V2_FIXED_LENGTH:
        if len(data) > 12:
            _v2_command(data[12])       # refuse a wrong version at once
        return None
    version_command, family_transport, length = struct.unpack_from("!BBH", data, 12)
    command = _v2_command(version_command)
    family_bits, transport_bits = family_transport >> 4, family_transport & 0x0F
    if family_bits not in _V2_FAMILIES:
        raise ProxyProtocolError("PROXY v2 header with an unknown address family 0x%x "
                                 "(byte 13 is 0x%02x)" % (family_bits, family_transport), 13)
    if transport_bits not in _V2_TRANSPORTS:
        raise ProxyProtocolError("PROXY v2 header with an unknown transport 0x%x "
                                 "(byte 13 is 0x%02x)" % (transport_bits, family_transport), 13)
    family, address_length = _V2_FAMILIES[family_bits]
    total = V2_FIXED_LENGTH + length
    if len(data) < total:
        return None
    if command == "LOCAL" or family == socket.AF_UNSPEC or transport_bits != 0x1:
        # The spec: the receiver skips a LOCAL header's body whole, and the
        # addresses of an UNSPEC one, and uses the real connection's -- as
        # it does ("falls back to the UNSPEC mode") for a protocol it does
        # not support.  Only STREAM's addresses are taken (TCP, UNIX
        # stream; HAProxy's receiver takes TCP's alone): a UDP (DGRAM)
        # source, or one of no transport, did not make this connection.
        return ProxyHeader(2, command, socket.AF_UNSPEC, 0, None, None), total
    if length < address_length:
        raise ProxyProtocolError("PROXY v2 header too short for its %s addresses: "
                                 "length %d, they need %d"
                                 % (_family_name(family), length, address_length), 14)
    body = data[V2_FIXED_LENGTH:V2_FIXED_LENGTH + address_length]
    source, destination = _v2_addresses(family, body)
    tlvs = _v2_tlvs(data, total, V2_FIXED_LENGTH + address_length)
    header = ProxyHeader(2, command, family, socket.SOCK_STREAM, source, destination, tlvs)
    return header, total


def _v2_command(byte):
    if byte >> 4 != 2:
        raise ProxyProtocolError("PROXY v2 header with version %d (byte 12 is 0x%02x; "
                                 "only version 2 exists)" % (byte >> 4, byte), 12)
    command = _V2_COMMANDS.get(byte & 0x0F)
    if command is None:
        raise ProxyProtocolError("PROXY v2 header with an unknown command 0x%x (byte 12 is "
                                 "0x%02x; expected LOCAL 0x0 or PROXY 0x1)"
                                 % (byte & 0x0F, byte), 12)
    return command


def _v2_addresses(family, block):
    if family == socket.AF_INET:
        source_ip, destination_ip, source_port, destination_port = struct.unpack("!4s4sHH", block)
        return ((socket.inet_ntop(family, source_ip), source_port),
                (socket.inet_ntop(family, destination_ip), destination_port))
    if family == socket.AF_INET6:
        source_ip, destination_ip, source_port, destination_port = struct.unpack("!16s16sHH",
                                                                                 block)
        return ((socket.inet_ntop(family, source_ip), source_port, 0, 0),
                (socket.inet_ntop(family, destination_ip), destination_port, 0, 0))
    return _unix_path(block[:108]), _unix_path(block[108:])


def _unix_path(raw):
    """A 108-byte ``sun_path``: up to the first NUL, decoded as the
    socket module decodes paths (an abstract one, starting with NUL, is
    kept whole but for its trailing NULs)."""
    if raw[:1] == b"\x00":
        raw = raw.rstrip(b"\x00")       # abstract namespace: "" if empty
        return raw.decode("utf-8", "surrogateescape")
    return raw.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


def _v2_tlvs(data, total, offset):
    tlvs = []
    crc_at = None
    while offset < total:
        if total - offset < 3:
            raise ProxyProtocolError("PROXY v2 header with a truncated TLV at byte %d: %s"
                                     % (offset, _show(data[offset:total])), offset)
        kind, size = struct.unpack_from("!BH", data, offset)
        if offset + 3 + size > total:
            raise ProxyProtocolError("PROXY v2 TLV of type 0x%02x at byte %d claims %d bytes; "
                                     "the header has %d left"
                                     % (kind, offset, size, total - offset - 3), offset)
        value = data[offset + 3:offset + 3 + size]
        if kind == PP2_TYPE_CRC32C:
            if size != 4:
                raise ProxyProtocolError("PROXY v2 CRC32C TLV at byte %d has %d bytes "
                                         "(expected 4)" % (offset, size), offset)
            if crc_at is not None:
                raise ProxyProtocolError("PROXY v2 header with a second CRC32C TLV at byte %d "
                                         "(the first at byte %d)" % (offset, crc_at - 3), offset)
            crc_at = offset + 3
        elif kind == PP2_TYPE_UNIQUE_ID and size > 128:
            raise ProxyProtocolError("PROXY v2 UNIQUE_ID TLV at byte %d has %d bytes "
                                     "(at most 128)" % (offset, size), offset)
        tlvs.append((kind, value))
        offset += 3 + size
    if crc_at is not None:
        _check_crc(data[:total], crc_at)
    return tlvs


def _check_crc(header, crc_at):
    expected = struct.unpack_from("!I", header, crc_at)[0]
    zeroed = header[:crc_at] + b"\x00\x00\x00\x00" + header[crc_at + 4:]
    actual = crc32c(zeroed)
    if actual != expected:
        raise ProxyProtocolError("PROXY v2 header fails its CRC32C check: it says 0x%08x, "
                                 "the bytes give 0x%08x" % (expected, actual), crc_at)


# ================================================================ CRC32c (Castagnoli)

def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    """The CRC32c (Castagnoli) of ``data``, as PROXY v2's CRC32C TLV holds
    it (the TLV's own 4 bytes counted as zeros)."""
    table = _CRC32C_TABLE
    crc = 0xFFFFFFFF
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
