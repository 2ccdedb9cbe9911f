import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { callerKey } from "../auth/caller.js";
import { errorCodeName } from "../convert/error-code.js";
import type { RpcMetrics } from "./metrics.js";
import { currentRequest } from "./request-context.js";

/**
 * Counts and times every unary RPC and records its procedure, outcome code and tenant in the request's
 * context for the request log. Put it first, so it sees the codes the inner interceptors produce.
 * REST calls reach it once, through the unary dispatch; connect-node only forwards them to REST.
 */
export function createRpcInterceptor(metrics: RpcMetrics): Interceptor {
  return (next) => async (req) => {
    const labels = { service: req.service.typeName, method: req.method.name };
    const context = currentRequest();
    if (context !== undefined) context.procedure = `${labels.service}/${labels.method}`;
    // A stream's outcome is only known when it ends, after this returns: only unary RPCs are counted.
    if (req.stream) return next(req);
    const stopTimer = metrics.duration.startTimer(labels);
    let code = "OK";
    try {
      return await next(req);
    } catch (err) {
      code = errorCodeName(ConnectError.from(err).code);
      throw err;
    } finally {
      stopTimer();
      metrics.requests.inc({ ...labels, code });
      if (context !== undefined) {
        context.code = code;
        const tenant = req.contextValues.get(callerKey)?.tenantId;
        if (tenant !== undefined) context.tenant = tenant;
      }
    }
  };
}
