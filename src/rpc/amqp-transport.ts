/**
 * The AMQP transport: RPC over RabbitMQ with amqplib, following oslo.messaging's rabbit driver.
 *
 * Topology (names in `./amqp/naming.ts`): one topic exchange per deployment; a server listens on
 * the shared queue `topic`, on its own queue `topic.server`, and on an exclusive auto-delete queue
 * bound to the fanout exchange `topic_fanout`. Calls carry a correlation id and are answered through
 * RabbitMQ's direct reply-to (one reply consumer per transport); a call message expires in the
 * broker after its timeout so a stale call is never run late.
 *
 * Delivery guarantees: every publish (call, cast, fanout) goes through a publisher-confirm channel
 * and is `mandatory` (except fanouts, whose audience may legitimately be empty), so a message the
 * broker did not route or refused rejects with {@link MessageDeliveryFailure} instead of vanishing.
 * A server acks a message only after its handler finished and the reply was handed to the broker,
 * so a server that dies mid-handler leaves the message to be redelivered (at least once).
 *
 * Resilience: when the connection drops, calls awaiting a reply reject at once with
 * MessageDeliveryFailure; the transport reconnects with capped exponential backoff and jitter,
 * re-declares the exchange, queues, bindings and consumers, and publishes made during the outage
 * wait for it up to `publishWaitMs`. Nothing here throws out of an event handler or leaves a promise
 * rejection unhandled.
 *
 * Retry rule: a cast or fanout whose publish was cut off by the connection (it dropped before the
 * broker confirmed the message, or before the message could be sent) is published again on the next
 * connection, at most `castRetries` times and only while the reconnect comes within `publishWaitMs`
 * of the first loss; only then does it fail with MessageDeliveryFailure. Such a message may have
 * reached its queue before the drop, so casts are delivered at least once and their handlers must
 * be idempotent (they act only on a resource still in the state the cast expects). A cast is never
 * published again after a broker nack, an unroutable return or a confirm timeout: the broker answered
 * (or is alive but stuck), and the caller must see that. Calls are never published again: a call may
 * have run, and running it twice is not known to be safe; its caller gets the error.
 */
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import type { ConsumeMessage, Options } from 'amqplib';

import { backoffDelayMs } from './amqp/backoff';
import type { BackoffOptions } from './amqp/backoff';
import { closeQuietly } from './amqp/close-quietly';
import { errorMessage } from './amqp/error-message';
import { decodeReply, encodeRequest } from './amqp/envelope';
import { fanoutExchangeName, routingKey } from './amqp/naming';
import type { AmqpLink } from './amqp/link';
import { AmqpSubscription } from './amqp/subscription';
import type { SubscriptionHost, SubscriptionConfig } from './amqp/subscription';
import {
  deserializeRemoteError,
  InvalidRpcMessageError,
  MessageDeliveryFailure,
  MessagingTimeout,
} from './errors';
import { nullLogger } from './logger';
import type { Logger } from './logger';
import type { CallOptions, MessageHandler, RpcMessage, Subscription, Target, Transport } from './transport';

