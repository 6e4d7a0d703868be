"""The kvstore client: one TCP connection bound by HELLO to one namespace, synchronous calls.

Design note. Requests are answered in order on a connection (docs/protocol.md), so a synchronous client needs
no request table: it sends a request and reads frames until that request's answer is complete. GET is the one
streaming answer: `stream_prefix` returns a `BlockStream` that reads one block frame per `next()`, so blocks
reach the caller as they arrive and the server's flow control (it writes only while the socket drains)
applies. Starting another call while a stream is unfinished first reads the rest of that stream and drops it.

Timeouts: `timeout` bounds every wait for bytes from (or room toward) the server, so a stream that keeps
progressing never times out and a silent or dead server is noticed after `timeout` seconds at most. Any error
that leaves the framing unknown (timeout, connection loss, unparseable bytes, a fatal server error) closes the
connection; later calls raise `ConnectionClosedError`.

Buffers: received payloads are `memoryview`s of a fresh `bytearray` per block (the kernel's copy is the only
copy), or of the caller's own buffers when `stream_prefix(..., into=...)` is used. Payloads passed to `put`
are sent as they are (no copy) and must not change during the call. Both accept numpy arrays and CPU torch
tensors as well as bytes-like objects (`buffers.byte_view`).

Checksums: every block carries a CRC32C. With `checksum="auto"` (the default) the client asks the server in HELLO
to compute it when the daemon is on this host (loopback or a Unix socket: no wire to guard, and the server computes
one anyway to verify a client's) or when only the pure-Python CRC32C (~20 MB/s) is importable; otherwise, a daemon
across a network, the client computes it with the C `crc32c` module (end to end). A PUT whose server computes it
runs at socket speed; each of its frames carries flag SERVER_CHECKSUM.

Thread-safety: none; use one client per thread (connections are cheap; the server handles many).
"""
import ipaddress
import itertools
import os
import socket
import struct
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from . import crc32c as _crc
from . import wire
from .buffers import byte_view
from .crc32c import crc32c
from .errors import (ClientClosedError, ConnectionClosedError, KvStoreError, ProtocolError, TimeoutError_,
                     server_error)
from .hashing import Namespace
from .shm_put import ShmWriter, map_file
from .wire import (FEATURE_SERVER_CHECKSUM, FEATURE_SHM, FLAG_ACK_PERSISTED, FLAG_END, FLAG_LEASE, FLAG_PREFETCH,
                   FLAG_SERVER_CHECKSUM, KeyOutcome, Opcode, PutCode)

DEFAULT_PORT = 7379


@dataclass(frozen=True)
class PrefixLookup:
    """LOOKUP answer: how many leading blocks of `keys` are cached (`hit_blocks`) and the tier of each."""
    keys: List[bytes]
    hit_blocks: int
    tiers: List[str]
    tokens_per_block: int

    @property
    def hit_tokens(self):
        """Tokens covered by the cached prefix."""
        return self.hit_blocks * self.tokens_per_block

    @property
    def hit_keys(self):
        return self.keys[:self.hit_blocks]

    @property
    def full_hit(self):
        return self.hit_blocks == len(self.keys)


@dataclass
class Block:
    """One block received from GET. `payload` is a memoryview valid as long as the caller keeps it."""
    key: bytes
    parent: bytes
    position: int
    layout_id: int
    crc32c: int
    payload: memoryview


@dataclass(frozen=True)
class BlockToPut:
    """A block to store: its key, parent key (the namespace root for position 0), position and payload.
    `crc` is computed when None. `token_ids` (the block's tokens) are sent only to a server that publishes KV
    events (its HELLO says so), which announces them with the block."""
    key: bytes
    parent: bytes
    position: int
    payload: object
    crc: Optional[int] = None
    token_ids: Optional[Sequence[int]] = None


@dataclass(frozen=True)
class PutAck:
    """PUT answer: one `PutCode` per block, and whether every stored block is durable (asked with
    `persisted=True`; otherwise False)."""
    codes: List[PutCode]
    durable: bool

    @property
    def stored(self):
        """Blocks now cached (newly stored or already present)."""
        return sum(1 for c in self.codes if c in (PutCode.STORED, PutCode.ALREADY_PRESENT))

    @property
    def all_stored(self):
        return self.stored == len(self.codes)


@dataclass(frozen=True)
class TierStats:
    name: str
    policy: str
    capacity_bytes: int
    used_bytes: int
    blocks: int
    hits: int
    misses: int
    admitted: int
    evicted: int
    demoted_out: int
    promoted_in: int
    corrupt: int


