import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  type HealthCheckResponse,
} from "../../gen/grpc/health/v1/health_pb.js";
import type { HealthState } from "./health-state.js";

/** grpc.health.v1.Health over a {@link HealthState}, as https://github.com/grpc/grpc/blob/master/doc/health-checking.md specifies. */
export function createHealthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = state.statusOf(req.service);
      if (status === undefined) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      return response(status);
    },

    // The status changes once, when shutdown begins: watchers then get NOT_SERVING and the stream
    // ends, so it does not hold the connection open while the server drains.
    async *watch(req, context) {
      yield response(state.statusOf(req.service) ?? ServingStatus.SERVICE_UNKNOWN);
      if (state.shuttingDown) return;
      await untilEither(state.stopped, context.signal);
      const status = state.statusOf(req.service);
      if (!context.signal.aborted && status !== undefined) yield response(status);
    },

    list() {
      return { statuses: Object.fromEntries([...state.statuses()].map(([service, status]) => [service, response(status)])) };
    },
  };
}

function response(status: ServingStatus): HealthCheckResponse {
  return create(HealthCheckResponseSchema, { status });
}

/** Resolves when `promise` settles or `signal` aborts, whichever comes first. */
async function untilEither(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort = () => {};
  const aborted = new Promise<void>((resolve) => (onAbort = resolve));
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
