package io.kvstore.bench.tiers;

import io.kvstore.tier.hbm.PcieLinkModel;
import io.kvstore.tier.hbm.TransferDirection;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The emulated HBM's section: what its default PCIe model charges for a block of each size (modelled, not
 * measured: the emulator's own bytes move through the DRAM arena code measured in the DRAM section).
 */
final class HbmSection implements TierBenchmark {

    @Override
    public String name() {
        return "hbm";
    }

    @Override
    public Map<String, Object> run(TierBenchSettings s, PrintStream out) {
        PcieLinkModel m = PcieLinkModel.h100PcieGen5x16();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("hbm_link", "H100 PCIe Gen5 x16 (modelled)");
        for (TransferDirection d : TransferDirection.values()) {
            f.put("hbm_" + d.label() + "_bandwidth_gbps", m.bytesPerSecond(d) / 1e9);
            f.put("hbm_" + d.label() + "_latency_us", m.latencyNanos(d) / 1e3);
        }
        for (int size : s.sizes()) {
            long ns = m.transferNanos(TransferDirection.HOST_TO_DEVICE, size);
            String k = "hbm_h2d_modelled_gbps_" + DramSection.human(size).replace(" ", "");
            f.put(k, DramSection.round(size / (double) ns));
            out.printf("hbm (modelled) %10s: %8.1f us per transfer, %6.2f GB/s effective%n", DramSection.human(size),
                    ns / 1e3, size / (double) ns);
        }
        return f;
    }
}
