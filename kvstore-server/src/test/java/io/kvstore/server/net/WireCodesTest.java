package io.kvstore.server.net;

import io.kvstore.core.store.PinStatus;
import io.kvstore.core.store.PutStatus;
import io.kvstore.protocol.body.KeyOutcome;
import io.kvstore.protocol.body.PutCode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine's answers map to the protocol's codes of the same meaning, and the wire numbers stay fixed. */
class WireCodesTest {

    @Test
    void everyPutStatusHasTheCodeOfTheSameNameAndTheWireNumbersAreFixed() {
        for (PutStatus s : PutStatus.values()) {
            assertThat(WireCodes.put(s).name()).isEqualTo(s.name());
            assertThat(WireCodes.put(s).isCached()).isEqualTo(s.isCached());
        }
        assertThat(PutCode.values()).extracting(PutCode::code).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(PutCode.of(5)).isEqualTo(PutCode.NAMESPACE_CONFLICT);
        assertThat(PutCode.of(8)).as("a code this version does not know").isEqualTo(PutCode.FAILED);
    }

    @Test
    void everyPinStatusHasTheOutcomeOfTheSameName() {
        for (PinStatus s : PinStatus.values()) {
            assertThat(WireCodes.key(s).name()).isEqualTo(s.name());
        }
    }
}
