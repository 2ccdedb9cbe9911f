import type pg from "pg";
import { identityByCredential, type DeviceIdentity } from "../db/credential-repository.js";
import { UnauthenticatedError } from "./errors.js";
import { hashSecret } from "./secret.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const API_KEY = /^sk_live_[A-Za-z0-9_-]{43}$/;

/** Checks device credentials; every failure is the same "Not authorized", whatever its cause. */
export class DeviceAuthenticator {
  constructor(private readonly pool: pg.Pool) {}

  /** The identity of the device if `apiKey` is its live credential and it is not disabled. */
  async authenticate(deviceId: string, apiKey: string): Promise<DeviceIdentity> {
    // Malformed input gets the same answer as a wrong key: nothing to learn from the difference.
    const identity =
      UUID.test(deviceId) && API_KEY.test(apiKey) ? await identityByCredential(this.pool, deviceId, hashSecret(apiKey)) : undefined;
    if (!identity) throw new UnauthenticatedError("Not authorized");
    return identity;
  }
}
