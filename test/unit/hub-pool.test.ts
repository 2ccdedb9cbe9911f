import { randomUUID } from "node:crypto";
import { assignHub, type Hub } from "../../src/domain/hub-pool.js";

const hub = (id: string, weight: number, region: string | null = null): Hub => ({
  id,
  hubUrl: `https://${id}.hubs.test`,
  hubUrlStaticCert: `https://${id}-static.hubs.test`,
  mqttHubUrl: `mqtts://${id}.hubs.test:8883`,
  weight,
  region,
});

describe("assignHub", () => {
  const ids = Array.from({ length: 20_000 }, () => randomUUID());

  test("gives the same device the same hub every time", () => {
    const pool = [hub("a", 1), hub("b", 1), hub("c", 1)];
    for (const id of ids.slice(0, 100)) expect(assignHub(pool, id, undefined)).toBe(assignHub([...pool].reverse(), id, undefined));
  });

  test("shares devices by weight", () => {
    const pool = [hub("a", 1), hub("b", 3)];
    const toB = ids.filter((id) => assignHub(pool, id, undefined)?.id === "b").length / ids.length;
    expect(toB).toBeGreaterThan(0.72);
    expect(toB).toBeLessThan(0.78);
  });

  test("prefers hubs of the device's region, and falls back to all hubs", () => {
    const pool = [hub("eu-1", 1, "eu"), hub("eu-2", 1, "eu"), hub("us-1", 5, "us")];
    const eu = new Set(ids.slice(0, 500).map((id) => assignHub(pool, id, "eu")?.id));
    expect(eu).toEqual(new Set(["eu-1", "eu-2"]));
    const elsewhere = new Set(ids.slice(0, 500).map((id) => assignHub(pool, id, "apac")?.id));
    expect(elsewhere).toEqual(new Set(["eu-1", "eu-2", "us-1"]));
  });

  test("moves only the devices of a removed hub", () => {
    const before = [hub("a", 1), hub("b", 1), hub("c", 1)];
    const after = before.filter((h) => h.id !== "c");
    for (const id of ids.slice(0, 2000)) {
      const was = assignHub(before, id, undefined)!.id;
      if (was !== "c") expect(assignHub(after, id, undefined)!.id).toBe(was);
    }
  });

  test("assigns nothing from an empty pool", () => {
    expect(assignHub([], ids[0]!, "eu")).toBeUndefined();
  });
});
