import { KafkaPublisher, type KafkaPublisherOptions } from "./events/kafka-publisher.js";
import { OutboxRelay, type OutboxRelayOptions } from "./events/outbox-relay.js";

/** The relay's options, with the Kafka topic it publishes to in place of a sink. */
export interface KafkaRelayOptions extends Omit<OutboxRelayOptions, "sink"> {
  readonly kafka: Omit<KafkaPublisherOptions, "logger">;
}

/** Starts relaying the outbox to Kafka in the background; the caller stops the relay. */
export function startKafkaRelay({ kafka, ...options }: KafkaRelayOptions): OutboxRelay {
  const relay = new OutboxRelay({ ...options, sink: new KafkaPublisher({ ...kafka, logger: options.logger }) });
  relay.start();
  return relay;
}
