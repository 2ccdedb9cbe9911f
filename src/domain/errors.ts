/** Base of the errors the domain raises on purpose; one place maps them to RPC codes. */
export abstract class DomainError extends Error {}

/** The resource does not exist in the caller's tenant (or exists only in another one). */
export class NotFoundError extends DomainError {
  override name = "NotFoundError";
}

/** A resource with the same unique key already exists. */
export class AlreadyExistsError extends DomainError {
  override name = "AlreadyExistsError";
}

/** A request field has a bad value; the message names the field. */
export class InvalidArgumentError extends DomainError {
  override name = "InvalidArgumentError";
  constructor(
    readonly field: string,
    description: string,
  ) {
    super(`${field}: ${description}`);
  }
}

/** The system is not in the state the operation requires (e.g. a profile still in use). */
export class FailedPreconditionError extends DomainError {
  override name = "FailedPreconditionError";
}

/** A concurrent change got in the way; trying again can succeed. */
export class AbortedError extends DomainError {
  override name = "AbortedError";
}

/** A conditional write lost: the etag the caller sent is no longer current. */
export class EtagMismatchError extends AbortedError {
  override name = "EtagMismatchError";
}

/** The caller is who it says, but may not do this. */
export class PermissionDeniedError extends DomainError {
  override name = "PermissionDeniedError";
}

/** A device credential is not (or no longer) good. */
export class UnauthenticatedError extends DomainError {
  override name = "UnauthenticatedError";
}

/** Too many attempts: the caller may try again after `retryAfterSeconds`. */
export class RateLimitedError extends DomainError {
  override name = "RateLimitedError";
  constructor(readonly retryAfterSeconds: number) {
    super(`too many attempts; retry after ${retryAfterSeconds} s`);
  }
}

/** A dependency (the database) cannot be reached now; the caller may retry after `retryAfterSeconds`. */
export class UnavailableError extends DomainError {
  override name = "UnavailableError";
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What a refused device credential or claim key hears, whatever the reason: nothing to learn from the difference. */
export function notAuthorized(): UnauthenticatedError {
  return new UnauthenticatedError("Not authorized");
}

/** ALREADY_EXISTS for a hardware_id that a device of the tenant holds. */
export function hardwareIdTaken(hardwareId: string): AlreadyExistsError {
  return new AlreadyExistsError(`device with hardware_id "${hardwareId}" already exists in this tenant`);
}
