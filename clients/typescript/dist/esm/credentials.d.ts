import type { Interceptor } from "@connectrpc/connect";
/** A secret sent with every call: the value itself, or a function returning the current one (e.g. a refreshed JWT). */
export type Credential = string | (() => string | Promise<string>);
/** An interceptor that sends `Authorization: Bearer <credential>` with every call. */
export declare function bearerCredential(credential: Credential): Interceptor;
