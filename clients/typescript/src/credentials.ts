import type { Interceptor } from "@connectrpc/connect";

/** A secret sent with every call: the value itself, or a function returning the current one (e.g. a refreshed JWT). */
export type Credential = string | (() => string | Promise<string>);

/** An interceptor that sends `Authorization: Bearer <credential>` with every call. */
export function bearerCredential(credential: Credential): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${typeof credential === "string" ? credential : await credential()}`);
    return next(req);
  };
}
