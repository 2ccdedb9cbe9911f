import { setImmediate as nextRound } from "node:timers/promises";
import { createBatcher } from "../../src/db/batcher.js";

/** A batch function whose batches stay out until released, recording the keys of each. */
function heldBatches() {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const run = (keys: readonly number[]) => {
    batches.push([...keys]);
    return new Promise<number[]>((resolve) => releases.push(() => resolve(keys.map((k) => k * 10))));
  };
  return { run, batches, release: (i: number) => releases[i]!() };
}

describe("createBatcher", () => {
  test("calls made in one round of the event loop share one batch, answered in order", async () => {
    const held = heldBatches();
    const call = createBatcher(held.run);
    const answers = Promise.all([call(1), call(2), call(3)]);
    await nextRound();
    expect(held.batches).toEqual([[1, 2, 3]]);
    held.release(0);
    expect(await answers).toEqual([10, 20, 30]);
  });

  test("at most maxBatch keys a batch", async () => {
    const held = heldBatches();
    const call = createBatcher(held.run, { maxBatch: 2 });
    (void call(1), void call(2), void call(3));
    await nextRound();
    expect(held.batches).toEqual([[1, 2], [3]]);
  });

  test("calls made while maxInFlight batches are out wait and go together in the next one", async () => {
    const held = heldBatches();
    const call = createBatcher(held.run, { maxInFlight: 1 });
    const first = call(1);
    await nextRound();
    const later = Promise.all([call(2), call(3)]);
    await nextRound();
    const last = call(4);
    await nextRound();
    // Nothing joins the batch already sent, and nothing more is sent while it is out.
    expect(held.batches).toEqual([[1]]);
    held.release(0);
    expect(await first).toBe(10);
    await nextRound(); // the ended batch's bookkeeping
    await nextRound(); // the next batch's round
    expect(held.batches).toEqual([[1], [2, 3, 4]]);
    held.release(1);
    expect(await later).toEqual([20, 30]);
    expect(await last).toBe(40);
  });

  test("a failed batch fails each of its calls and lets the next batch go", async () => {
    let runs = 0;
    const call = createBatcher(
      async (keys: readonly number[]) => {
        if (runs++ === 0) throw new Error("database down");
        return keys.map((k) => k + 1);
      },
      { maxInFlight: 1 },
    );
    const failed = [call(1), call(2)];
    await expect(failed[0]).rejects.toThrow("database down");
    await expect(failed[1]).rejects.toThrow("database down");
    expect(await call(3)).toBe(4);
  });

  test("one key can fail alone when the batch answers it with a rejected promise", async () => {
    const call = createBatcher(async (keys: readonly number[]) => keys.map((k) => (k === 2 ? Promise.reject(new Error("no such key")) : k)));
    const [one, two] = [call(1), call(2)];
    expect(await one).toBe(1);
    await expect(two).rejects.toThrow("no such key");
  });
});
