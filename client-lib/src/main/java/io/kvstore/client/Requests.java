package io.kvstore.client;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Requests sent in parts: what a call too long for one request (or one shared-memory group) is split into. */
final class Requests {

    private Requests() {
    }

    /** {@code items} in consecutive parts of at most {@code max}. */
    static <T> List<List<T>> parts(List<T> items, int max) {
        List<List<T>> out = new ArrayList<>();
        for (int from = 0; from < items.size(); from += max) {
            out.add(items.subList(from, Math.min(items.size(), from + max)));
        }
        return out;
    }

    /** {@code call} on each of {@code parts}, each once the one before has answered; the answers in order. */
    static <P, R> CompletableFuture<List<R>> inTurn(List<P> parts, Function<P, CompletableFuture<R>> call) {
        CompletableFuture<List<R>> all = CompletableFuture.completedFuture(new ArrayList<>());
        for (P part : parts) {
            all = all.thenCompose(done -> call.apply(part).thenApply(r -> {
                done.add(r);
                return done;
            }));
        }
        return all;
    }
}
