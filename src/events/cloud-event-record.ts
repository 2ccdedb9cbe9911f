import type { OutboxRow } from "../db/outbox-repository.js";

/** A Kafka record: key, value and headers as strings. */
export interface KafkaRecord {
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/**
 * An outbox row as a CloudEvents 1.0 Kafka record in binary mode: the event JSON is the value,
 * the attributes are `ce_` headers, the device_id is the key (so one device's events share a
 * partition and keep their order). ce_source names the tenant; ce_tenantid carries it too.
 */
export function toCloudEventRecord(row: OutboxRow): KafkaRecord {
  return {
    key: row.subject,
    value: row.payload,
    headers: {
      ce_specversion: "1.0",
      ce_id: row.eventId,
      ce_source: `/device-registry/tenants/${row.tenantId}`,
      ce_type: row.type,
      ce_time: row.occurredAt.toISOString(),
      ce_subject: row.subject,
      ce_tenantid: row.tenantId,
      "content-type": "application/json",
    },
  };
}
