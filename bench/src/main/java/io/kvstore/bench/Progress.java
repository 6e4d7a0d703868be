package io.kvstore.bench;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long bench command, on stderr so that its results on stdout stay clean.
 *
 * <p>Work is a sequence of phases ("run 1/3 full: warm-up"), each with a known length (seconds to wait, turns to
 * reach). On a terminal the current phase is one line rewritten in place with a bar and a percentage; elsewhere
 * (a log file, CI, a pipe) each phase prints one plain line when it starts and nothing while it runs, so a log
 * shows where a run was without being flooded. Not thread-safe: one thread reports.
 */
public final class Progress {
    private static final int BAR = 24;

    private final PrintStream out;
    private final boolean terminal;
    private final String prefix;
    private String phase;
    private int shownPercent = -1;

    /**
     * @param out      where progress goes (stderr)
     * @param terminal whether {@code out} is a terminal: a bar rewritten in place, else one line per phase
     * @param prefix   the command, e.g. "bench load"
     */
    public Progress(PrintStream out, boolean terminal, String prefix) {
        this.out = out;
        this.terminal = terminal;
        this.prefix = prefix;
    }

    /** Progress of {@code prefix} on stderr, with a bar when the process has a console. */
    public static Progress stderr(String prefix) {
        return new Progress(System.err, System.console() != null, prefix);
    }

    /** Starts a phase, ending the one before; {@code what} says what it is and how long it lasts. */
    public void phase(String what) {
        end();
        phase = what;
        shownPercent = -1;
        if (terminal) {
            show(0);
        } else {
            out.println(prefix + ": " + what);
            out.flush();
        }
    }

    /** How far the current phase is, 0..1; redraws the bar on a terminal when the percentage changed. */
    public void at(double fraction) {
        if (!terminal || phase == null) {
            return;
        }
        show(fraction);
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
    public void end() {
        if (terminal && phase != null) {
            show(1);
            out.println();
            out.flush();
        }
        phase = null;
    }

    private void show(double fraction) {
        int percent = (int) Math.floor(Math.max(0, Math.min(1, fraction)) * 100);
        if (percent == shownPercent) {
            return;
        }
        shownPercent = percent;
        int filled = percent * BAR / 100;
        out.print(String.format(Locale.ROOT, "\r%s: %s [%s%s] %3d%%", prefix, phase, "#".repeat(filled),
                ".".repeat(BAR - filled), percent));
        out.flush();
    }
}
