import { createHash } from "node:crypto";

/** A hub: the MQTT/HTTP endpoint a device talks to after provisioning. */
export interface Hub {
  readonly id: string;
  readonly hubUrl: string;
  readonly hubUrlStaticCert: string;
  readonly mqttHubUrl: string;
  /** Relative share of new devices (> 0). */
  readonly weight: number;
  /** Devices whose `region` tag equals this prefer this hub. */
  readonly region: string | null;
}

/**
 * Picks a device's hub by weighted rendezvous hashing: every hub scores the device by a hash of
 * (device_id, hub id) scaled by its weight, and the best score wins. The same device always gets
 * the same hub, shares follow the weights, and adding or removing a hub moves only the devices
 * it wins or loses. Hubs of the device's region are preferred when there are any.
 */
export function assignHub(hubs: readonly Hub[], deviceId: string, region: string | undefined): Hub | undefined {
  const local = region === undefined ? [] : hubs.filter((h) => h.region === region);
  const candidates = local.length > 0 ? local : hubs;
  let best: Hub | undefined;
  let bestScore = -Infinity;
  for (const hub of candidates) {
    const score = -hub.weight / Math.log(unitHash(`${deviceId}\n${hub.id}`));
    if (score > bestScore) {
      best = hub;
      bestScore = score;
    }
  }
  return best;
}

/** A hash of `key` mapped into the open interval (0, 1). */
function unitHash(key: string): number {
  const n = createHash("sha256").update(key).digest().readUIntBE(0, 6);
  return (n + 1) / (2 ** 48 + 1);
}

/** The fields every hub entry must have; weight (default 1) and region are optional. */
const REQUIRED_FIELDS = ["id", "hub_url", "hub_url_static_cert", "mqtt_hub_url"] as const;

/**
 * Reads a hub list: a JSON array of {id, hub_url, hub_url_static_cert, mqtt_hub_url, weight?,
 * region?}. Throws an Error naming the first bad entry.
 */
export function parseHubList(json: string): Hub[] {
  let entries: unknown;
  try {
    entries = JSON.parse(json);
  } catch {
    throw new Error("is not valid JSON");
  }
  if (!Array.isArray(entries)) throw new Error("must be a JSON array of hubs");
  const hubs = entries.map((entry: unknown, i) => {
    const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    const text = (key: string, protocols: readonly string[]) => {
      const value = e[key];
      if (value === undefined) throw new Error(`hub ${i}: ${key} is missing (every hub needs ${REQUIRED_FIELDS.join(", ")})`);
      if (typeof value !== "string" || !protocols.includes(protocolOf(value))) {
        throw new Error(`hub ${i}: ${key} must be a ${protocols.join("/")} URL`);
      }
      return value;
    };
    if (e["id"] === undefined) throw new Error(`hub ${i}: id is missing (every hub needs ${REQUIRED_FIELDS.join(", ")})`);
    if (typeof e["id"] !== "string" || e["id"] === "") throw new Error(`hub ${i}: id must be a non-empty string`);
    const weight = e["weight"] ?? 1;
    if (typeof weight !== "number" || !(weight > 0) || !Number.isFinite(weight)) throw new Error(`hub ${i}: weight must be a positive number`);
    const region = e["region"] ?? null;
    if (region !== null && typeof region !== "string") throw new Error(`hub ${i}: region must be a string`);
    return {
      id: e["id"],
      hubUrl: text("hub_url", ["http:", "https:"]),
      hubUrlStaticCert: text("hub_url_static_cert", ["http:", "https:"]),
      mqttHubUrl: text("mqtt_hub_url", ["mqtt:", "mqtts:", "ssl:", "tcp:", "ws:", "wss:"]),
      weight,
      region,
    };
  });
  const ids = hubs.map((h) => h.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new Error(`hub id "${twice}" appears twice`);
  return hubs;
}

function protocolOf(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return "";
  }
}
