"""Wire constants and (de)serialisation of kvstore protocol version 1 (docs/protocol.md). No I/O here."""
import enum
import struct

from .errors import ProtocolError

MAGIC = 0x4B56
VERSION = 1
HEADER = struct.Struct(">HBBBBHQI")  # magic, version, opcode, flags, status, reserved, request id, body length
HEADER_BYTES = HEADER.size  # 20
BLOCK_HEADER = struct.Struct(">32s32sIiiI")  # key, parent, position, layout id, length, crc32c
BLOCK_HEADER_BYTES = BLOCK_HEADER.size  # 80

FLAG_END = 0x01
FLAG_ACK_PERSISTED = 0x02
FLAG_LEASE = 0x04
FLAG_PREFETCH = 0x08
FLAG_SERVER_CHECKSUM = 0x10  # PUT: the server computes the block's CRC32C (granted in HELLO)
FLAG_TOKENS = 0x20           # PUT: token ids follow the block header (servers that publish KV events)

FEATURE_SHM = 0x01              # HELLO features: same-host shared-memory reads
FEATURE_SERVER_CHECKSUM = 0x02  # HELLO features: PUT frames may carry FLAG_SERVER_CHECKSUM
FEATURE_KV_EVENTS = 0x04        # HELLO reply features, set by the server alone: it publishes KV events
FEATURE_HYBRID_LOOKUP = 0x08    # HELLO reply features, set by the server alone: it answers HYBRID_LOOKUP


class Opcode(enum.IntEnum):
    HELLO = 0x01
    LOOKUP = 0x02
    GET = 0x03
    PUT = 0x04
    EXISTS = 0x05
    DELETE = 0x06
    PIN = 0x07
    UNPIN = 0x08
    STATS = 0x09
    PING = 0x0A
    SHM_ATTACH = 0x0B
    SHM_GET = 0x0C
    SHM_RELEASE = 0x0D
    HYBRID_LOOKUP = 0x0E
    SHM_PUT = 0x0F
    SHM_COMMIT = 0x10


class PutCode(enum.IntEnum):
    """Per-block outcome of a PUT."""
    STORED = 0
    ALREADY_PRESENT = 1
    REJECTED = 2
    NO_CAPACITY = 3
    TOO_LARGE = 4
    NAMESPACE_CONFLICT = 5
    BAD_CHECKSUM = 6
    FAILED = 7

    @classmethod
    def of(cls, code):
        try:
            return cls(code)
        except ValueError:
            return cls.FAILED


class KeyOutcome(enum.IntEnum):
    """Per-key answer of EXISTS, DELETE, PIN and UNPIN."""
    NOT_FOUND = 0
    PRESENT = 1
    PINNED = 2
    UNPINNED = 3
    DELETED = 4
    NOT_PINNED = 5


def header(opcode, flags, request_id, body_len):
    return HEADER.pack(MAGIC, VERSION, opcode, flags, 0, 0, request_id, body_len)


def put_str(s):
    b = s.encode("utf-8")
    if len(b) > 65535:
        raise ValueError("string field longer than 65535 bytes")
    return struct.pack(">H", len(b)) + b


def keys_body(keys):
    for k in keys:
        if not isinstance(k, (bytes, bytearray)) or len(k) != 32:
            raise ValueError("a block key is 32 bytes, got %r" % (k,))
    return struct.pack(">I", len(keys)) + b"".join(bytes(k) for k in keys)


class Reader:
    """Sequential parser of a response body; raises ProtocolError on a short body."""

    def __init__(self, body, what):
        self.b = memoryview(body)
        self.pos = 0
        self.what = what

    def remaining(self):
        return len(self.b) - self.pos

    def take(self, n, field):
        if self.pos + n > len(self.b):
            raise ProtocolError("%s: %s needs %d bytes, %d left" % (self.what, field, n, len(self.b) - self.pos))
        v = self.b[self.pos:self.pos + n]
        self.pos += n
        return v

    def u8(self, field):
        return self.take(1, field)[0]

    def u16(self, field):
        return struct.unpack(">H", self.take(2, field))[0]

    def u32(self, field):
        return struct.unpack(">I", self.take(4, field))[0]

    def u64(self, field):
        return struct.unpack(">Q", self.take(8, field))[0]

    def i64(self, field):
        return struct.unpack(">q", self.take(8, field))[0]

    def str(self, field):
        n = self.u16(field + " length")
        try:
            return bytes(self.take(n, field)).decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("%s: %s is not valid UTF-8" % (self.what, field)) from None

    def codes(self, field):
        n = self.u32(field + " count")
        return list(self.take(n, field))
