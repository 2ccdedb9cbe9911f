/**
 * Gathers the calls made while the event loop handles one round of I/O and runs them as one batch
 * (at most `maxBatch` each): under load, concurrent requests share one database round trip instead
 * of one each; alone, a call waits only for the end of the current round. A call never joins a
 * batch already sent, so what it reads was read after it was made. `run` answers each key in
 * order, with a value or a promise of its own (so one key can fail alone); if it throws, every
 * call of the batch fails with that error.
 */
export function createBatcher<K, V>(run: (keys: readonly K[]) => Promise<readonly (V | Promise<V>)[]>, maxBatch = 256): (key: K) => Promise<V> {
  let waiting: { key: K; resolve: (value: V | Promise<V>) => void; reject: (err: unknown) => void }[] = [];
  const flush = () => {
    const calls = waiting;
    waiting = [];
    for (let start = 0; start < calls.length; start += maxBatch) {
      const batch = calls.slice(start, start + maxBatch);
      run(batch.map((c) => c.key)).then(
        (answers) => batch.forEach((c, i) => c.resolve(answers[i] as V | Promise<V>)),
        (err: unknown) => batch.forEach((c) => c.reject(err)),
      );
    }
  };
  return (key) =>
    new Promise<V>((resolve, reject) => {
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ key, resolve, reject });
    });
}
