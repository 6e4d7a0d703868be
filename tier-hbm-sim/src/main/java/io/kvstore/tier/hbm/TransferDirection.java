package io.kvstore.tier.hbm;

/** The two directions of the PCIe link between host DRAM and the GPU's HBM; each has its own lanes. */
public enum TransferDirection {
    /** Host to device: a block written into HBM. */
    HOST_TO_DEVICE("h2d"),
    /** Device to host: a block read out of HBM (served to a client or demoted to DRAM). */
    DEVICE_TO_HOST("d2h");

    private final String label;

    TransferDirection(String label) {
        this.label = label;
    }

    /** Short name used in stats keys: {@code h2d} or {@code d2h}. */
    public String label() {
        return label;
    }
}