/** RabbitMQ's pseudo-queue for direct reply-to. */
const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** Constructor options of {@link AmqpTransport}. Only `url` is required. */
export interface AmqpTransportOptions {
  /** `amqp://user:pass@host:port/vhost`; a `heartbeat` query parameter overrides `heartbeatSeconds`. */
  readonly url: string;
  /** The deployment's topic exchange (oslo's control exchange). @default 'cinder-ts' */
  readonly exchange?: string;
  /** Prepended to every queue and fanout-exchange name, to share a vhost between deployments or test runs. @default '' */
  readonly queuePrefix?: string;
  /** Unacknowledged messages one consumer may hold (per consumer, not per channel). @default 64 */
  readonly prefetch?: number;
  /** Timeout of a call without `timeoutMs` (oslo's rpc_response_timeout). @default 60000 */
  readonly defaultTimeoutMs?: number;
  /** How long a call, cast or listen waits for the connection during an outage before failing. @default 10000 */
  readonly publishWaitMs?: number;
  /** Reconnect backoff. @default { initialDelayMs: 100, maxDelayMs: 5000, jitter: 0.2 } */
  readonly reconnect?: BackoffOptions;
  /** AMQP heartbeat, so a dead peer is noticed without TCP timeouts. @default 15 */
  readonly heartbeatSeconds?: number;
  /** TCP connect timeout of one attempt. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Shown by `rabbitmqctl list_connections client_properties`. @default 'cinder-ts:<exchange>:<random>' */
  readonly connectionName?: string;
  /** `x-expires` of the topic queues, so queues of vanished deployments go away. @default none */
  readonly queueExpiresMs?: number;
  /**
   * Durable exchanges and topic queues, and persistent casts, so queued casts survive a broker
   * restart (oslo's `amqp_durable_queues`). Calls stay transient: their caller fails on the drop anyway.
   * Changing it for existing queues makes the broker refuse the declaration. @default true
   */
  readonly durable?: boolean;
  /**
   * How many times a cast or fanout cut off by a dropped connection is published again on the next one
   * (see the retry rule above); 0 turns the retry off. @default 3
   */
  readonly castRetries?: number;
  /** How long a publish waits for the broker's confirm before failing with MessageDeliveryFailure. @default 30000 */
  readonly confirmTimeoutMs?: number;
  /** How long `close()` lets in-flight handlers finish. @default 10000 */
  readonly drainTimeoutMs?: number;
  /** Where the transport logs (a winston logger fits); it takes a child `{ component: 'rpc.amqp' }`. @default nullLogger */
  readonly logger?: Logger;
}

type State = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

