#!/usr/bin/env python3
"""A KV-event consumer written from vLLM's documented format (vllm/distributed/kv_events.py), not from kvstore's
code: subscribes to a publisher's PUB socket, decodes every batch, recovers missed batches from the ROUTER replay
socket, and keeps a view of which block hash is held in which medium.

Needs pyzmq and msgpack (Debian: python3-zmq python3-msgpack; run with /usr/bin/python3).

    /usr/bin/python3 tools/kv_events_consumer.py --endpoint tcp://127.0.0.1:5557 --replay tcp://127.0.0.1:5558

Wire format (vLLM):
  message  = [topic, seq (8 bytes, big-endian), payload]
  payload  = msgpack [ts, [event, ...], data_parallel_rank]
  event    = ["BlockStored", block_hashes, parent_block_hash, token_ids, block_size, lora_id, medium, lora_name, ...]
           | ["BlockRemoved", block_hashes, medium, ...]
           | ["AllBlocksCleared"]
  replay   = send [b"", start_seq (8 bytes)] to the ROUTER; it answers [b"", seq, payload] per buffered batch from
             start_seq, then [b"", -1 (8 bytes, signed), b""].

With --until-stdin the consumer reads a sequence number from stdin and, once every batch up to it is decoded,
prints a JSON summary (the view, token ids per stored hash, counts, gaps and how they were recovered) and exits.
--drop-seq N pretends batch N was lost in transit, to exercise recovery by replay.
"""
import argparse
import json
import sys
import threading
import time

import msgpack
import zmq

END_SEQ = -1


def hash_key(h):
    """A block hash as a JSON-friendly string: an integer in decimal, bytes in hex."""
    return h.hex() if isinstance(h, (bytes, bytearray)) else str(h)


class View:
    """Which medium holds each block hash, from the events applied in sequence order."""

    def __init__(self):
        self.media = {}          # hash -> set of media
        self.tokens = {}         # hash -> token ids of its last BlockStored that carried them
        self.parents = {}        # hash -> parent hash (None for a first block)
        self.block_sizes = {}
        self.stored = {}         # medium -> BlockStored events
        self.removed = {}        # medium -> BlockRemoved events
        self.cleared = 0

    def apply(self, event):
        tag = event[0]
        if tag == "BlockStored":
            hashes, parent, token_ids, block_size = event[1], event[2], event[3], event[4]
            medium = event[6] if len(event) > 6 else None
            per = block_size if block_size else 0
            for i, h in enumerate(hashes):
                k = hash_key(h)
                self.media.setdefault(k, set()).add(medium)
                self.parents[k] = hash_key(parent) if (i == 0 and parent is not None) else (
                    hash_key(hashes[i - 1]) if i > 0 else None)
                if token_ids:
                    self.tokens[k] = list(token_ids[i * per:(i + 1) * per]) if per else list(token_ids)
                    self.block_sizes[k] = block_size
            self.stored[medium] = self.stored.get(medium, 0) + len(hashes)
        elif tag == "BlockRemoved":
            hashes = event[1]
            medium = event[2] if len(event) > 2 else None
            for h in hashes:
                k = hash_key(h)
                s = self.media.get(k)
                if s is not None:
                    s.discard(medium)
                    if not s:
                        del self.media[k]
            self.removed[medium] = self.removed.get(medium, 0) + len(hashes)
        elif tag == "AllBlocksCleared":
            self.media.clear()
            self.cleared += 1
        else:
            raise ValueError("unknown event tag %r" % (tag,))