@dataclass(frozen=True)
class Stats:
    """STATS answer: total blocks and each tier's counters, top tier first."""
    blocks: int
    tiers: List[TierStats] = field(default_factory=list)


def _local_peer(sock):
    """True if the daemon is on this host (a Unix domain socket or a loopback address): the payload then crosses no
    wire, only the kernel's copy, so a CRC32C computed here guards nothing the server's own does not (it computes one
    to verify a client's anyway), and costs the PUT more than half its speed (docs/python.md, "Checksums")."""
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    try:
        return ipaddress.ip_address(sock.getpeername()[0]).is_loopback
    except (OSError, ValueError):
        return False


def _open_socket(host, port, unix_socket, timeout):
    """A connected stream socket: TCP to host:port (no Nagle), or AF_UNIX to `unix_socket` when given."""
    where = "unix:%s" % os.fspath(unix_socket) if unix_socket is not None else "%s:%d" % (host, port)
    sock = None
    try:
        if unix_socket is None:
            sock = socket.create_connection((host, port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(os.fspath(unix_socket))
        return sock
    except socket.timeout:
        if sock is not None:
            sock.close()
        raise TimeoutError_("connecting to %s took longer than %.1f s" % (where, timeout)) from None
    except OSError as e:
        if sock is not None:
            sock.close()
        raise ConnectionClosedError("cannot connect to kvstore at %s: %s" % (where, e)) from e


class KvStoreClient:
    """A connection to a kvstore daemon, bound to one `Namespace`.

    `KvStoreClient(host, port, namespace, token="")` connects and sends HELLO at once: a refused token raises
    `AuthenticationError` here. After HELLO, `version`, `namespace_id`, `max_frame_bytes`,
    `max_keys_per_request` and `tiers` hold the server's answer. Use it as a context manager or call
    `close()` (idempotent; later calls raise `ClientClosedError`).

    `checksum` chooses who computes the CRC32C of PUT payloads: "client", "server" (the server computes it
    from the bytes it received; needs a server that grants it in HELLO, else the client does) or "auto" (the
    server when the daemon is on this host, loopback or Unix socket, or when only the pure-Python CRC32C is
    available; the client otherwise). `put_checksum_by_server` tells what was settled.
    A PUT through shared memory (`uses_shared_memory`) always leaves the CRC32C to the server: it reads every
    byte at the commit anyway, to verify or to compute it.

    `unix_socket="/path/kvstore.sock"` connects to the daemon's Unix domain socket (its `dataSocket` setting)
    instead of `host:port`: the same protocol without the TCP/IP stack, for a client on the daemon's host.
    """

    def __init__(self, host="127.0.0.1", port=DEFAULT_PORT, namespace=None, token="", timeout=10.0,
                 connect_timeout=5.0, verify_checksums=False, max_frame_bytes=64 << 20, shared_memory=True,
                 checksum="auto", unix_socket=None):
        if not isinstance(namespace, Namespace):
            raise TypeError("namespace must be a kvstore_client.Namespace, was %r" % (namespace,))
        if checksum not in ("auto", "client", "server"):
            raise ValueError("checksum must be 'auto', 'client' or 'server', was %r" % (checksum,))
        self.put_checksum_by_server = False
        self._server_checksum_granted = False
        self.wants_token_ids = False
        self.namespace = namespace
        self._layout = namespace.layout_id
        self.timeout = timeout
        self.verify_checksums = verify_checksums
        self._max_frame = max_frame_bytes
        self._ids = itertools.count(1)
        self._stream = None
        self._closed = False
        self._broken = None
        self._sock = _open_socket(host, port, unix_socket, connect_timeout)
        want_server_crc = checksum == "server" or (checksum == "auto" and (
            _crc.IMPLEMENTATION == "pure-python" or _local_peer(self._sock)))
        self._sock.settimeout(connect_timeout)
        self._hdr = bytearray(wire.HEADER_BYTES)
        self._shm_dir = None     # set once attached: DRAM hits are read from the server's mapped arena
        self._shm_maps = {}
        self._shm_writer = None  # set once attached: PUT payloads are copied into the server's arena
        try:
            # the shared-memory PUT always lets the server compute the CRC32C: it reads every byte at the commit
            # anyway (to verify a client's), so a client-side pass would be pure cost
            self._hello(token, shared_memory, want_server_crc or shared_memory)
            self.put_checksum_by_server = want_server_crc and self._server_checksum_granted
        except BaseException:
            self.close()
            raise
        self._sock.settimeout(timeout)

    # ------------------------------------------------------------------------------------------ session

    def _hello(self, token, shared_memory=False, server_checksum=False):
        ns = self.namespace
        features = (FEATURE_SHM if shared_memory else 0) | (FEATURE_SERVER_CHECKSUM if server_checksum else 0)
        body = (struct.pack(">B", wire.VERSION) + wire.put_str(ns.model_id) + wire.put_str(ns.dtype)
                + struct.pack(">IIII", ns.layers, ns.kv_heads, ns.head_dim, ns.tokens_per_block)
                + wire.put_str(ns.tenant) + wire.put_str(ns.cache_salt) + wire.put_str(ns.lora_id)
                + wire.put_str(token or "") + (bytes([features]) if features else b""))
        r = wire.Reader(self._unary(Opcode.HELLO, 0, body), "HELLO reply")
        self.version = r.u8("version")
        self.namespace_id = r.i64("namespaceId")
        self.max_frame_bytes = r.u32("maxFrameBytes")
        self.max_keys_per_request = r.u32("maxKeysPerRequest")
        self.tiers = [r.str("tier name") for _ in range(r.u8("tier count"))]
        shm_dir = r.str("shmDirectory") if r.remaining() else ""
        granted = r.u8("features") if r.remaining() else 0
        self._server_checksum_granted = server_checksum and bool(granted & FEATURE_SERVER_CHECKSUM)
        # the server publishes KV events: PUT frames carry their blocks' token ids (docs/events.md)
        self.wants_token_ids = bool(granted & wire.FEATURE_KV_EVENTS)
        # the server finds a hybrid model's resume point in one round trip (kvstore_client.hybrid.resume_point)
        self.answers_hybrid_lookup = bool(granted & wire.FEATURE_HYBRID_LOOKUP)
        if shm_dir:
            self._attach_shm(shm_dir)
        if self.namespace_id != ns.id:
            raise ProtocolError("server computed namespace id %d, this client %d" % (self.namespace_id, ns.id))

    def _attach_shm(self, directory):
        """Same-host shared memory (docs/protocol.md): proves locality by echoing the server's nonce file.
        Stays on the TCP path if the file cannot be read or the server refuses."""
        try:
            with open(os.path.join(directory, "shm.token"), "rb") as f:
                nonce = f.read().decode("ascii")
            self._unary(Opcode.SHM_ATTACH, 0, wire.put_str(nonce))
        except (OSError, UnicodeDecodeError, KvStoreError):
            return
        self._shm_dir = directory
        self._shm_writer = ShmWriter(self, directory)

    @property
    def uses_shared_memory(self):
        """True if DRAM hits are read from the server's shared memory instead of the socket."""
        return self._shm_dir is not None

    def _shm_map(self, name):
        return map_file(self._shm_dir, name, self._shm_maps)

    def _shm_read(self, keys, into):
        """SHM_GET of `keys`: copies the DRAM-resident prefix out of the mapping (into the caller's buffers when
        given), releases the lease, and returns (blocks, more): more = the rest must come over TCP."""
        r = wire.Reader(self._unary(Opcode.SHM_GET, 0, struct.pack(">I", 0) + wire.keys_body(keys)),
                        "SHM_GET reply")
        lease = r.u64("leaseId")
        more = r.u8("more") != 0
        n = r.u32("blocks")
        blocks = []
        try:
            for i in range(n):
                key, parent, position, layout, length, crc = wire.BLOCK_HEADER.unpack(
                    bytes(r.take(wire.BLOCK_HEADER_BYTES, "block header")))
                name = r.str("file")
                offset = r.u64("offset")
                if key != keys[i]:
                    raise ProtocolError("SHM_GET answered block %s where %s was expected" % (key.hex(), keys[i].hex()))
                m = self._shm_map(name)
                if offset + length > len(m):
                    raise ProtocolError("SHM_GET block %d lies outside %s" % (i, name))
                if into is None:
                    payload = memoryview(bytearray(length))
                else:
                    target = byte_view(into(i) if callable(into) else into[i], True, "into buffer %d" % i)
                    if len(target) < length:
                        raise ValueError("block %d is %d bytes but its buffer holds %d" % (i, length, len(target)))
                    payload = target[:length]
                payload[:] = memoryview(m)[offset:offset + length]
                if self.verify_checksums and crc32c(payload) != crc:
                    raise ProtocolError("block %d (%s) fails its CRC32C in shared memory" % (position, key.hex()))
                blocks.append(Block(key, parent, position, layout, crc, payload))
        finally:
            if lease:
                self._unary(Opcode.SHM_RELEASE, 0, struct.pack(">Q", lease))
        return blocks, more

    def close(self):
        """Closes the connection. Idempotent."""
        for m in self._shm_maps.values():
            m.close()
        self._shm_maps.clear()
        if self._shm_writer is not None:
            self._shm_writer.close()
        if not self._closed:
            self._closed = True
            try:
                self._sock.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------------------------------ calls

    def ping(self, data=b""):
        """PING: the server echoes `data` (at most 4 KiB)."""
        return bytes(self._unary(Opcode.PING, 0, bytes(data)))

    def block_keys(self, tokens):
        """The keys of the full blocks of `tokens` in this client's namespace."""
        return self.namespace.block_keys(tokens)

    def lookup_prefix(self, tokens, lease_millis=0, prefetch=False):
        """LOOKUP of the full blocks of `tokens`: the length of the cached prefix and the tier of each hit."""
        return self.lookup(self.namespace.block_keys(tokens), lease_millis, prefetch)

    def lookup(self, keys, lease_millis=0, prefetch=False):
        """LOOKUP of explicit keys. `lease_millis > 0` protects the hits from eviction that long; `prefetch`
        asks the server to promote lower-tier hits toward the top tier."""
        keys = list(keys)
        flags = (FLAG_LEASE if lease_millis > 0 else 0) | (FLAG_PREFETCH if prefetch else 0)
        hit, tiers = 0, []
        for chunk in self._chunks(keys) or [[]]:
            r = wire.Reader(self._unary(Opcode.LOOKUP, flags,
                                        struct.pack(">I", max(0, lease_millis)) + wire.keys_body(chunk)),
                            "LOOKUP reply")
            names = [r.str("tier name") for _ in range(r.u8("name count"))]
            n = r.u32("hitBlocks")
            for ix in r.take(n, "tier indexes"):
                if ix >= len(names):
                    raise ProtocolError("LOOKUP reply: tier index %d outside the name table" % ix)
                tiers.append(names[ix])
            hit += n
            if n < len(chunk):
                break
        return PrefixLookup(keys, hit, tiers, self.namespace.tokens_per_block)

    def hybrid_lookup(self, groups_body, keys, lease_millis=0, prefetch=False):
        """HYBRID_LOOKUP (docs/protocol.md, "Hybrid models") of explicit prefix keys, at most
        `max_keys_per_request` of them; `groups_body` is the request's `u8 groupCount + groups` bytes
        (`kvstore_client.hybrid` builds it). Returns (resume blocks, prefix hit blocks, tier of each object of the
        answer in GET order). Only when `answers_hybrid_lookup`; `kvstore_client.hybrid.resume_point` picks."""
        flags = (FLAG_LEASE if lease_millis > 0 else 0) | (FLAG_PREFETCH if prefetch else 0)
        r = wire.Reader(self._unary(Opcode.HYBRID_LOOKUP, flags, struct.pack(">I", max(0, lease_millis))
                                    + groups_body + wire.keys_body(list(keys))), "HYBRID_LOOKUP reply")
        resume, hit = r.u32("resumeBlocks"), r.u32("prefixHitBlocks")
        names = [r.str("tier name") for _ in range(r.u8("name count"))]
        tiers = []
        for ix in r.take(r.u32("objects"), "tier indexes"):
            if ix >= len(names):
                raise ProtocolError("HYBRID_LOOKUP reply: tier index %d outside the name table" % ix)
            tiers.append(names[ix])
        return resume, hit, tiers

    def stream_prefix(self, tokens, into=None):
        """GET of the full blocks of `tokens`: a `BlockStream` yielding the cached prefix's blocks in order,
        each as it arrives. With `into` (a sequence of writable buffers, one per block, or a function
        position -> buffer), block i's payload is read straight into `into[i]` and `Block.payload` is a view
        of it."""
        return self.stream(self.namespace.block_keys(tokens), into)

    def stream(self, keys, into=None):
        """GET of explicit keys; see `stream_prefix`. On a same-host connection with shared memory the
        DRAM-resident part of the prefix is copied straight out of the server's mapped arena (one memory copy,
        no socket), the rest comes over TCP; the blocks are the same either way."""
        self._check_usable()
        keys = list(keys)
        if self._shm_dir is not None and 0 < len(keys) <= (self.max_keys_per_request or len(keys)):
            first, more = self._shm_read(keys, into)
            if not more:
                return _DoneStream(first)
            n = len(first)
            rest_into = into if into is None else (lambda i: into(i + n)) if callable(into) else \
                (lambda i: into[i + n])
            return _ChainedStream(first, BlockStream(self, keys[n:], rest_into))
        return BlockStream(self, keys, into)

    def get_prefix(self, tokens):
        """The cached prefix of `tokens` as a list of `Block`s (collects `stream_prefix`)."""
        with self.stream_prefix(tokens) as s:
            return list(s)

    def put_blocks(self, tokens, payloads, first_block=0, persisted=False, skip_present=False):
        """PUT the payloads of blocks `first_block ..` of `tokens` (keys and parents from the namespace's
        hashing). `payloads` are bytes-like objects, numpy arrays or CPU torch tensors (sent without a copy);
        a tensor or array whose first dimension is the block index (`payloads[i]` = block i) works too.
        With `skip_present`, only the blocks the server lacks are sent (`put_missing`)."""
        payloads = list(payloads)
        keys = self.namespace.block_keys(tokens)
        if first_block < 0 or first_block + len(payloads) > len(keys):
            raise ValueError("blocks %d..%d requested but the tokens have %d full blocks"
                             % (first_block, first_block + len(payloads) - 1, len(keys)))
        root = self.namespace.root
        per = self.namespace.tokens_per_block
        blocks = [BlockToPut(keys[p], keys[p - 1] if p > 0 else root, p, payload,
                             token_ids=tokens[p * per:(p + 1) * per])
                  for p, payload in enumerate(payloads, start=first_block)]
        return self.put_missing(blocks, persisted) if skip_present else self.put(blocks, persisted)

    def put(self, blocks, persisted=False):
        """PUT explicit blocks (`BlockToPut`); requests of at most `max_keys_per_request` blocks. With shared
        memory attached (`uses_shared_memory`) the payloads are copied straight into the server's arena
        (SHM_PUT, docs/protocol.md) instead of being sent; the ack is the same."""
        shm = self._shm_writer is not None and self._shm_writer.supported
        by_server = self._server_checksum_granted if shm else self.put_checksum_by_server
        all_frames = [self._block_frame(b, by_server) for b in blocks]  # every block validated before any is sent
        if shm and all_frames:
            codes, durable = self._shm_writer.put(all_frames, persisted, self._put_frames)
        else:
            codes, durable = self._put_frames(all_frames, persisted)
        return PutAck(codes, persisted and durable and bool(codes))

    def _put_frames(self, all_frames, persisted):
        """PUT over the socket: (codes, durable) of `all_frames` (from `_block_frame`)."""
        codes, durable = [], True
        for frames in self._chunks(all_frames):
            self._begin()
            rid = next(self._ids)
            for i, (head, payload, by_server, tokens) in enumerate(frames):
                flags = (FLAG_END if i == len(frames) - 1 else 0) | (FLAG_ACK_PERSISTED if persisted else 0) \
                    | (FLAG_SERVER_CHECKSUM if by_server else 0) | (wire.FLAG_TOKENS if tokens else 0)
                self._sendv(wire.header(Opcode.PUT, flags, rid, len(head) + len(payload)) + head, payload,
                            Opcode.PUT)
            r = wire.Reader(self._answer(Opcode.PUT, rid), "PUT ack")
            codes.extend(PutCode.of(c) for c in r.codes("put codes"))
            durable &= r.u8("durable") == 1
        return codes, durable

    def put_missing(self, blocks, persisted=False):
        """PUT of only the blocks the server lacks (LMCache's skip_existing): one EXISTS for all their keys, then
        a PUT of those NOT_FOUND. The ack has a code per block of `blocks`, in order, ALREADY_PRESENT for those not
        sent. Worth it when blocks are large and some may be cached already: an engine that missed in the middle of
        a prefix stores everything after the miss, and the blocks still cached after the gap need not be sent again.
        A block evicted between the two round trips is simply not stored this time."""
        blocks = list(blocks)
        if not blocks:
            return PutAck([], False)
        for b in blocks:
            if len(b.key) != 32:
                raise ValueError("block %r: key must be 32 bytes" % (b.position,))
        present = self.exists([bytes(b.key) for b in blocks])
        missing = [b for b, o in zip(blocks, present) if o == KeyOutcome.NOT_FOUND]
        ack = self.put(missing, persisted) if missing else PutAck([], False)
        sent = iter(ack.codes)
        codes = [next(sent) if o == KeyOutcome.NOT_FOUND else PutCode.ALREADY_PRESENT for o in present]
        return PutAck(codes, ack.durable)

    def _block_frame(self, b, checksum_by_server):
        """The block header (with the token ids when the server wants them), payload view, whether the server
        computes the checksum and whether token ids are sent, of one PUT frame; ValueError or TypeError on a bad
        block."""
        payload = byte_view(b.payload, what="payload of block %r" % (b.position,))
        n = len(payload)
        if wire.HEADER_BYTES + wire.BLOCK_HEADER_BYTES + n > self.max_frame_bytes:
            raise ValueError("block %d is %d bytes; the server's frame limit allows %d"
                             % (b.position, n, self.max_frame_bytes - wire.HEADER_BYTES - wire.BLOCK_HEADER_BYTES))
        if len(b.key) != 32 or len(b.parent) != 32:
            raise ValueError("block %d: key and parent must be 32 bytes" % b.position)
        if not isinstance(b.position, int) or not 0 <= b.position < 2 ** 31:
            raise ValueError("block position must be in 0..2^31-1, was %r" % (b.position,))
        by_server = b.crc is None and checksum_by_server
        crc = b.crc if b.crc is not None else 0 if by_server else crc32c(payload)
        head = wire.BLOCK_HEADER.pack(bytes(b.key), bytes(b.parent), b.position, self._layout, n, crc)
        tokens = b.token_ids is not None and self.wants_token_ids
        if tokens:
            ids = list(b.token_ids)
            if len(ids) != self.namespace.tokens_per_block:
                raise ValueError("block %d carries %d token ids; a block of this namespace has %d"
                                 % (b.position, len(ids), self.namespace.tokens_per_block))
            head += struct.pack(">I%dI" % len(ids), len(ids), *ids)
        return head, payload, by_server, tokens

    def exists(self, keys):
        """EXISTS: PRESENT or NOT_FOUND per key."""
        return self._key_op(Opcode.EXISTS, keys)

    def delete(self, keys):
        """DELETE: DELETED or NOT_FOUND per key."""
        return self._key_op(Opcode.DELETE, keys)

    def pin(self, keys):
        """PIN: the blocks are never evicted until unpinned (PINNED or NOT_FOUND per key)."""
        return self._key_op(Opcode.PIN, keys)

    def unpin(self, keys):
        """UNPIN: releases one pin per block (UNPINNED, NOT_PINNED or NOT_FOUND per key)."""
        return self._key_op(Opcode.UNPIN, keys)

    def stats(self):
        """STATS: block count and per-tier counters."""
        r = wire.Reader(self._unary(Opcode.STATS, 0, b""), "STATS reply")
        blocks = r.u64("blocks")
        tiers = []
        for _ in range(r.u16("tier count")):
            name, policy = r.str("tier name"), r.str("policy")
            tiers.append(TierStats(name, policy, *struct.unpack(">10Q", r.take(80, "tier counters"))))
        return Stats(blocks, tiers)

    # ------------------------------------------------------------------------------------------ plumbing

    def _key_op(self, op, keys):
        out = []
        for chunk in self._chunks(list(keys)):
            r = wire.Reader(self._unary(op, 0, wire.keys_body(chunk)), op.name + " reply")
            codes = r.codes("outcomes")
            if len(codes) != len(chunk):
                raise ProtocolError("%s reply has %d outcomes for %d keys" % (op.name, len(codes), len(chunk)))
            out.extend(KeyOutcome(c) if c in KeyOutcome._value2member_map_ else c for c in codes)
        return out

    def _chunks(self, items):
        n = getattr(self, "max_keys_per_request", 0) or len(items) or 1
        return [items[i:i + n] for i in range(0, len(items), n)]

    def _check_usable(self):
        if self._closed and self._broken is None:
            raise ClientClosedError("the client is closed")
        if self._broken is not None:
            raise ConnectionClosedError("the connection is closed after an earlier error: %s" % self._broken)

    def _begin(self):
        """Before a new request: finishes (drains) an unfinished stream."""
        self._check_usable()
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def _unary(self, op, flags, body):
        return self._answer(op, self._send_request(op, flags, body))

    def _send_request(self, op, flags, body):
        """Sends a one-frame request without waiting for its answer; returns its id (for `_answer`)."""
        self._begin()
        rid = next(self._ids)
        self._send(wire.header(op, flags, rid, len(body)) + body, op)
        return rid

    def _answer(self, op, rid):
        """Reads the one-frame answer of request `rid`; raises its error."""
        _, flags, status, got, n = self._read_header(op, rid)
        body = self._recv_exact(n, op)
        if status:
            self._raise_error(status, body, op)
        return body

    def _raise_error(self, status, body, op):
        try:
            msg = wire.Reader(body, "error").str("message")
        except ProtocolError:
            msg = bytes(body).decode("utf-8", "replace")
        err = server_error(status, msg, op.name)
        if err.fatal:
            self._fail(str(err))
        raise err

    def _read_header(self, op, rid, context=""):
        h = self._hdr
        self._recv_into(memoryview(h), op, context)
        magic, version, opcode, flags, status, _, got, n = wire.HEADER.unpack(h)
        if magic != wire.MAGIC or version != wire.VERSION:
            self._fail("bad frame header")
            raise ProtocolError("server sent a frame with magic 0x%04x version %d" % (magic, version))
        if got != rid or opcode != op:
            self._fail("out-of-order answer")
            raise ProtocolError("expected an answer to %s #%d, got opcode %d #%d" % (op.name, rid, opcode, got))
        if n > max(self._max_frame, getattr(self, "max_frame_bytes", 0)):
            self._fail("oversized frame")
            raise ProtocolError("server sent a %d-byte body, above the frame limit" % n)
        return opcode, flags, status, got, n

    def _fail(self, why):
        """Marks the connection unusable (framing lost) and closes it."""
        if self._broken is None:
            self._broken = why
        self.close()

    def _send(self, data, op):
        self._sendv(data, b"", op)

    def _sendv(self, head, payload, op):
        """Sends `head` then `payload` in as few system calls as the kernel takes (sendmsg gathers both)."""
        if self._closed:
            self._check_usable()
        bufs = [memoryview(head), payload]
        try:
            while bufs:
                sent = self._sock.sendmsg(bufs)
                while bufs and sent >= len(bufs[0]):
                    sent -= len(bufs[0])
                    bufs.pop(0)
                if bufs and sent:
                    bufs[0] = bufs[0][sent:]
        except socket.timeout:
            self._fail("timed out sending %s" % op.name)
            raise TimeoutError_("could not send %s to the server within %.1f s" % (op.name, self._sock.gettimeout())) \
                from None
        except OSError as e:
            err = self._error_after_send_failure(op)
            self._fail("connection lost sending %s: %s" % (op.name, e))
            if err is not None:
                raise err from e
            raise ConnectionClosedError("connection to the server lost while sending %s: %s" % (op.name, e)) \
                from e

    def _error_after_send_failure(self, op):
        """After a failed send: the error frame the server sent before closing (e.g. SHUTTING_DOWN), if any."""
        try:
            self._sock.settimeout(0.5)
            data = b""
            while True:
                chunk = self._sock.recv(1 << 16)
                if not chunk:
                    break
                data += chunk
                if len(data) >= wire.HEADER_BYTES:
                    *_, status, _, _, n = wire.HEADER.unpack(data[:wire.HEADER_BYTES])
                    if len(data) >= wire.HEADER_BYTES + n:
                        if not status:
                            return None
                        msg = bytes(data[wire.HEADER_BYTES:wire.HEADER_BYTES + n])
                        try:
                            text = wire.Reader(msg, "error").str("message")
                        except ProtocolError:
                            text = msg.decode("utf-8", "replace")
                        return server_error(status, text, op.name)
        except (OSError, struct.error):
            pass
        return None

    def _recv_exact(self, n, op):
        buf = bytearray(n)
        if n:
            self._recv_into(memoryview(buf), op)
        return buf

    def _recv_into(self, mv, op, context=""):
        got, n = 0, len(mv)
        while got < n:
            try:
                r = self._sock.recv_into(mv[got:])
            except socket.timeout:
                self._fail("timed out in %s" % op.name)
                raise TimeoutError_("no answer to %s within %.1f s%s" % (op.name, self._sock.gettimeout(), context)) \
                    from None
            except OSError as e:
                if self._closed and self._broken is None:
                    raise ClientClosedError("the client was closed during %s" % op.name) from None
                self._fail("connection lost during %s: %s" % (op.name, e))
                raise ConnectionClosedError("connection to the server lost during %s%s: %s"
                                            % (op.name, context, e)) from e
            if r == 0:
                self._fail("server closed the connection during %s" % op.name)
                raise ConnectionClosedError("the server closed the connection during %s%s%s"
                                            % (op.name, context, " (inside a frame)" if got else ""))
            got += r


class BlockStream:
    """The blocks of one GET, in request order, each as soon as it arrives (an iterator of `Block`).

    Ends at the first key the server does not have (the cached prefix). `blocks_received` counts blocks so
    far. `close()` (or leaving a `with` block) reads and drops what the server still sends, so the connection
    stays usable; starting another call on the client does the same. Requests longer than the server's
    `max_keys_per_request` are sent as consecutive GETs, the next only if the previous was a full hit.
    """

    def __init__(self, client, keys, into):
        self._c = client
        self._keys = keys
        self._into = into
        self._chunks = client._chunks(keys)
        self._chunk = -1
        self._in_chunk = 0
        self._rid = None
        self._done = False
        self.blocks_received = 0
        self._blk = bytearray(wire.BLOCK_HEADER_BYTES)
        client._begin()
        client._stream = self
        self._next_request()

    def _next_request(self):
        self._chunk += 1
        if self._chunk >= len(self._chunks):
            self._finish()
            return
        self._in_chunk = 0
        self._rid = next(self._c._ids)
        body = wire.keys_body(self._chunks[self._chunk])
        self._c._send(wire.header(Opcode.GET, 0, self._rid, len(body)) + body, Opcode.GET)

    def _finish(self):
        self._done = True
        if self._c._stream is self:
            self._c._stream = None

    def __iter__(self):
        return self

    def __next__(self):
        while not self._done:
            c = self._c
            c._check_usable()
            ctx = " (after %d of %d blocks)" % (self.blocks_received, len(self._keys))
            try:
                _, flags, status, _, n = c._read_header(Opcode.GET, self._rid, ctx)
            except KvStoreError:
                self._done = True
                raise
            if status:
                self._done = True
                c._raise_error(status, c._recv_exact(n, Opcode.GET), Opcode.GET)
            if flags & FLAG_END:
                sent = struct.unpack(">I", bytes(c._recv_exact(n, Opcode.GET)[:4]))[0] if n >= 4 else -1
                if sent != self._in_chunk:
                    c._fail("bad GET end frame")
                    raise ProtocolError("GET end frame says %d blocks, %d arrived" % (sent, self._in_chunk))
                if self._in_chunk == len(self._chunks[self._chunk]):
                    self._next_request()
                else:
                    self._finish()
                continue
            return self._read_block(n, ctx)
        raise StopIteration

    def _read_block(self, n, ctx):
        c = self._c
        if n < wire.BLOCK_HEADER_BYTES:
            c._fail("short block frame")
            raise ProtocolError("GET block frame of %d bytes is shorter than its block header" % n)
        length = n - wire.BLOCK_HEADER_BYTES
        try:
            c._recv_into(memoryview(self._blk), Opcode.GET, ctx)
            key, parent, position, layout, blen, crc = wire.BLOCK_HEADER.unpack(self._blk)
            if blen != length:
                c._fail("bad block length")
                raise ProtocolError("block length field %d but the frame carries %d" % (blen, length))
            expected = self._keys[self.blocks_received]
            if key != expected:
                c._fail("unexpected block")
                raise ProtocolError("GET answered block %s where %s was expected" % (key.hex(), expected.hex()))
            if self._into is None:
                payload = memoryview(bytearray(length))
            else:
                target = self._into(self.blocks_received) if callable(self._into) else \
                    self._into[self.blocks_received]
                target = byte_view(target, True, "into buffer %d" % self.blocks_received)
                if len(target) < length:
                    c._fail("caller buffer too small")
                    raise ValueError("block %d is %d bytes but its buffer holds %d"
                                     % (self.blocks_received, length, len(target)))
                payload = target[:length]
            c._recv_into(payload, Opcode.GET, ctx)
        except BaseException:
            self._done = True
            raise
        if c.verify_checksums and crc32c(payload) != crc:
            self._done = True
            c._fail("checksum mismatch")
            raise ProtocolError("block %d (%s) fails its CRC32C" % (position, key.hex()))
        self.blocks_received += 1
        self._in_chunk += 1
        return Block(key, parent, position, layout, crc, payload)

    def close(self):
        """Reads and drops the rest of the stream (the connection stays usable). Idempotent."""
        if self._done or self._c._closed:
            self._finish()
            return
        self._into = None  # the rest goes to scratch buffers, not the caller's
        try:
            for _ in self:
                pass
        except KvStoreError:
            pass
        finally:
            self._finish()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _DoneStream:
    """The blocks of a GET read entirely from shared memory (same interface as `BlockStream`)."""

    def __init__(self, blocks):
        self._it = iter(blocks)
        self.blocks_received = 0

    def __iter__(self):
        return self

    def __next__(self):
        b = next(self._it)
        self.blocks_received += 1
        return b

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _ChainedStream(_DoneStream):
    """Blocks read from shared memory, then the rest of the prefix from a TCP `BlockStream`."""

    def __init__(self, blocks, tail):
        super().__init__(blocks)
        self._tail = tail

    def __next__(self):
        try:
            return super().__next__()
        except StopIteration:
            b = next(self._tail)
            self.blocks_received += 1
            return b

    def close(self):
        self._tail.close()


def connect(host="127.0.0.1", port=DEFAULT_PORT, namespace=None, token="", **options):
    """Opens a `KvStoreClient` (connects and sends HELLO); `unix_socket=PATH` instead of host and port connects to
    the daemon's Unix domain socket."""
    return KvStoreClient(host, port, namespace, token, **options)
