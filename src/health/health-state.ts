import { HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

/**
 * The serving status of the server ("") and of each service it answers, as gRPC health reports
 * it. Everything serves from the start; once shutdown begins, everything is NOT_SERVING for good.
 */
export class HealthState {
  private readonly services: ReadonlySet<string>;
  private serving = true;
  private markStopped!: () => void;
  /** Resolves when shutdown begins. */
  readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));

  /** `services`: the full names of the services answered here, e.g. "grpc.health.v1.Health". */
  constructor(services: Iterable<string>) {
    this.services = new Set(["", ...services]);
  }

  /** True once shutdown has begun. */
  get shuttingDown(): boolean {
    return !this.serving;
  }

  /** The status of a service ("" for the whole server), or undefined for one not served here. */
  statusOf(service: string): ServingStatus | undefined {
    if (!this.services.has(service)) return undefined;
    return this.serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  /** Every service's status, the server's ("") included. */
  statuses(): Map<string, ServingStatus> {
    return new Map([...this.services].map((service) => [service, this.statusOf(service)!]));
  }

  /** Marks everything NOT_SERVING, so probes and watchers steer traffic away while calls drain. */
  shutDown(): void {
    this.serving = false;
    this.markStopped();
  }
}
