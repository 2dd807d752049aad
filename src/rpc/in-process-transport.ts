/**
 * The embedded-default transport: every service in one process, no broker.
 *
 * It behaves like the wire on purpose, so code that works here works on RabbitMQ:
 * - every message and reply is deep-copied through JSON (Dates become strings, `undefined` vanishes,
 *   class instances lose their prototype; a value JSON cannot carry is rejected, not half-sent);
 * - delivery is asynchronous (`setImmediate`), never re-entrant: `call()`/`cast()` return before the
 *   handler runs;
 * - `topic` is shared round-robin by its listeners, `topic.server` by the listeners of that server,
 *   a fanout reaches every listener that listens on the fanout of the topic;
 * - a call not answered within its timeout rejects with {@link MessagingTimeout};
 * - a handler that throws on a call becomes the remote error re-raised at the caller (through
 *   {@link serializeRemoteError}/{@link deserializeRemoteError}); on a cast it is logged, never thrown.
 * - a cast or call that no listener could receive rejects with {@link MessageDeliveryFailure}
 *   (a fanout nobody listens to is simply dropped, like an AMQP fanout exchange without queues).
 */
import { v4 as uuidv4 } from 'uuid';
import {
  deserializeRemoteError,
  InvalidRpcMessageError,
  MessageDeliveryFailure,
  MessagingTimeout,
  serializeRemoteError,
} from './errors';
import { nullLogger, type Logger } from './logger';
import type {
  CallOptions,
  MessageHandler,
  RpcMessage,
  RpcReply,
  SerializedRemoteError,
  Subscription,
  Target,
  Transport,
} from './transport';

/** Default `rpc_response_timeout` (oslo.messaging): 60 s. */
export const DEFAULT_RPC_TIMEOUT_MS = 60_000;

export interface InProcessTransportOptions {
  /** Call timeout when the caller gives none. @default 60000 */
  readonly defaultTimeoutMs?: number;
  readonly logger?: Logger;
}

interface Listener {
  readonly id: string;
  readonly topic: string;
  readonly server: string;
  readonly fanout: boolean;
  readonly handler: MessageHandler;
  active: boolean;
  readonly inFlight: Set<Promise<void>>;
}

interface PendingCall {
  readonly reject: (err: Error) => void;
  readonly topic: string;
  readonly method: string;
}

/** Validate the envelope and deep-copy it through JSON, as the wire would. */
export function copyMessage(message: RpcMessage): RpcMessage {
  return JSON.parse(encodeMessage(message)) as RpcMessage;
}

/** Validate the envelope and serialize it as the wire would (each receiver then parses its own copy). */
function encodeMessage(message: RpcMessage): string {
  if (message === null || typeof message !== 'object')
    throw new InvalidRpcMessageError('message is not an object');
  if (message.envelopeVersion !== 1) {
    throw new InvalidRpcMessageError(`unsupported envelope version ${String(message.envelopeVersion)}`);
  }
  if (typeof message.method !== 'string' || message.method === '') {
    throw new InvalidRpcMessageError('method must be a non-empty string');
  }
  if (message.args === null || typeof message.args !== 'object' || Array.isArray(message.args)) {
    throw new InvalidRpcMessageError('args must be an object');
  }
  return jsonText(message, `message '${message.method}'`);
}

function jsonCopy(value: unknown, what: string): unknown {
  return JSON.parse(jsonText(value, what)) as unknown;
}

function jsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new InvalidRpcMessageError(`${what} cannot be serialized: ${(err as Error).message}`);
  }
  return text ?? 'null';
}

function validateTarget(target: { readonly topic: string; readonly server?: string }): void {
  if (typeof target.topic !== 'string' || target.topic === '' || target.topic.includes('.')) {
    throw new InvalidRpcMessageError(`invalid topic '${String(target.topic)}' (non-empty, no dots)`);
  }
  if (target.server !== undefined && (typeof target.server !== 'string' || target.server === '')) {
    throw new InvalidRpcMessageError(`invalid server '${String(target.server)}'`);
  }
}

export class InProcessTransport implements Transport {
  readonly description = 'in-process';
  private readonly listeners: Listener[] = [];
  private readonly roundRobin = new Map<string, number>();
  private readonly pending = new Set<PendingCall>();
  private readonly defaultTimeoutMs: number;
  private readonly log: Logger;
  private closed = false;

