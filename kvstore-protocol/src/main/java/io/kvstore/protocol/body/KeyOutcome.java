package io.kvstore.protocol.body;

/** Per-key answer of EXISTS, DELETE, PIN and UNPIN (one byte each in a {@link StatusList}). */
public enum KeyOutcome {
    NOT_FOUND(0), PRESENT(1), PINNED(2), UNPINNED(3), DELETED(4), NOT_PINNED(5);

    private final int code;

    KeyOutcome(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static KeyOutcome of(int code) {
        for (KeyOutcome o : values()) {
            if (o.code == code) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown key outcome " + code);
    }
}
