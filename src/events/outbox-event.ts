/** One event as written to the outbox table in the transaction of the change it describes. */
export interface OutboxEvent {
  /** Unique per event: the CloudEvents id and the consumers' dedupe key. */
  readonly eventId: string;
  /** CloudEvents type, e.g. "device.registered". */
  readonly type: string;
  readonly tenantId: string;
  /** What the event is about (a device_id): Kafka record key and CloudEvents subject. */
  readonly subject: string;
  /** JSON of the proto event message. */
  readonly payload: string;
  readonly occurredAt: Date;
}
