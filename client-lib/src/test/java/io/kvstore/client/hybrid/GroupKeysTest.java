package io.kvstore.client.hybrid;

import io.kvstore.core.hybrid.Group;
import io.kvstore.core.key.BlockKey;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The group-key vectors of docs/hashing.md, the same as the Python client's tests/test_hybrid.py. */
class GroupKeysTest {

    @Test
    void vectors() {
        BlockKey k0 = BlockKey.fromHex("13faf65e54b138bc365eb5001aadfd221708aa13498588f74dae6f30f9ca033f");
        BlockKey k1 = BlockKey.fromHex("df96eb3eff80558963bbe7e4e920aa7efd733a11aa16c0d3e1f845fd75eea757");
        assertThat(GroupKeys.of(k0, 1)).isEqualTo(
                BlockKey.fromHex("668b2c37e20b702bac5cc66626e947af69a090edff490bb74df2d7437e195ddc"));
        assertThat(GroupKeys.of(k1, 1)).isEqualTo(
                BlockKey.fromHex("c0841e7d3a1f0a8e26f634832c7eee6fb4d6e404930a49eb7d5185f04effd587"));
        assertThat(GroupKeys.of(k1, 2)).isEqualTo(
                BlockKey.fromHex("d2c6198e030ce49f3d32844f50a4e7a2ef7a958ddb266d4281a0e4f8b427e708"));
        assertThatThrownBy(() -> GroupKeys.of(k0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("group 0 is the prefix blocks");
    }

    @Test
    void groupsSayWhichBlocksAResumeNeeds() {
        assertThat(Group.full().firstNeeded(5, 16)).isZero();
        assertThat(Group.window(40).firstNeeded(5, 16)).isEqualTo(2);
        assertThat(Group.window(40).firstNeeded(2, 16)).isZero();
        assertThat(Group.state(8).firstNeeded(5, 16)).isEqualTo(4);
        assertThatThrownBy(() -> Group.window(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HybridLookup(null, null, List.of(Group.state(8))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("group 0 must be Group.full()");
    }
}
