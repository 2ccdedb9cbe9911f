/**
 * Gathers the calls made while the event loop handles one round of I/O and runs them as one batch
 * (at most `maxBatch` each): under load, concurrent requests share one database round trip instead
 * of one each; alone, a call waits only for the end of the current round. At most `maxInFlight`
 * batches run at once: calls made while that many are out wait for one to end and go together in
 * the next, so a busier service sends larger batches rather than more of them. A call never joins
 * a batch already sent, so what it reads was read after it was made. `run` answers each key in
 * order, with a value or a promise of its own (so one key can fail alone); if it throws, every
 * call of the batch fails with that error.
 */
export function createBatcher<K, V>(
  run: (keys: readonly K[]) => Promise<readonly (V | Promise<V>)[]>,
  { maxBatch = 256, maxInFlight = 2 }: { maxBatch?: number; maxInFlight?: number } = {},
): (key: K) => Promise<V> {
  let waiting: { key: K; resolve: (value: V | Promise<V>) => void; reject: (err: unknown) => void }[] = [];
  let scheduled = false;
  let inFlight = 0;
  const flush = () => {
    scheduled = false;
    while (waiting.length > 0 && inFlight < maxInFlight) {
      const batch = waiting.splice(0, maxBatch);
      inFlight++;
      run(batch.map((c) => c.key))
        .then(
          (answers) => batch.forEach((c, i) => c.resolve(answers[i] as V | Promise<V>)),
          (err: unknown) => batch.forEach((c) => c.reject(err)),
        )
        .finally(() => {
          inFlight--;
          schedule();
        });
    }
  };
  const schedule = () => {
    if (scheduled || waiting.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    setImmediate(flush);
  };
  return (key) =>
    new Promise<V>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      schedule();
    });
}
