import { Samples } from "./percentiles.js";

/** What a fixed-duration closed-loop run measured. */
export interface LoadResult {
  readonly calls: number;
  readonly ok: number;
  /** Failures by kind ("UNAUTHENTICATED", "HTTP 503", "socket hang up", ...). */
  readonly errors: ReadonlyMap<string, number>;
  /** Latency of the successful calls, ms. */
  readonly latency: Samples;
  readonly elapsedMs: number;
  /** Successful calls per second. */
  readonly rate: number;
}

/**
 * Keeps `concurrency` calls in flight for `durationMs` (each worker starts its next call when the
 * previous one ends) and times every call. `call(i)` resolves on success and throws on failure;
 * `errorKind` names the failure for the error count. Calls still running at the deadline finish
 * and count. A call may return false to say it has no more work (e.g. claim keys ran out).
 */
export async function runClosedLoop(options: {
  readonly durationMs: number;
  readonly concurrency: number;
  readonly call: (index: number) => Promise<void | false>;
  readonly errorKind: (err: unknown) => string;
  readonly aborted?: () => boolean;
}): Promise<LoadResult> {
  const latency = new Samples();
  const errors = new Map<string, number>();
  let next = 0;
  let ok = 0;
  let exhausted = false;
  const start = performance.now();
  const deadline = start + options.durationMs;
  const more = () => !exhausted && performance.now() < deadline && !options.aborted?.();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (more()) {
        const index = next++;
        const sentAt = performance.now();
        try {
          if ((await options.call(index)) === false) {
            exhausted = true;
            break;
          }
          latency.add(performance.now() - sentAt);
          ok++;
        } catch (err) {
          const kind = options.errorKind(err);
          errors.set(kind, (errors.get(kind) ?? 0) + 1);
        }
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  let failed = 0;
  for (const n of errors.values()) failed += n;
  return { calls: ok + failed, ok, errors, latency, elapsedMs, rate: ok / (elapsedMs / 1000) };
}
