import type pg from "pg";
import { ClaimRepository } from "./claim-repository.js";
import { CredentialRepository } from "./credential-repository.js";
import { DeviceRepository } from "./device-repository.js";
import { OutboxRepository } from "./outbox-repository.js";
import { ProfileRepository } from "./profile-repository.js";
import { type Executor, withTransaction } from "./transaction.js";

/** The repositories of device state, all bound to one executor. */
export interface Repositories {
  readonly devices: DeviceRepository;
  readonly credentials: CredentialRepository;
  readonly claims: ClaimRepository;
  readonly profiles: ProfileRepository;
  readonly outbox: OutboxRepository;
}

/**
 * Device state as the domain sees it: repositories over the pool, each statement on its own, and
 * `transaction`, whose work gets repositories bound to one transaction (committed if the work
 * resolves, rolled back if it throws).
 */
export interface Store extends Repositories {
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
}

/** The store over `pool`. */
export function createStore(pool: pg.Pool): Store {
  return { ...repositoriesOn(pool, true), transaction: (work) => withTransaction(pool, (client) => work(repositoriesOn(client, false))) };
}

function repositoriesOn(db: Executor, onPool: boolean): Repositories {
  return {
    devices: new DeviceRepository(db, { batched: onPool }),
    credentials: new CredentialRepository(db),
    claims: new ClaimRepository(db, { batched: onPool }),
    profiles: new ProfileRepository(db),
    outbox: new OutboxRepository(db),
  };
}
