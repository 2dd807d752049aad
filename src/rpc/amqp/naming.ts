/**
 * Broker object names, following oslo.messaging's rabbit driver: one topic exchange per deployment
 * (the control exchange), a shared queue `topic` and a per-host queue `topic.server` bound to it
 * with their own names as routing keys, and a fanout exchange `topic_fanout` with one exclusive,
 * auto-delete queue per listening server.
 *
 * `queuePrefix` is prepended to every queue and fanout-exchange name so that several deployments
 * (or test runs) can share one vhost without seeing each other's messages; it is '' in production.
 */
export interface AmqpNaming {
  readonly exchange: string;
  readonly queuePrefix: string;
}

/** Routing key (and queue name without prefix) of a target on the topic exchange. */
export function routingKey(topic: string, server?: string): string {
  return server === undefined ? topic : `${topic}.${server}`;
}

/** Name of the queue that receives `routingKey(topic, server)`. */
export function topicQueueName(naming: AmqpNaming, topic: string, server?: string): string {
  return `${naming.queuePrefix}${routingKey(topic, server)}`;
}

/** Name of the fanout exchange of `topic`. */
export function fanoutExchangeName(naming: AmqpNaming, topic: string): string {
  return `${naming.queuePrefix}${topic}_fanout`;
}

/** Name of one server's exclusive queue on the fanout exchange of `topic`; `unique` tells instances apart. */
export function fanoutQueueName(naming: AmqpNaming, topic: string, unique: string): string {
  return `${naming.queuePrefix}${topic}_fanout_${unique}`;
}
