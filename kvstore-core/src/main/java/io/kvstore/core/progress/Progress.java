package io.kvstore.core.progress;

import io.kvstore.core.clock.NanoClock;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;

/**
 * Progress of long work (a trace replay, a sweep, a benchmark run, a warm restart's scan), reported so that a person
 * watching can tell it is moving and how far it is, without flooding a log.
 *
 * <p>Work is a sequence of phases ("run 1/3 full: warm-up"), each going from 0 to 1. Two ways to show it:
 * <ul>
 *   <li>On a terminal ({@link #stderr} when the process has a console): the current phase is one line rewritten in
 *       place with a bar and a percentage, redrawn when the percentage changes.</li>
 *   <li>As lines (a log file, CI, a pipe, the daemon's log): a line when a phase starts, then at most one line with
 *       the percentage per interval while it runs. A phase may stay quiet for its first moments
 *       ({@link #lines}' {@code quiet}): work that ends within it prints nothing at all.</li>
 * </ul>
 * The work reports through {@link #at}, or through a {@link DoubleConsumer} ({@link #asConsumer}, {@link #parts}) so
 * that the code doing it (a tier, a replayer) needs no dependency on this class. Thread-safe: parts of a phase may
 * run on several threads; calls are serialized.
 */
public final class Progress {
    private static final int BAR = 24;
    /** Lines mode on stderr: one line per phase, then one per this interval while it runs. */
    private static final long STDERR_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final PrintStream terminal;
    private final Consumer<String> lines;
    private final String prefix;
    private final long quietNanos;
    private final long everyNanos;
    private final NanoClock clock;
    private String phase;
    private int shownPercent = -1;
    private long phaseStart;
    private long lastLine;
    private boolean announced;

    private Progress(PrintStream terminal, Consumer<String> lines, String prefix, long quietNanos, long everyNanos,
                     NanoClock clock) {
        this.terminal = terminal;
        this.lines = lines;
        this.prefix = prefix;
        this.quietNanos = quietNanos;
        this.everyNanos = everyNanos;
        this.clock = clock;
    }

    /**
     * @param out      where progress goes (stderr, so that results on stdout stay clean)
     * @param terminal whether {@code out} is a terminal: a bar rewritten in place; else lines (one when a phase
     *                 starts, then one every 10 s)
     * @param prefix   the command, e.g. "bench load"
     */
    public Progress(PrintStream out, boolean terminal, String prefix) {
        this(terminal ? out : null, terminal ? null : line -> {
            out.println(line);
            out.flush();
        }, prefix, 0, STDERR_EVERY_NANOS, NanoClock.system());
    }

    /**
     * Progress of a command on {@code err}: a bar when {@code err} is the console's stderr; else lines that stay
     * quiet for a phase's first 2 s (a short run prints nothing) and then come every 10 s.
     */
    public static Progress quietFirst(PrintStream err, String prefix) {
        if (err == System.err && System.console() != null) {
            return new Progress(err, true, prefix);
        }
        return lines(line -> {
            err.println(line);
            err.flush();
        }, prefix, 2, 10, TimeUnit.SECONDS, NanoClock.system());
    }

    /** Progress that shows nothing: for callers that do not watch. */
    public static Progress none() {
        return new Progress(null, line -> { }, "", Long.MAX_VALUE, Long.MAX_VALUE, NanoClock.system());
    }

    /** Progress of {@code prefix} on stderr, with a bar when the process has a console. */
    public static Progress stderr(String prefix) {
        return new Progress(System.err, System.console() != null, prefix);
    }

    /**
     * Progress as lines given to {@code sink} (e.g. a logger): nothing for the first {@code quiet} of a phase (work
     * that ends sooner is not reported at all), then a line with the percentage at most once per {@code every}.
     */
    public static Progress lines(Consumer<String> sink, String prefix, long quiet, long every, TimeUnit unit,
                                 NanoClock clock) {
        if (quiet < 0 || every <= 0) {
            throw new IllegalArgumentException("quiet must be >= 0 and every > 0, were " + quiet + " and " + every);
        }
        return new Progress(null, sink, prefix, unit.toNanos(quiet), unit.toNanos(every), clock);
    }

    /** Starts a phase, ending the one before; {@code what} says what it is and how long it lasts. */
    public synchronized void phase(String what) {
        end();
        phase = what;
        shownPercent = -1;
        phaseStart = clock.nanoTime();
        announced = false;
        if (terminal != null) {
            show(0);
        } else if (quietNanos == 0) {
            line(prefix + ": " + what);
        }
    }

    /** How far the current phase is, 0..1. */
    public synchronized void at(double fraction) {
        if (phase == null) {
            return;
        }
        if (terminal != null) {
            show(fraction);
            return;
        }
        long now = clock.nanoTime();
        if (now - phaseStart < quietNanos || (announced && now - lastLine < everyNanos)) {
            return;
        }
        int percent = percent(fraction);
        if (percent != shownPercent) {
            shownPercent = percent;
            line(String.format(Locale.ROOT, "%s: %s %d%%", prefix, phase, percent));
        }
    }

    /** The current phase's {@link #at} as a consumer, for work that reports its own fraction. */
    public DoubleConsumer asConsumer() {
        return this::at;
    }

    /**
     * Splits the current phase into {@code n} equal parts that may run at the same time (e.g. the replays of a
     * sweep): part {@code i} reports its own 0..1 to element {@code i}; the phase is at their mean.
     */
    public DoubleConsumer[] parts(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("parts must be at least 1, was " + n);
        }
        double[] done = new double[n];
        DoubleConsumer[] parts = new DoubleConsumer[n];
        for (int i = 0; i < n; i++) {
            int part = i;
            parts[i] = fraction -> {
                synchronized (this) {
                    done[part] = Math.max(0, Math.min(1, fraction));
                    at(Arrays.stream(done).sum() / n);
                }
            };
        }
        return parts;
    }

    /** Waits {@code seconds}, reporting the current phase's progress about once a second. */
    public void sleep(double seconds) throws InterruptedException {
        long total = Math.max(0, (long) (seconds * 1000));
        long start = System.nanoTime();
        for (long waited = 0; waited < total; waited = (System.nanoTime() - start) / 1_000_000) {
            Thread.sleep(Math.min(1000, total - waited));
            at(Math.min(1, ((System.nanoTime() - start) / 1e6) / total));
        }
    }

    /** Ends the current phase (on a terminal: the bar's line is finished); idempotent. */
    public synchronized void end() {
        if (terminal != null && phase != null) {
            show(1);
            terminal.println();
            terminal.flush();
        }
        phase = null;
    }

    private void line(String text) {
        lines.accept(text);
        announced = true;
        lastLine = clock.nanoTime();
    }

    private static int percent(double fraction) {
        return (int) Math.floor(Math.max(0, Math.min(1, fraction)) * 100);
    }

    private void show(double fraction) {
        int percent = percent(fraction);
        if (percent == shownPercent) {
            return;
        }
        shownPercent = percent;
        int filled = percent * BAR / 100;
        terminal.print(String.format(Locale.ROOT, "\r%s: %s [%s%s] %3d%%", prefix, phase, "#".repeat(filled),
                ".".repeat(BAR - filled), percent));
        terminal.flush();
    }
}