interface PendingCall {
  readonly topic: string;
  readonly method: string;
  readonly timeoutMs: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface PendingPublish {
  readonly gen: number;
  readonly topic: string;
  readonly method: string;
  readonly settle: (err?: Error) => void;
}

interface Waiter {
  readonly resolve: (link: AmqpLink) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly topic: string;
  readonly method: string;
}

type ListenTarget = { readonly topic: string; readonly server: string; readonly fanout?: boolean };

function isBadName(value: unknown): boolean {
  return typeof value !== 'string' || value === '' || value.length > 200 || /[\s#*]/.test(value);
}

/** A target's topic or server; a topic has no dots (`topic.server` is the per-host routing key). */
function checkTarget(kind: 'topic' | 'server', value: unknown): string {
  if (isBadName(value) || (kind === 'topic' && String(value).includes('.'))) {
    throw new InvalidRpcMessageError(
      `invalid ${kind} ${JSON.stringify(value)} (non-empty, no spaces, '#' or '*'${kind === 'topic' ? ', no dots' : ''})`,
    );
  }
  return value as string;
}

/**
 * {@link Transport} over RabbitMQ.
 *
 * @example
 * const transport = new AmqpTransport({ url: 'amqp://guest:guest@127.0.0.1:5672/', logger: root.child({ component: 'rpc' }) });
 * await transport.connect();
 * await transport.listen({ topic: 'volume', server: 'host1', fanout: true }, async (m) => manager.dispatch(m));
 * const stats = await transport.call({ topic: 'volume', server: 'host1' }, message, { timeoutMs: 5000 });
 */
export class AmqpTransport implements Transport, SubscriptionHost {
  readonly description: string;
  /** The connection name given to the broker (see `rabbitmqctl list_connections client_properties`). */
  readonly connectionName: string;

  private readonly url: string;
  private readonly defaultTimeoutMs: number;
  private readonly publishWaitMs: number;
  private readonly backoff: BackoffOptions;
  private readonly connectTimeoutMs: number;
  private readonly confirmTimeoutMs: number;
  private readonly castRetries: number;
  /**
   * Failures that mean "the connection was cut off before the broker confirmed (or got) the message":
   * the only ones a cast is published again after (never a nack, a return or a confirm timeout).
   */
  private readonly cutOff = new WeakSet<Error>();
  /** @internal What each subscription needs to declare and consume. */
  readonly config: SubscriptionConfig;
  private readonly log: Logger;
  /** Distinguishes this transport's fanout queues from its siblings'. */
  private readonly instanceId = randomUUID().slice(0, 8);

  private state: State = 'idle';
  private link: AmqpLink | null = null;
  private gen = 0;
  private publishSeq = 0;
  private connecting: Promise<void> | null = null;
  /** The reconnect loop while it runs (it never rejects). */
  private reconnecting: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private wakeReconnect: (() => void) | null = null;
  private readonly calls = new Map<string, PendingCall>();
  private readonly publishes = new Map<string, PendingPublish>();
  private readonly waiters = new Set<Waiter>();
  private readonly subscriptions = new Set<AmqpSubscription>();

  constructor(options: AmqpTransportOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new TypeError('AmqpTransport: url is not a valid URL');
    }
    if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
      throw new TypeError(
        `AmqpTransport: url must start with amqp:// or amqps:// (got ${parsed.protocol}//)`,
      );
    }
    if (!parsed.searchParams.has('heartbeat')) {
      parsed.searchParams.set('heartbeat', String(options.heartbeatSeconds ?? 15));
    }
    this.url = parsed.toString();
    this.description = `${parsed.protocol}//${parsed.hostname}:${parsed.port || (parsed.protocol === 'amqps:' ? '5671' : '5672')}${parsed.pathname || '/'}`;
    const exchange = options.exchange ?? 'cinder-ts';
    if (isBadName(exchange))
      throw new TypeError(`AmqpTransport: invalid exchange name ${JSON.stringify(exchange)}`);
    const queuePrefix = options.queuePrefix ?? '';
    if (queuePrefix !== '' && isBadName(queuePrefix)) {
      throw new TypeError(`AmqpTransport: invalid queuePrefix ${JSON.stringify(queuePrefix)}`);
    }
    this.config = {
      naming: { exchange, queuePrefix },
      prefetch: positiveInt('prefetch', options.prefetch ?? 64),
      queueExpiresMs:
        options.queueExpiresMs === undefined
          ? undefined
          : positiveInt('queueExpiresMs', options.queueExpiresMs),
      drainTimeoutMs: nonNegativeInt('drainTimeoutMs', options.drainTimeoutMs ?? 10_000),
      durable: options.durable ?? true,
    };
    this.defaultTimeoutMs = positiveInt('defaultTimeoutMs', options.defaultTimeoutMs ?? 60_000);
    this.publishWaitMs = nonNegativeInt('publishWaitMs', options.publishWaitMs ?? 10_000);
    this.backoff = options.reconnect ?? {};
    this.connectTimeoutMs = positiveInt('connectTimeoutMs', options.connectTimeoutMs ?? 5000);
    this.confirmTimeoutMs = positiveInt('confirmTimeoutMs', options.confirmTimeoutMs ?? 30_000);
    this.castRetries = nonNegativeInt('castRetries', options.castRetries ?? 3);
    this.connectionName = options.connectionName ?? `cinder-ts:${exchange}:${this.instanceId}`;
    this.log = (options.logger ?? nullLogger).child({ component: 'rpc.amqp' });
  }

  /** Whether the transport currently has a usable connection. */
  get connected(): boolean {
    return this.state === 'open';
  }