class Consumer:
    def __init__(self, endpoint, replay_endpoint, topic=b"", drop_seq=None):
        self.ctx = zmq.Context()
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.SUBSCRIBE, topic)
        self.sub.connect(endpoint)
        self.replay_endpoint = replay_endpoint
        self.drop_seq = drop_seq
        self.view = View()
        self.next_seq = 0        # the next batch to apply
        self.pending = {}        # seq -> payload received out of order
        self.batches = 0
        self.replayed = 0
        self.gaps = []           # [first missing, last missing, recovered by replay (bool)]
        self.lost = 0            # batches neither received nor replayable (the publisher dropped events)

    def decode(self, payload):
        batch = msgpack.unpackb(payload, raw=False, strict_map_key=False)
        if not isinstance(batch, list) or len(batch) < 2:
            raise ValueError("a batch is [ts, events, rank], got %r" % (batch,))
        ts, events = batch[0], batch[1]
        if not isinstance(ts, float):
            raise ValueError("batch timestamp is not a float: %r" % (ts,))
        return events

    def replay_from(self, start):
        """Asks the replay socket for every buffered batch from `start`; returns {seq: payload}."""
        req = self.ctx.socket(zmq.DEALER)
        req.setsockopt(zmq.LINGER, 0)
        req.connect(self.replay_endpoint)
        req.send_multipart([b"", start.to_bytes(8, "big")])
        got = {}
        poller = zmq.Poller()
        poller.register(req, zmq.POLLIN)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not poller.poll(1000):
                continue
            frames = req.recv_multipart()
            _, seq_b, payload = frames
            seq = int.from_bytes(seq_b, "big", signed=True)
            if seq == END_SEQ:
                break
            got[seq] = payload
        else:
            raise RuntimeError("no end of replay within 10 s")
        req.close()
        return got

    def on_batch(self, seq, payload):
        if seq < self.next_seq:
            return
        self.pending[seq] = payload
        if seq > self.next_seq and self.replay_endpoint:
            first_missing = self.next_seq
            replayed = self.replay_from(first_missing)
            recovered = all(s in replayed or s in self.pending for s in range(first_missing, seq))
            for s, p in replayed.items():
                if s >= self.next_seq and s not in self.pending:
                    self.pending[s] = p
                    self.replayed += 1
            self.gaps.append([first_missing, seq - 1, recovered])
        while self.pending:
            if self.next_seq in self.pending:
                p = self.pending.pop(self.next_seq)
                for e in self.decode(p):
                    self.view.apply(e)
                self.batches += 1
                self.next_seq += 1
            elif min(self.pending) > self.next_seq:
                # not received and not replayable: the publisher skipped it (events dropped), or it left the buffer
                self.lost += min(self.pending) - self.next_seq
                self.next_seq = min(self.pending)
            else:
                break

    def run(self, until=None, timeout=120, verbose=False):
        deadline = time.monotonic() + timeout
        poller = zmq.Poller()
        poller.register(self.sub, zmq.POLLIN)
        while time.monotonic() < deadline:
            target = until[0] if until else None
            if target is not None and self.next_seq > target:
                return True
            if not poller.poll(200):
                if target is not None and self.next_seq <= target and self.replay_endpoint:
                    # quiet, but batches are missing (the last ones dropped in transit, or joined late): replay
                    for s, p in self.replay_from(self.next_seq).items():
                        self.on_batch(s, p)
                continue
            topic, seq_b, payload = self.sub.recv_multipart()
            seq = int.from_bytes(seq_b, "big")
            if seq == self.drop_seq:
                self.drop_seq = None
                continue  # pretend it was lost in transit
            if verbose:
                print("seq %d: %s" % (seq, self.decode(payload)), flush=True)
            self.on_batch(seq, payload)
        return False

    def summary(self):
        v = self.view
        return {
            "batches": self.batches, "replayed": self.replayed, "gaps": self.gaps, "lost": self.lost,
            "cleared": v.cleared, "stored": v.stored, "removed": v.removed,
            "view": {k: sorted(m for m in s if m) for k, s in v.media.items()},
            "tokens": v.tokens, "parents": v.parents, "block_sizes": v.block_sizes,
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--replay", default="")
    ap.add_argument("--topic", default="")
    ap.add_argument("--drop-seq", type=int, default=None)
    ap.add_argument("--until-stdin", action="store_true")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--ready-file", default="")
    args = ap.parse_args()
    c = Consumer(args.endpoint, args.replay, args.topic.encode(), args.drop_seq)
    if args.ready_file:
        time.sleep(0.3)  # the SUB socket's subscription reaches the publisher
        open(args.ready_file, "w").close()
    until = [None]
    if args.until_stdin:
        def read():
            line = sys.stdin.readline()
            until[0] = int(line.strip())
        threading.Thread(target=read, daemon=True).start()
        ok = c.run(until, args.timeout)
        print(json.dumps(c.summary()))
        sys.exit(0 if ok else 1)
    c.run(None, float("inf"), verbose=True)


if __name__ == "__main__":
    main()
