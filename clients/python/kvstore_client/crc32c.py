"""CRC32C (Castagnoli), the checksum of every block on the wire (docs/protocol.md, block header).

The standard library has no CRC32C, so this is a table-driven pure-Python implementation (slicing by 8: eight
bytes per loop turn), about 20-40 MB/s. If the optional `crc32c` package (Debian's `python3-crc32c`, a C module
reading any buffer in place, ~2.5 GB/s here) or `google_crc32c` is installed it is used instead; all give
identical results. `IMPLEMENTATION` names the one in use. A client with only the pure-Python CRC lets the
server compute PUT checksums (docs/protocol.md, SERVER_CHECKSUM).
"""

_POLY = 0x82F63B78  # reflected Castagnoli polynomial


def _tables():
    t0 = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        t0.append(c)
    tables = [t0]
    for _ in range(7):
        prev = tables[-1]
        tables.append([(prev[i] >> 8) ^ t0[prev[i] & 0xFF] for i in range(256)])
    return tables


_T = _tables()


def crc32c_pure(data, crc=0):
    """CRC32C of `data` (any bytes-like object), continuing from `crc`."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    mv = memoryview(data).cast("B")
    n = len(mv)
    crc ^= 0xFFFFFFFF
    full = n - n % 8
    if full:
        words = memoryview(mv[:full]).cast("Q") if _LITTLE else None
        if words is not None:
            for w in words:
                x = crc ^ (w & 0xFFFFFFFF)
                hi = w >> 32
                crc = (t7[x & 0xFF] ^ t6[(x >> 8) & 0xFF] ^ t5[(x >> 16) & 0xFF] ^ t4[x >> 24]
                       ^ t3[hi & 0xFF] ^ t2[(hi >> 8) & 0xFF] ^ t1[(hi >> 16) & 0xFF] ^ t0[hi >> 24])
        else:
            for i in range(0, full, 8):
                lo = int.from_bytes(mv[i:i + 4], "little")
                hi = int.from_bytes(mv[i + 4:i + 8], "little")
                x = crc ^ lo
                crc = (t7[x & 0xFF] ^ t6[(x >> 8) & 0xFF] ^ t5[(x >> 16) & 0xFF] ^ t4[x >> 24]
                       ^ t3[hi & 0xFF] ^ t2[(hi >> 8) & 0xFF] ^ t1[(hi >> 16) & 0xFF] ^ t0[hi >> 24])
    for b in mv[full:]:
        crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


import sys as _sys  # noqa: E402

_LITTLE = _sys.byteorder == "little"

try:  # optional accelerators, never required
    import crc32c as _ext  # type: ignore

    def crc32c(data, crc=0):
        """CRC32C of `data` (any C-contiguous buffer, read in place), continuing from `crc`."""
        return _ext.crc32c(data, crc)
    IMPLEMENTATION = "crc32c"
except ImportError:
    try:
        import google_crc32c as _gext  # type: ignore

        def crc32c(data, crc=0):
            return _gext.extend(crc, bytes(data))
        IMPLEMENTATION = "google_crc32c"
    except ImportError:
        crc32c = crc32c_pure
        IMPLEMENTATION = "pure-python"
