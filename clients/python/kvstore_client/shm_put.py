"""Same-host shared-memory writes (docs/protocol.md, "Writes"): SHM_PUT reserves blocks in the server's shared
DRAM arena and answers where; the payloads are copied straight into the mapped files (one memcpy each, no socket)
and SHM_COMMIT verifies their CRC32C in place and publishes them. Blocks the shared tier does not take (SEND)
go over the socket with PUT. Used by `KvStoreClient.put` whenever shared memory is attached."""
import mmap
import os
import struct

from . import wire
from .errors import ProtocolError, ServerError
from .wire import FLAG_ACK_PERSISTED, FLAG_SERVER_CHECKSUM, Opcode

GROUP_BYTES = 32 << 20   # the largest group of payload bytes one SHM_PUT reserves (at most two groups at a time)
WRITE, SEND, DONE = 0, 1, 2
UNKNOWN_OPCODE = 3


class ShmWriter:
    """Writes PUT frames of one client through its shared-memory directory."""

    def __init__(self, client, directory):
        self._client = client
        self._dir = directory
        self._maps = {}
        self.supported = True   # False once the server answered UNKNOWN_OPCODE (an older daemon)

    def close(self):
        for m in self._maps.values():
            m.close()
        self._maps.clear()

    def put(self, frames, persisted, over_socket):
        """PUT `frames` (the client's (head, payload view, by_server, tokens) tuples) through the mapping; the
        ones the server answers SEND with `over_socket(frames, persisted)`. Returns (codes, durable).

        Pipelined one group ahead: group k+1 is reserved, and group k-1 checksummed and published by the server,
        while this process copies group k; so the copies here overlap the server's work."""
        groups = list(self._groups(frames))
        client = self._client
        first = self._reserve(groups[0])
        if first is None:   # an older daemon: everything over the socket
            return over_socket(frames, persisted)
        replies, commits, send = [first], [], []
        try:
            for k, group in enumerate(groups):
                ahead = client._send_request(Opcode.SHM_PUT, *self._reserve_request(groups[k + 1])) \
                    if k + 1 < len(groups) else None
                put_id, slots = replies[k]
                send.extend(self._copy(group, slots))
                if k > 0 and commits[k - 1][0]:
                    commits[k - 1] = (commits[k - 1][0], self._ack(commits[k - 1][1]))
                if ahead is not None:
                    replies.append(self._slots(client._answer(Opcode.SHM_PUT, ahead), len(groups[k + 1])))
                rid = client._send_request(Opcode.SHM_COMMIT, FLAG_ACK_PERSISTED if persisted else 0,
                                           struct.pack(">QB", put_id, 0)) if put_id else None
                commits.append((put_id, rid))
            if commits[-1][0]:
                commits[-1] = (commits[-1][0], self._ack(commits[-1][1]))
        except BaseException as e:
            # a request is half-way: the connection's state is unknown; closing it aborts every reservation
            client._fail("shared-memory PUT failed: %s" % e)
            raise
        sent, sent_durable = over_socket(send, persisted) if send else ([], True)
        codes, durable, sent_codes = [], sent_durable, iter(sent)
        for (put_id, slots), (_, ack) in zip(replies, commits):
            written = iter(ack[0]) if put_id else iter(())
            durable &= ack[1] if put_id else True
            for kind, code in slots:
                codes.append(next(written) if kind == WRITE else next(sent_codes) if kind == SEND else code)
        return codes, durable

    def _groups(self, frames):
        limit = self._client.max_keys_per_request or len(frames) or 1
        group, size = [], 0
        for f in frames:
            n = len(f[1])
            # one checksum mode per SHM_PUT: a change of mode starts a new group
            if group and (size + n > GROUP_BYTES or len(group) >= limit or f[2] != group[0][2]
                          or f[3] != group[0][3]):
                yield group
                group, size = [], 0
            group.append(f)
            size += n
        if group:
            yield group

    @staticmethod
    def _reserve_request(frames):
        by_server, tokens = frames[0][2], frames[0][3]
        flags = (FLAG_SERVER_CHECKSUM if by_server else 0) | (wire.FLAG_TOKENS if tokens else 0)
        return flags, struct.pack(">I", len(frames)) + b"".join(bytes(f[0]) for f in frames)

    def _reserve(self, frames):
        """SHM_PUT of the first group, waiting: (putId, slots), or None if the server does not know SHM_PUT."""
        try:
            answer = self._client._unary(Opcode.SHM_PUT, *self._reserve_request(frames))
        except ServerError as e:
            if e.code != UNKNOWN_OPCODE:
                raise
            self.supported = False
            return None
        return self._slots(answer, len(frames))

    @staticmethod
    def _slots(answer, count):
        """(putId, [(kind, code or file/offset)]) of an SHM_PUT reply."""
        r = wire.Reader(answer, "SHM_PUT reply")
        put_id = r.u64("putId")
        n = r.u32("blocks")
        if n != count:
            raise ProtocolError("SHM_PUT answered %d blocks for %d sent" % (n, count))
        slots = []
        for _ in range(n):
            kind = r.u8("kind")
            if kind == WRITE:
                slots.append((WRITE, (r.str("file"), r.u64("offset"))))
            elif kind == SEND:
                slots.append((SEND, None))
            elif kind == DONE:
                slots.append((DONE, wire.PutCode.of(r.u8("putCode"))))
            else:
                raise ProtocolError("unknown SHM_PUT slot kind %d" % kind)
        return put_id, slots

    def _copy(self, frames, slots):
        """Copies the WRITE blocks into place; returns the SEND frames."""
        send = []
        for f, (kind, where) in zip(frames, slots):
            if kind == WRITE:
                name, offset = where
                payload = f[1]
                m = self._map(name)
                if offset + len(payload) > len(m):
                    raise ProtocolError("SHM_PUT placed a block outside %s" % name)
                m[offset:offset + len(payload)] = payload
            elif kind == SEND:
                send.append(f)
        return send

    def _ack(self, rid):
        c = wire.Reader(self._client._answer(Opcode.SHM_COMMIT, rid), "SHM_COMMIT ack")
        return [wire.PutCode.of(x) for x in c.codes("put codes")], c.u8("durable") == 1

    def _map(self, name):
        return map_file(self._dir, name, self._maps, writable=True)


def map_file(directory, name, cache, writable=False):
    """The mapping of arena file `name` in `directory` (read-only, or read-write), cached in `cache`."""
    m = cache.get(name)
    if m is None:
        if "/" in name or name.startswith("."):
            raise ProtocolError("the server named file %r outside the shared directory" % name)
        with open(os.path.join(directory, name), "r+b" if writable else "rb") as f:
            m = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_SHARED | _POPULATE,
                          prot=mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0))
        cache[name] = m
    return m


# The daemon allocates its arena files in full when it creates them, so populating a mapping only builds this
# process's page tables: one pass in the kernel (about 25 ms for a 1 GiB segment) instead of a page fault on the
# first touch of every 4 KiB page, which halves the first copy into or out of each page (docs/python.md).
_POPULATE = getattr(mmap, "MAP_POPULATE", 0)
