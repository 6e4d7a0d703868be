package io.kvstore.bench.tiers;

import java.io.PrintStream;
import java.util.Map;

/**
 * One section of {@code kvstore bench tiers}: measures one tier (or reports its model) and contributes fields to
 * the JSON report. Sections are listed in {@link TiersCommand#sections()}; adding a tier is one line there.
 */
public interface TierBenchmark {

    /** Section name, e.g. {@code "dram"}; used in {@code --only} and as the prefix of its JSON fields. */
    String name();

    /**
     * Runs the section and returns its JSON fields (snake_case names starting with the section name, values that
     * Jackson can write: numbers, strings, lists, maps). Human-readable lines go to {@code out}.
     */
    Map<String, Object> run(TierBenchSettings settings, PrintStream out) throws Exception;
}
