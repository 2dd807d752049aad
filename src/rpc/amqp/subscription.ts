/**
 * One `listen()` of the AMQP transport: its own channel (so a channel error stays local) with
 * consumers on `topic`, `topic.server` and, when asked, an exclusive queue on the fanout exchange.
 * Each message is acked only after its handler finished and, for a call, the reply was sent.
 */
import { randomUUID } from 'node:crypto';

import type { Channel, ConsumeMessage } from 'amqplib';

import { serializeRemoteError } from '../errors';
import type { MessageHandler, RpcReply, Subscription } from '../transport';
import { closeQuietly } from './close-quietly';
import { errorMessage } from './error-message';
import { decodeRequest, encodeReply } from './envelope';
import type { AmqpLink } from './link';
import type { Logger } from '../logger';
import { fanoutExchangeName, fanoutQueueName, routingKey, topicQueueName } from './naming';
import type { AmqpNaming } from './naming';

export interface SubscriptionConfig {
  readonly naming: AmqpNaming;
  readonly prefetch: number;
  readonly queueExpiresMs: number | undefined;
  readonly drainTimeoutMs: number;
  /** Durable topic queues and fanout exchange (the exclusive fanout queues never are). */
  readonly durable: boolean;
}

/** What a subscription needs from its transport. */
export interface SubscriptionHost {
  readonly logger: Logger;
  readonly config: SubscriptionConfig;
  forget(sub: AmqpSubscription): void;
  resetLink(link: AmqpLink, reason: string): void;
}

export interface SubscriptionTarget {
  readonly topic: string;
  readonly server: string;
  readonly fanout: boolean;
}

export class AmqpSubscription implements Subscription {
  private channel: Channel | null = null;
  private startedGen = -1;
  private consumerTags: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | null = null;
  /** Names this subscription's own queue on the fanout exchange (each listener gets every fanout). */
  private readonly fanoutId = randomUUID().slice(0, 12);

  constructor(
    private readonly host: SubscriptionHost,
    readonly target: SubscriptionTarget,
    private readonly handler: MessageHandler,
  ) {}

  /** Declare queues and bindings and start consuming on `link`; a no-op if already done on it. */
  async start(link: AmqpLink): Promise<void> {
    if (this.startedGen === link.gen || this.closing !== null) return;
    this.startedGen = link.gen;
    const { naming, prefetch, queueExpiresMs, durable } = this.host.config;
    const { topic, server, fanout } = this.target;
    const log = this.host.logger;
    const channel = await link.model.createChannel();
    let running = false;
    channel.on('error', (err: unknown) =>
      log.warn('consumer channel error', { topic, err: errorMessage(err) }),
    );
    channel.on('close', () => {
      if (this.channel === channel) this.channel = null;
      // A channel that dies on its own after start (not with the connection, not closed by us) takes
      // its consumers with it: rebuild the connection, which re-declares every subscription.
      if (running && this.closing === null && !link.lost)
        this.host.resetLink(link, `consumer channel of '${topic}' closed`);
    });
    try {
      await channel.prefetch(prefetch, false);
      const queueArgs = queueExpiresMs === undefined ? {} : { arguments: { 'x-expires': queueExpiresMs } };
      const queues: string[] = [];
      for (const srv of [undefined, server]) {
        const queue = topicQueueName(naming, topic, srv);
        await channel.assertQueue(queue, { durable, autoDelete: false, ...queueArgs });
        await channel.bindQueue(queue, naming.exchange, routingKey(topic, srv));
        queues.push(queue);
      }
      if (fanout) {
        const exchange = fanoutExchangeName(naming, topic);
        const queue = fanoutQueueName(naming, topic, this.fanoutId);
        await channel.assertExchange(exchange, 'fanout', { durable, autoDelete: false });
        await channel.assertQueue(queue, { durable: false, exclusive: true, autoDelete: true });
        await channel.bindQueue(queue, exchange, '');
        queues.push(queue);
      }
      const tags: string[] = [];
      for (const queue of queues) {
        const { consumerTag } = await channel.consume(queue, (msg) => this.onMessage(link, channel, msg), {
          noAck: false,
        });
        tags.push(consumerTag);
      }
      this.channel = channel;
      this.consumerTags = tags;
      running = true;
      log.debug('listening', { topic, server, fanout, queues });
    } catch (err) {
      await closeQuietly(channel);
      throw err;
    }
  }

  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    this.host.forget(this);
    const channel = this.channel;
    if (channel !== null) {
      for (const tag of this.consumerTags) await channel.cancel(tag).catch(() => undefined);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.host.config.drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (this.inFlight.size > 0) {
      this.host.logger.warn('closing a subscription with handlers still running', {
        topic: this.target.topic,
        running: this.inFlight.size,
      });
    }
    this.channel = null;
    if (channel !== null) await closeQuietly(channel);
  }

  private onMessage(link: AmqpLink, channel: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (its queue was deleted): rebuild everything.
      this.host.logger.warn('consumer cancelled by the broker', { topic: this.target.topic });
      this.host.resetLink(link, 'consumer cancelled by the broker');
      return;
    }
    const work = this.handle(link, channel, msg).catch((err: unknown) => {
      this.host.logger.error('message handling failed', { topic: this.target.topic, err: errorMessage(err) });
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(link: AmqpLink, channel: Channel, msg: ConsumeMessage): Promise<void> {
    const replyTo: unknown = msg.properties.replyTo;
    const correlationId: unknown = msg.properties.correlationId;
    const log = this.host.logger;
    let reply: RpcReply;
    let method: string | undefined;
    try {
      const message = decodeRequest(msg.content);
      method = message.method;
      reply = { ok: true, result: await this.handler(message) };
    } catch (err) {
      reply = { ok: false, failure: serializeRemoteError(err) };
      const meta = {
        topic: this.target.topic,
        method,
        err: errorMessage(err),
        errName: err instanceof Error ? err.name : typeof err,
      };
      if (typeof replyTo === 'string' && replyTo !== '')
        log.debug('call handler raised; returning the error to the caller', meta);
      else log.error('cast handler raised', meta);
    }
    if (link.lost) return; // unacked: the broker redelivers it, and the next run answers
    try {
      // Reply and ack on the same channel, in that order: the broker handles them in order, so an
      // acked request always had its reply routed, and a request whose ack was lost is redelivered.
      if (typeof replyTo === 'string' && replyTo !== '') {
        channel.sendToQueue(replyTo, encodeReply(reply), {
          ...(typeof correlationId === 'string' ? { correlationId } : {}),
          contentType: 'application/json',
        });
      }
      channel.ack(msg);
    } catch (err) {
      log.warn('reply or ack not sent; the message will be redelivered', {
        topic: this.target.topic,
        err: errorMessage(err),
      });
    }
  }
}
