package io.kvstore.core.hybrid;

/**
 * One group of a hybrid model's layers (docs/protocol.md, "Hybrid models"): what a resume after a number of blocks
 * needs of it. Group 0 of a model is always {@link #full()}: the namespace's prefix blocks. Shared by the clients (which
 * store group objects and may compute a resume point themselves) and the server (which answers HYBRID_LOOKUP).
 *
 * @param kind         full attention, sliding-window attention, or recurrent state
 * @param windowTokens the window of a {@link Kind#WINDOW} group, else 0
 * @param stateBytes   the snapshot size of a {@link Kind#STATE} group, else 0
 */
public record Group(Kind kind, int windowTokens, int stateBytes) {

    /** The kinds of group. */
    public enum Kind {
        /** Full attention: every block from the start. */
        FULL,
        /** Sliding-window attention: the blocks inside the window before the resume point. */
        WINDOW,
        /** Recurrent state, updated in place: one snapshot exactly at the resume point. */
        STATE
    }

    public Group {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        if (kind == Kind.WINDOW ? windowTokens < 1 : windowTokens != 0) {
            throw new IllegalArgumentException("a sliding window is at least 1 token; other groups have none");
        }
        if (kind == Kind.STATE ? stateBytes < 1 : stateBytes != 0) {
            throw new IllegalArgumentException("a state snapshot is at least 1 byte; other groups have none");
        }
    }

    /** Full attention. */
    public static Group full() {
        return new Group(Kind.FULL, 0, 0);
    }

    /** Sliding-window attention over the last {@code tokens} tokens. */
    public static Group window(int tokens) {
        return new Group(Kind.WINDOW, tokens, 0);
    }

    /** A recurrent state of {@code bytes} bytes. */
    public static Group state(int bytes) {
        return new Group(Kind.STATE, 0, bytes);
    }

    /** The first block (inclusive) of this group's objects a resume after {@code resumeBlocks} blocks needs. */
    public int firstNeeded(int resumeBlocks, int tokensPerBlock) {
        return switch (kind) {
            case FULL -> 0;
            case WINDOW -> Math.max(0, resumeBlocks - (windowTokens + tokensPerBlock - 1) / tokensPerBlock);
            case STATE -> resumeBlocks - 1;
        };
    }
}