  constructor(options: InProcessTransportOptions = {}) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    this.log = (options.logger ?? nullLogger).child({ component: 'rpc.in-process' });
  }

  async connect(): Promise<void> {
    // Nothing to connect to; a closed transport stays closed (like a closed AMQP connection object).
    if (this.closed) throw new MessageDeliveryFailure('*', 'connect', 'transport is closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const listeners = this.listeners.splice(0);
    for (const l of listeners) l.active = false;
    for (const p of [...this.pending])
      p.reject(new MessageDeliveryFailure(p.topic, p.method, 'transport closed'));
    this.pending.clear();
    // Handlers still running are not awaited: one that never returns must not hang shutdown.
    // A graceful stop closes its subscriptions (which do wait) before closing the transport.
  }

  async listen(
    target: { readonly topic: string; readonly server: string; readonly fanout?: boolean },
    handler: MessageHandler,
  ): Promise<Subscription> {
    if (this.closed) throw new MessageDeliveryFailure(target.topic, 'listen', 'transport is closed');
    validateTarget(target);
    if (typeof target.server !== 'string' || target.server === '') {
      throw new InvalidRpcMessageError('a listener needs a server name');
    }
    const listener: Listener = {
      id: uuidv4(),
      topic: target.topic,
      server: target.server,
      fanout: target.fanout === true,
      handler,
      active: true,
      inFlight: new Set(),
    };
    this.listeners.push(listener);
    this.log.debug('listening', { topic: target.topic, server: target.server, fanout: listener.fanout });
    return {
      close: async () => {
        if (!listener.active) {
          await Promise.allSettled([...listener.inFlight]);
          return;
        }
        listener.active = false;
        const i = this.listeners.indexOf(listener);
        if (i >= 0) this.listeners.splice(i, 1);
        await Promise.allSettled([...listener.inFlight]);
      },
    };
  }

  async call(target: Target, message: RpcMessage, options: CallOptions = {}): Promise<unknown> {
    const method = typeof message?.method === 'string' ? message.method : '?';
    if (this.closed) throw new MessageDeliveryFailure(target.topic, method, 'transport is closed');
    validateTarget(target);
    if (target.fanout === true) throw new InvalidRpcMessageError('a call cannot fan out; use cast');
    const copy = copyMessage(message);
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new InvalidRpcMessageError(`timeoutMs must be a positive number, got ${String(timeoutMs)}`);
    }
    const listener = this.pick(target);
    if (listener === undefined)
      throw new MessageDeliveryFailure(target.topic, method, `no server listens on ${routeKey(target)}`);

    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      const entry: PendingCall = {
        topic: target.topic,
        method,
        reject: (err) => finish(() => reject(err)),
      };
      const timer = setTimeout(() => {
        finish(() => reject(new MessagingTimeout(target.topic, method, timeoutMs)));
      }, timeoutMs);
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(entry);
        settle();
      };
      this.pending.add(entry);
      this.deliver(target, listener, copy, (reply) => {
        if (settled) {
          this.log.debug('dropping late reply', { topic: target.topic, method, messageId: copy.messageId });
          return;
        }
        if (reply.ok) finish(() => resolve(reply.result));
        else finish(() => reject(deserializeRemoteError(reply.failure)));
      });
    });
  }

  async cast(target: Target, message: RpcMessage): Promise<void> {
    const method = typeof message?.method === 'string' ? message.method : '?';
    if (this.closed) throw new MessageDeliveryFailure(target.topic, method, 'transport is closed');
    validateTarget(target);
    if (target.fanout === true) {
      // Serialized once (and so checked even when nobody listens, e.g. notifications without a
      // consumer); each server parses its own copy, as each fanout queue gets its own message.
      const text = encodeMessage(message);
      for (const l of this.listeners.filter((x) => x.active && x.fanout && x.topic === target.topic)) {
        this.deliver(target, l, JSON.parse(text) as RpcMessage, undefined);
      }
      return;
    }
    const copy = copyMessage(message);
    const listener = this.pick(target);
    if (listener === undefined)
      throw new MessageDeliveryFailure(target.topic, method, `no server listens on ${routeKey(target)}`);
    this.deliver(target, listener, copy, undefined);
  }

  /** Round-robin over the active listeners of `topic` or `topic.server`. */
  private pick(target: Target): Listener | undefined {
    const key = routeKey(target);
    const candidates = this.listeners.filter(
      (l) =>
        l.active && l.topic === target.topic && (target.server === undefined || l.server === target.server),
    );
    if (candidates.length === 0) return undefined;
    const n = this.roundRobin.get(key) ?? 0;
    this.roundRobin.set(key, n + 1);
    return candidates[n % candidates.length];
  }

  /**
   * Run the handler on a later turn of the event loop. If the chosen listener was closed before
   * the message reached it, the message goes to another listener of the same route (like an
   * unacknowledged AMQP message being requeued), or fails the call when there is none.
   */
  private deliver(
    target: Target,
    listener: Listener,
    message: RpcMessage,
    onReply: ((reply: RpcReply) => void) | undefined,
  ): void {
    setImmediate(() => {
      let l: Listener | undefined = listener;
      if (!l.active) {
        l = target.fanout === true ? undefined : this.pick(target);
        if (l === undefined) {
          if (onReply !== undefined) {
            onReply({
              ok: false,
              failure: serializeRemoteError(
                new MessageDeliveryFailure(
                  target.topic,
                  message.method,
                  `no server listens on ${routeKey(target)}`,
                ),
              ),
            });
          } else {
            this.log.warn('dropping message: its server went away before delivery', {
              topic: target.topic,
              method: message.method,
              messageId: message.messageId,
            });
          }
          return;
        }
      }
      const active = l;
      const run = (async (): Promise<void> => {
        let reply: RpcReply;
        try {
          const result = await active.handler(message);
          reply = {
            ok: true,
            result: result === undefined ? null : jsonCopy(result, `reply to '${message.method}'`),
          };
        } catch (err) {
          const failure: SerializedRemoteError = jsonCopy(
            serializeRemoteError(err),
            'error',
          ) as SerializedRemoteError;
          reply = { ok: false, failure };
          if (onReply === undefined) {
            this.log.error('error handling cast', {
              topic: target.topic,
              server: active.server,
              method: message.method,
              messageId: message.messageId,
              err,
            });
          }
        }
        onReply?.(reply);
      })().catch((err: unknown) => {
        // Only reachable if onReply itself throws; never let it escape as an unhandled rejection.
        this.log.error('error delivering reply', { method: message.method, err });
      });
      active.inFlight.add(run);
      void run.finally(() => active.inFlight.delete(run));
    });
  }
}

function routeKey(target: Target): string {
  return target.server === undefined ? target.topic : `${target.topic}.${target.server}`;
}
