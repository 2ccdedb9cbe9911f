import type { DomainError } from "./errors.js";

/**
 * The outcome of one entry of a batch call (children, imports, revocations): what it produced, or
 * the domain error that refused it alone, which the API reports with the code of the one error
 * mapping.
 */
export type EntryResult<T extends object = object> = { readonly hardwareId: string } & (T | { readonly error: DomainError });
