package io.kvstore.bench;

import java.util.Arrays;
import java.util.List;

/** The median every benchmark reports over its runs: the middle value, or the mean of the two middle ones. */
public final class Medians {

    private Medians() {
    }

    /** Median of {@code values}; NaN if there are none. */
    public static double of(double... values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Median of the finite values of {@code values} (nulls and NaN skipped: a run that measured nothing); NaN if none. */
    public static double of(List<Double> values) {
        return of(values.stream().filter(x -> x != null && Double.isFinite(x)).mapToDouble(Double::doubleValue)
                .toArray());
    }
}
