package io.kvstore.tier.hbm;

import io.kvstore.tier.dram.DramTierConfig;

import java.util.Objects;

/**
 * Configuration of an {@link HbmSimTier}.
 *
 * @param name          the tier's name, e.g. {@code "hbm"}
 * @param capacityBytes emulated HBM capacity (rounded up to whole pages)
 * @param pageSizeBytes page size of the off-heap store (see {@link DramTierConfig})
 * @param link          the PCIe cost model
 * @param pacing        false (default): transfers are only accounted in modelled time; true: each put and read
 *                      also waits in real time until its modelled transfer would have finished, so a demo feels
 *                      the link's speed. Pacing waits on the system clock, never on the injected one
 */
public record HbmSimConfig(String name, long capacityBytes, int pageSizeBytes, PcieLinkModel link, boolean pacing) {

    public HbmSimConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(link, "link");
    }

    /** An accounting-only tier with the H100 PCIe Gen5 x16 link and 64 KiB pages. */
    public static HbmSimConfig of(String name, long capacityBytes) {
        return new HbmSimConfig(name, capacityBytes, DramTierConfig.DEFAULT_PAGE_SIZE, PcieLinkModel.h100PcieGen5x16(),
                false);
    }

    /** The same configuration with real pacing on or off. */
    public HbmSimConfig withPacing(boolean on) {
        return new HbmSimConfig(name, capacityBytes, pageSizeBytes, link, on);
    }

    /** The same configuration with another link model. */
    public HbmSimConfig withLink(PcieLinkModel model) {
        return new HbmSimConfig(name, capacityBytes, pageSizeBytes, model, pacing);
    }

    /** The same configuration with another page size. */
    public HbmSimConfig withPageSize(int bytes) {
        return new HbmSimConfig(name, capacityBytes, bytes, link, pacing);
    }

    DramTierConfig storeConfig() {
        return DramTierConfig.of(name, capacityBytes, pageSizeBytes);
    }
}