  /**
   * Open the connection and declare the exchange. The first attempt is not retried: a broker that
   * is unreachable at start-up is a configuration error the caller should see. Later drops are
   * retried forever (until `close()`).
   */
  async connect(): Promise<void> {
    if (this.state === 'closed') throw new MessageDeliveryFailure('*', 'connect', 'the transport is closed');
    if (this.state === 'open' || this.state === 'reconnecting') return;
    if (this.connecting === null) {
      this.state = 'connecting';
      this.connecting = this.openLink().then(
        () => {
          this.connecting = null;
        },
        (err: unknown) => {
          this.connecting = null;
          if (this.state === 'connecting') this.state = 'idle';
          throw new MessageDeliveryFailure(
            '*',
            'connect',
            `cannot connect to ${this.description}: ${errorMessage(err)}`,
            {
              cause: err,
            },
          );
        },
      );
    }
    return this.connecting;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  async listen(target: ListenTarget, handler: MessageHandler): Promise<Subscription> {
    const topic = checkTarget('topic', target.topic);
    const server = checkTarget('server', target.server);
    const link = await this.ready(topic, 'listen');
    const sub = new AmqpSubscription(this, { topic, server, fanout: target.fanout === true }, handler);
    this.subscriptions.add(sub);
    try {
      await sub.start(link);
    } catch (err) {
      if (link.lost && this.state !== 'closed') {
        // The connection dropped while declaring; the reconnect re-declares every subscription.
        return sub;
      }
      this.subscriptions.delete(sub);
      throw new MessageDeliveryFailure(topic, 'listen', `cannot declare the queues: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    return sub;
  }

  async call(target: Target, message: RpcMessage, options?: CallOptions): Promise<unknown> {
    const topic = checkTarget('topic', target.topic);
    if (target.server !== undefined) checkTarget('server', target.server);
    if (target.fanout === true)
      throw new InvalidRpcMessageError('a call cannot be a fanout; use cast with fanout: true');
    const timeoutMs = positiveInt('timeoutMs', options?.timeoutMs ?? this.defaultTimeoutMs);
    const body = encodeRequest(message);
    const started = Date.now();
    const link = await this.ready(topic, message.method, Math.min(this.publishWaitMs, timeoutMs));
    const remaining = Math.max(1, timeoutMs - (Date.now() - started));
    const correlationId = randomUUID();
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.calls.delete(correlationId)) reject(new MessagingTimeout(topic, message.method, timeoutMs));
      }, remaining);
      this.calls.set(correlationId, { topic, method: message.method, timeoutMs, resolve, reject, timer });
    });
    // Settled by a failed publish below; never reported as unhandled meanwhile.
    reply.catch(() => undefined);
    const published = this.publish(
      link,
      this.config.naming.exchange,
      routingKey(topic, target.server),
      body,
      topic,
      message.method,
      {
        mandatory: true,
        replyTo: DIRECT_REPLY_TO,
        correlationId,
        // The broker drops the request once nobody can be waiting for its answer any more.
        expiration: String(remaining),
      },
    ).catch((err: unknown) => {
      const pending = this.calls.get(correlationId);
      if (pending !== undefined) {
        this.calls.delete(correlationId);
        clearTimeout(pending.timer);
      }
      throw err;
    });
    // A reply proves the broker routed and accepted the request, so it need not wait for the confirm.
    return Promise.race([reply, published.then(() => reply)]);
  }

  async cast(target: Target, message: RpcMessage): Promise<void> {
    const topic = checkTarget('topic', target.topic);
    if (target.server !== undefined) checkTarget('server', target.server);
    const body = encodeRequest(message);
    const method = message.method;
    const send = async (link: AmqpLink): Promise<void> => {
      if (target.fanout === true) {
        const exchange = fanoutExchangeName(this.config.naming, topic);
        await this.declareFanoutExchange(link, exchange, topic, method);
        // Not mandatory: a fanout reaches every server listening now, and that may be none.
        await this.publish(link, exchange, '', body, topic, method, {});
        return;
      }
      await this.publish(
        link,
        this.config.naming.exchange,
        routingKey(topic, target.server),
        body,
        topic,
        method,
        { mandatory: true, persistent: this.config.durable },
      );
    };
    let link = await this.ready(topic, method);
    let deadline: number | undefined;
    for (let republished = 0; ; republished++) {
      try {
        await send(link);
        if (republished > 0) {
          this.log.info('cast published again after a reconnect', { topic, method, republished });
        }
        return;
      } catch (err) {
        if (!(err instanceof Error) || !this.cutOff.has(err) || republished >= this.castRetries) throw err;
        if (this.state === 'closed' || this.state === 'idle') throw err;
        // One budget for every wait, from the first loss: a flapping broker cannot hold a cast forever.
        deadline ??= Date.now() + this.publishWaitMs;
        const waitMs = deadline - Date.now();
        if (waitMs <= 0) throw err;
        this.log.warn(
          'a cast was cut off by the connection before the broker confirmed it; publishing it again',
          {
            topic,
            method,
            attempt: republished + 1,
          },
        );
        const lostGen = link.gen;
        link = await this.ready(topic, method, waitMs, lostGen).catch((waitErr: unknown) => {
          throw new MessageDeliveryFailure(
            topic,
            method,
            `${(err as MessageDeliveryFailure).reason}, and the connection was not back within ${waitMs} ms to publish it again`,
            { cause: waitErr },
          );
        });
      }
    }
  }

  // ---- internals used by AmqpSubscription ------------------------------------------------------

  /** @internal */
  get logger(): Logger {
    return this.log;
  }

  /** The current link, if the connection is up (and newer than generation `afterGen`). */
  private currentLink(afterGen = -1): AmqpLink | null {
    return this.state === 'open' && this.link !== null && !this.link.lost && this.link.gen > afterGen
      ? this.link
      : null;
  }

  /** @internal Forget a subscription (it closed). */
  forget(sub: AmqpSubscription): void {
    this.subscriptions.delete(sub);
  }

  /** @internal Drop the connection (it is re-established): used when a channel died on its own. */
  resetLink(link: AmqpLink, reason: string): void {
    if (link.lost || link !== this.link || this.state !== 'open') return;
    this.log.warn('resetting the broker connection', { reason });
    void closeQuietly(link.model);
  }

  // ---- connection management -------------------------------------------------------------------

  /** Open a connection, declare everything, and make it current; throws (and cleans up) on failure. */
  private async openLink(): Promise<void> {
    const model = await amqp.connect(this.url, {
      timeout: this.connectTimeoutMs,
      // RPC is latency-bound: without TCP_NODELAY small frames wait on Nagle and delayed ACKs (~40 ms).
      noDelay: true,
      clientProperties: { connection_name: this.connectionName },
    });
    const link: AmqpLink = {
      gen: ++this.gen,
      model,
      pub: null,
      lost: false,
      fanouts: new Set(),
      returned: new Set(),
      drain: null,
    };
    model.on('error', (err: unknown) => this.log.warn('broker connection error', { err: errorMessage(err) }));
    model.on('close', (err: unknown) => this.onLinkLost(link, err));
    try {
      const pub = await model.createConfirmChannel();
      link.pub = pub;
      pub.on('error', (err: unknown) => this.log.warn('publish channel error', { err: errorMessage(err) }));
      pub.on('close', () => {
        if (!link.lost) this.resetLink(link, 'publish channel closed');
      });
      pub.on('return', (msg: ConsumeMessage) => {
        const id: unknown = msg.properties.messageId;
        if (typeof id === 'string') link.returned.add(id);
      });
      await pub.assertExchange(this.config.naming.exchange, 'topic', {
        durable: this.config.durable,
        autoDelete: false,
      });
      await pub.consume(DIRECT_REPLY_TO, (msg) => this.onReply(msg), { noAck: true });
      for (const sub of [...this.subscriptions]) await sub.start(link);
      if (link.lost) throw new Error('the connection dropped while declaring the topology');
      if (this.state === 'closed') throw new Error('the transport was closed while connecting');
    } catch (err) {
      link.lost = true;
      await closeQuietly(model);
      throw err;
    }
    this.link = link;
    this.state = 'open';
    for (const waiter of [...this.waiters]) {
      this.waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(link);
    }
  }

  private onLinkLost(link: AmqpLink, err: unknown): void {
    if (link.lost && link !== this.link) return;
    link.lost = true;
    if (link !== this.link) return; // a link that never became current: its opener handles the failure
    this.link = null;
    const closedByUs = this.state === 'closed';
    const reason = closedByUs ? 'the transport was closed' : 'the connection to the broker was lost';
    for (const [id, call] of this.calls) {
      this.calls.delete(id);
      clearTimeout(call.timer);
      call.reject(
        new MessageDeliveryFailure(
          call.topic,
          call.method,
          `${reason} before the reply arrived; the call may or may not have run`,
        ),
      );
    }
    for (const pending of [...this.publishes.values()]) {
      if (pending.gen !== link.gen) continue;
      const message = `${reason} before the broker confirmed the message`;
      pending.settle(
        closedByUs
          ? new MessageDeliveryFailure(pending.topic, pending.method, message)
          : this.cutOffFailure(pending.topic, pending.method, message),
      );
    }
    if (closedByUs) return;
    this.log.warn('broker connection lost; reconnecting', {
      err: err === undefined ? undefined : errorMessage(err),
    });
    this.state = 'reconnecting';
    this.reconnecting = this.reconnectLoop().finally(() => {
      this.reconnecting = null;
    });
  }

  private async reconnectLoop(): Promise<void> {
    for (let attempt = 0; this.state === 'reconnecting'; attempt++) {
      const delayMs = backoffDelayMs(attempt, this.backoff);
      await new Promise<void>((resolve) => {
        this.wakeReconnect = resolve;
        this.reconnectTimer = setTimeout(resolve, delayMs);
      });
      this.reconnectTimer = null;
      this.wakeReconnect = null;
      if (this.state !== 'reconnecting') return;
      try {
        await this.openLink();
        this.log.info('reconnected to the broker', {
          attempts: attempt + 1,
          subscriptions: this.subscriptions.size,
        });
        return;
      } catch (err) {
        this.log.warn('reconnect attempt failed', { attempt: attempt + 1, err: errorMessage(err) });
      }
    }
  }

  /**
   * The current link, or wait for one (up to `waitMs`) while reconnecting. With `afterGen`, only a link
   * newer than that generation will do (the one a publish was just cut off on may not be marked lost yet).
   */
  private ready(
    topic: string,
    method: string,
    waitMs: number = this.publishWaitMs,
    afterGen = -1,
  ): Promise<AmqpLink> {
    const link = this.currentLink(afterGen);
    if (link !== null) return Promise.resolve(link);
    if (this.state === 'closed')
      return Promise.reject(new MessageDeliveryFailure(topic, method, 'the transport is closed'));
    if (this.state === 'idle') {
      return Promise.reject(
        new MessageDeliveryFailure(topic, method, 'the transport is not connected (call connect() first)'),
      );
    }
    return new Promise<AmqpLink>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        topic,
        method,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new MessageDeliveryFailure(topic, method, `no connection to the broker within ${waitMs} ms`),
          );
        }, waitMs),
      };
      this.waiters.add(waiter);
    });
  }

  private async declareFanoutExchange(
    link: AmqpLink,
    exchange: string,
    topic: string,
    method: string,
  ): Promise<void> {
    if (link.fanouts.has(exchange)) return;
    const pub = link.pub;
    if (pub === null || link.lost)
      throw this.cutOffFailure(topic, method, 'the connection to the broker was lost');
    try {
      // Not auto-delete: an exchange that vanished with its last queue would turn a later publish into a channel error.
      await pub.assertExchange(exchange, 'fanout', { durable: this.config.durable, autoDelete: false });
    } catch (err) {
      if (link.lost) {
        throw this.cutOffFailure(
          topic,
          method,
          'the connection to the broker was lost before the fanout exchange was declared',
        );
      }
      throw new MessageDeliveryFailure(
        topic,
        method,
        `cannot declare the fanout exchange: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    link.fanouts.add(exchange);
  }

  /** Publish on the confirm channel; resolves on the broker's ack, rejects on nack, return or connection loss. */
  private async publish(
    link: AmqpLink,
    exchange: string,
    key: string,
    body: Buffer,
    topic: string,
    method: string,
    props: Options.Publish,
  ): Promise<void> {
    while (link.drain !== null) await link.drain;
    const pub = link.pub;
    // Never sent: a cast may be published again on the next connection.
    if (link.lost || pub === null)
      throw this.cutOffFailure(topic, method, 'the connection to the broker was lost');
    const publishId = `${link.gen}.${++this.publishSeq}`;
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (err?: Error): void => {
        if (!this.publishes.delete(publishId)) return;
        clearTimeout(timer);
        link.returned.delete(publishId);
        if (err === undefined) resolve();
        else reject(err);
      };
      this.publishes.set(publishId, { gen: link.gen, topic, method, settle });
      try {
        const ok = pub.publish(
          exchange,
          key,
          body,
          { ...props, messageId: publishId, contentType: 'application/json' },
          (err: unknown) => {
            if (err !== null && err !== undefined) {
              // amqplib fails every unconfirmed publish of a channel that closes with 'channel closed';
              // only 'message nacked' is the broker's refusal. A closed channel says nothing of delivery.
              settle(
                err instanceof Error && err.message === 'message nacked'
                  ? new MessageDeliveryFailure(topic, method, 'the broker refused the message (nack)')
                  : this.cutOffFailure(
                      topic,
                      method,
                      'the connection to the broker was lost before the broker confirmed the message',
                    ),
              );
            } else if (link.returned.has(publishId)) {
              settle(
                new MessageDeliveryFailure(
                  topic,
                  method,
                  `no queue is bound to '${key}' on exchange '${exchange}' (message returned)`,
                ),
              );
            } else {
              settle();
            }
          },
        );
        // A broker that neither acks nor nacks (memory alarm, frozen network) must not hold a cast forever.
        timer = setTimeout(
          () =>
            settle(
              new MessageDeliveryFailure(
                topic,
                method,
                `the broker did not confirm the message within ${this.confirmTimeoutMs} ms (it may still be delivered)`,
              ),
            ),
          this.confirmTimeoutMs,
        );
        if (!ok && link.drain === null) {
          link.drain = new Promise<void>((release) => {
            const done = (): void => {
              link.drain = null;
              pub.removeListener('drain', done);
              pub.removeListener('close', done);
              release();
            };
            pub.once('drain', done);
            pub.once('close', done);
          });
        }
      } catch (err) {
        // amqplib throws when the channel is already closed (the connection is going): a cut-off.
        const reason = `cannot publish: ${errorMessage(err)}`;
        settle(
          link.lost || /closed/i.test(errorMessage(err))
            ? this.cutOffFailure(topic, method, reason, err)
            : new MessageDeliveryFailure(topic, method, reason, { cause: err }),
        );
      }
    });
  }

  /** A MessageDeliveryFailure a cast may be published again after (see the retry rule). */
  private cutOffFailure(
    topic: string,
    method: string,
    reason: string,
    cause?: unknown,
  ): MessageDeliveryFailure {
    const err = new MessageDeliveryFailure(
      topic,
      method,
      reason,
      cause === undefined ? undefined : { cause },
    );
    this.cutOff.add(err);
    return err;
  }

  private onReply(msg: ConsumeMessage | null): void {
    if (msg === null) return; // reply consumer cancelled: only happens with the connection, handled there
    const correlationId: unknown = msg.properties.correlationId;
    const call = typeof correlationId === 'string' ? this.calls.get(correlationId) : undefined;
    if (call === undefined || typeof correlationId !== 'string') {
      this.log.debug('dropping a reply nobody waits for (timed out?)', { correlationId });
      return;
    }
    this.calls.delete(correlationId);
    clearTimeout(call.timer);
    try {
      const reply = decodeReply(msg.content);
      if (reply.ok) call.resolve(reply.result);
      else call.reject(deserializeRemoteError(reply.failure));
    } catch (err) {
      call.reject(err instanceof Error ? err : new InvalidRpcMessageError(String(err)));
    }
  }

  private async shutdown(): Promise<void> {
    const wasConnecting = this.connecting;
    this.state = 'closed';
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.wakeReconnect?.();
    for (const waiter of [...this.waiters]) {
      this.waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.reject(new MessageDeliveryFailure(waiter.topic, waiter.method, 'the transport was closed'));
    }
    // Pending calls fail now, not after the subscriptions drained: their replies could not arrive anyway.
    for (const [id, call] of this.calls) {
      this.calls.delete(id);
      clearTimeout(call.timer);
      call.reject(
        new MessageDeliveryFailure(
          call.topic,
          call.method,
          'the transport was closed before the reply arrived',
        ),
      );
    }
    await wasConnecting?.catch(() => undefined);
    // A reconnect attempt in progress sees the closed state and closes what it opened.
    await this.reconnecting;
    await Promise.allSettled([...this.subscriptions].map((sub) => sub.close()));
    const link = this.link;
    this.link = null;
    if (link !== null && !link.lost) await closeQuietly(link.model);
    // Publishes still unconfirmed (normally none after the close handshake).
    for (const pending of [...this.publishes.values()]) {
      pending.settle(
        new MessageDeliveryFailure(
          pending.topic,
          pending.method,
          'the transport was closed before the broker confirmed the message',
        ),
      );
    }
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new TypeError(`AmqpTransport: ${name} must be a positive integer (got ${value})`);
  return value;
}

function nonNegativeInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw new TypeError(`AmqpTransport: ${name} must be a non-negative integer (got ${value})`);
  return value;
}
