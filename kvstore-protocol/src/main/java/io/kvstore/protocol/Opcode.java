package io.kvstore.protocol;

/**
 * Operation codes of protocol version 1 (see docs/protocol.md). A response carries the opcode of its request.
 */
public enum Opcode {
    /** Opens a session: protocol version, namespace, auth token. Must be the first request. */
    HELLO(0x01),
    /** Longest cached prefix of a list of keys, with the tier of each hit; optional lease and prefetch. */
    LOOKUP(0x02),
    /** Streams blocks in order, one frame per block, then an end frame. */
    GET(0x03),
    /** Stores blocks, one frame per block; the frame flagged END closes the request and gets the ack. */
    PUT(0x04),
    /** Which of a list of keys are cached. */
    EXISTS(0x05),
    /** Removes blocks. */
    DELETE(0x06),
    /** Pins blocks (never evicted until unpinned). */
    PIN(0x07),
    /** Releases one pin per block. */
    UNPIN(0x08),
    /** Store counters per tier. */
    STATS(0x09),
    /** Echoes its body. */
    PING(0x0A),
    /** Same-host shared memory: proves the client can read the server's nonce file (docs/protocol.md). */
    SHM_ATTACH(0x0B),
    /** Same-host shared memory: where the cached prefix lies in the mapped arena files, under a read lease. */
    SHM_GET(0x0C),
    /** Same-host shared memory: ends a read lease. */
    SHM_RELEASE(0x0D),
    /** Hybrid models: the deepest prefix every group of the model can resume from, and its objects' tiers. */
    HYBRID_LOOKUP(0x0E),
    /** Same-host shared memory: reserves room for blocks in the mapped arena and answers where to write them. */
    SHM_PUT(0x0F),
    /** Same-host shared memory: publishes (or aborts) the blocks an SHM_PUT reserved, once written. */
    SHM_COMMIT(0x10);

    private static final Opcode[] BY_CODE = new Opcode[256];

    static {
        for (Opcode o : values()) {
            BY_CODE[o.code] = o;
        }
    }

    private final int code;

    Opcode(int code) {
        this.code = code;
    }

    /** The byte on the wire. */
    public int code() {
        return code;
    }

    /** The opcode for a wire byte, or null if version 1 does not define it. */
    public static Opcode of(int code) {
        return BY_CODE[code & 0xFF];
    }
}
