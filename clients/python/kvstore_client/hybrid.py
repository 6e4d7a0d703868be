"""Hybrid models (attention + recurrent or sliding-window layers): group objects and where an engine can resume.

A hybrid model's layers fall into *groups* (docs/protocol.md, "Hybrid models"):

- `Group.full()`: full attention, every block needed from the start. Group 0 is always this one: its blocks are
  the namespace's ordinary prefix blocks (docs/hashing.md), so a Transformer is a hybrid with one group.
- `Group.window(tokens)`: sliding-window attention over the last `tokens` tokens: only the blocks inside the
  window before the resume point are needed.
- `Group.state(nbytes)`: a recurrent (Mamba) layer's state, updated in place: one fixed-size snapshot taken
  exactly at the resume point.

The object of group g >= 1 at block i is stored as an ordinary kvstore block whose key is derived from block i's
prefix key (`group_key`), whose parent is that prefix key and whose position is i. The server needs nothing new:
it stores, evicts and streams these like any block, and its chain-aware policies see each group object as a child
of the prefix it belongs to.

`resume_point` answers a hybrid LOOKUP: the longest prefix of full blocks the engine can resume after, given every
group: in one round trip (HYBRID_LOOKUP) when the daemon says in HELLO that it answers it, else from one LOOKUP and
one EXISTS per other group (older daemons). `put_group_objects` stores the objects of one group.
"""
import hashlib
import struct
from dataclasses import dataclass, field
from typing import Dict, List

from .client import BlockToPut
from .wire import KeyOutcome

_GROUP_TAG = b"kvstore-group-v1"
FULL, WINDOW, STATE = "full", "window", "state"
_KIND_CODE = {FULL: 0, WINDOW: 1, STATE: 2}  # HYBRID_LOOKUP's u8 kind


def group_key(prefix_key, group_id):
    """The key of group `group_id`'s object at the block whose prefix key is `prefix_key`:
    SHA-256(u32 len || "kvstore-group-v1" || prefix key (32 bytes) || group id u32), all big-endian."""
    if len(prefix_key) != 32:
        raise ValueError("a prefix key is 32 bytes, got %d" % len(prefix_key))
    if not isinstance(group_id, int) or isinstance(group_id, bool) or not 1 <= group_id < 2 ** 31:
        raise ValueError("group id must be an int in 1..2^31-1 (group 0 is the prefix blocks), got %r"
                         % (group_id,))
    return hashlib.sha256(struct.pack(">I", len(_GROUP_TAG)) + _GROUP_TAG + bytes(prefix_key)
                          + struct.pack(">I", group_id)).digest()


@dataclass(frozen=True)
class Group:
    """One group of a hybrid model's layers. Build with `Group.full()`, `Group.window(tokens)`,
    `Group.state(nbytes)`."""
    kind: str
    window_tokens: int = 0
    state_bytes: int = 0

    @staticmethod
    def full():
        return Group(FULL)

    @staticmethod
    def window(tokens):
        if not isinstance(tokens, int) or tokens < 1:
            raise ValueError("a sliding window is at least 1 token, got %r" % (tokens,))
        return Group(WINDOW, window_tokens=tokens)

    @staticmethod
    def state(nbytes):
        if not isinstance(nbytes, int) or nbytes < 1:
            raise ValueError("a state snapshot is at least 1 byte, got %r" % (nbytes,))
        return Group(STATE, state_bytes=nbytes)

    def blocks_before(self, resume_blocks, tokens_per_block):
        """Block indexes of this group's objects that a resume after `resume_blocks` blocks needs."""
        if self.kind == FULL:
            return list(range(resume_blocks))
        if self.kind == WINDOW:
            n = -(-self.window_tokens // tokens_per_block)  # ceil
            return list(range(max(0, resume_blocks - n), resume_blocks))
        return [resume_blocks - 1] if resume_blocks > 0 else []


def check_groups(groups):
    groups = list(groups)
    if not groups or groups[0].kind != FULL:
        raise ValueError("group 0 must be Group.full(): the namespace's prefix blocks")
    if any(g.kind == FULL for g in groups[1:]):
        raise ValueError("only group 0 is full attention (one chain of prefix blocks per namespace)")
    return groups


def groups_body(groups):
    """HYBRID_LOOKUP's group list: u8 count, then per group u8 kind (0 full, 1 window, 2 state) and u32 value
    (0, window tokens, snapshot bytes)."""
    groups = check_groups(groups)
    if len(groups) > 255:
        raise ValueError("at most 255 groups, got %d" % len(groups))
    return bytes([len(groups)]) + b"".join(
        struct.pack(">BI", _KIND_CODE[g.kind], g.window_tokens if g.kind == WINDOW else g.state_bytes)
        for g in groups)


@dataclass
class Resume:
    """Where a hybrid engine can resume: after `blocks` full blocks. `keys[g]` are the keys of the objects of
    group g it must read (group 0: the prefix blocks 0..blocks-1), in block order."""
    blocks: int
    keys: Dict[int, List[bytes]] = field(default_factory=dict)

    @property
    def tokens(self):
        return self._tokens_per_block * self.blocks

    @property
    def objects(self):
        """Every key to read, in the order a GET of them streams: group after group, each in block order."""
        return [k for g in sorted(self.keys) for k in self.keys[g]]

    _tokens_per_block: int = 0


def resume_point(client, tokens, groups, max_blocks=None, lease_millis=0, server=None):
    """Hybrid LOOKUP of `tokens` (their full blocks, at most `max_blocks`): the deepest block boundary j such that
    every group has what a resume there needs: group 0's blocks 0..j-1, each window group's objects for the blocks
    inside its window before j, each state group's snapshot at block j-1. Asked of the daemon in one round trip when
    it answers HYBRID_LOOKUP (`lease_millis > 0` then protects every object of the answer from eviction that long),
    else one LOOKUP and one EXISTS per other group (no lease); `server=False` forces the latter. Not an access; a
    `Resume` with the keys to GET."""
    groups = check_groups(groups)
    b = client.namespace.tokens_per_block
    keys = client.namespace.block_keys(tokens)
    if max_blocks is not None:
        keys = keys[:max_blocks]
    if server is not False and getattr(client, "answers_hybrid_lookup", False):
        j = client.hybrid_lookup(groups_body(groups), keys[:client.max_keys_per_request], lease_millis)[0] \
            if keys else 0
    else:
        j = _resume_blocks(client, keys, groups, b)
    r = Resume(j, {0: keys[:j]}, _tokens_per_block=b)
    for g in range(1, len(groups)):
        r.keys[g] = [group_key(keys[i], g) for i in groups[g].blocks_before(j, b)]
    return r


def _resume_blocks(client, keys, groups, b):
    """For daemons without HYBRID_LOOKUP: one LOOKUP, one EXISTS per other group, the same rule as the daemon's."""
    h = client.lookup(keys).hit_blocks if keys else 0
    present = {}
    for g in range(1, len(groups)):
        gk = [group_key(k, g) for k in keys[:h]]
        present[g] = [o == KeyOutcome.PRESENT for o in client.exists(gk)] if gk else []
    for j in range(h, 0, -1):
        if all(all(present[g][i] for i in groups[g].blocks_before(j, b)) for g in range(1, len(groups))):
            return j
    return 0


def put_group_objects(client, tokens, group_id, first_block, payloads, persisted=False):
    """PUT group `group_id`'s objects for blocks `first_block ..` of `tokens` (a snapshot: one payload, the state
    after block `first_block`)."""
    keys = client.namespace.block_keys(tokens)
    payloads = list(payloads)
    if first_block < 0 or first_block + len(payloads) > len(keys):
        raise ValueError("objects for blocks %d..%d requested but the tokens have %d full blocks"
                         % (first_block, first_block + len(payloads) - 1, len(keys)))
    blocks = [BlockToPut(group_key(keys[i], group_id), keys[i], i, p)
              for i, p in enumerate(payloads, start=first_block)]
    return client.put(blocks, persisted)
