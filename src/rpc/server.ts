/**
 * The server side of RPC (oslo.messaging RPCServer + RPCDispatcher): listens on `topic`,
 * `topic.server` and the fanout of `topic`, and dispatches each message's `method` to the first
 * endpoint that has it and speaks a compatible version (same major, minor not above the endpoint's).
 *
 * A method is called as `endpoint[method](ctx, args)`. Errors it throws go back to a caller as the
 * remote error (the transport serializes them); for casts the transport logs them. Nothing a
 * message does can crash the process.
 */
import { RequestContext } from './context';
import { InvalidRpcMessageError, NoSuchMethodError, UnsupportedVersionError } from './errors';
import { nullLogger, type Logger } from './logger';
import { noopSerializer, parseVersion, versionIsCompatible, type RpcSerializer } from './serializer';
import type { RpcMessage, Subscription, Transport } from './transport';

/** What an RPC method looks like on an endpoint. */
export type RpcMethod = (ctx: RequestContext, args: Record<string, unknown>) => unknown;

/** Any object whose public methods are callable over RPC. */
export interface RpcEndpoint {
  /** The API version this endpoint implements, 'major.minor'. @default '1.0' */
  readonly rpcApiVersion?: string;
  /** When given, only these methods are callable; otherwise every public method (see {@link markRpcBoundary}). */
  readonly rpcMethods?: readonly string[];
}

/** Version assumed for endpoints and messages that state none (oslo.messaging's default). */
export const DEFAULT_RPC_VERSION = '1.0';

const RPC_BOUNDARY = Symbol.for('cinder-ts.rpc.boundary');

/**
 * Methods defined on `proto` or its ancestors are never callable over RPC (used by the Manager base
 * so its lifecycle hooks cannot be invoked remotely).
 */
export function markRpcBoundary(proto: object): void {
  Object.defineProperty(proto, RPC_BOUNDARY, { value: true, enumerable: false });
}

function isReservedByBoundary(start: object, method: string): boolean {
  for (
    let p = Object.getPrototypeOf(start) as object | null;
    p !== null && p !== Object.prototype;
    p = Object.getPrototypeOf(p) as object | null
  ) {
    if (Object.prototype.hasOwnProperty.call(p, RPC_BOUNDARY)) return method in p;
  }
  return false;
}

/** Find `method` on `endpoint`, refusing private names, Object builtins and methods past the boundary. */
export function findRpcMethod(endpoint: object, method: string): RpcMethod | undefined {
  if (method === 'constructor' || method.startsWith('_')) return undefined;
  const allowed = (endpoint as RpcEndpoint).rpcMethods;
  if (allowed !== undefined && !allowed.includes(method)) return undefined;
  let obj: object | null = endpoint;
  while (obj !== null && obj !== Object.prototype) {
    // A name the boundary class defines (a lifecycle hook) stays private even when overridden.
    if (Object.prototype.hasOwnProperty.call(obj, RPC_BOUNDARY)) return undefined;
    if (isReservedByBoundary(obj, method)) return undefined;
    const desc = Object.getOwnPropertyDescriptor(obj, method);
    if (desc !== undefined) {
      return typeof desc.value === 'function' ? (desc.value as RpcMethod) : undefined;
    }
    obj = Object.getPrototypeOf(obj) as object | null;
  }
  return undefined;
}

export interface RpcServerOptions {
  /** Also listen on the fanout of the topic. @default true */
  readonly fanout?: boolean;
  readonly serializer?: RpcSerializer;
  readonly logger?: Logger;
}

export class RpcServer {
  private subscription: Subscription | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private readonly log: Logger;
  private readonly serializer: RpcSerializer;

  constructor(
    private readonly transport: Transport,
    readonly target: { readonly topic: string; readonly server: string },
    /** Objects whose public methods are callable; see {@link RpcEndpoint} for the optional markers. */
    private readonly endpoints: readonly object[],
    private readonly options: RpcServerOptions = {},
  ) {
    if (endpoints.length === 0) throw new TypeError('an RPC server needs at least one endpoint');
    for (const e of endpoints as readonly RpcEndpoint[]) {
      const v = e.rpcApiVersion ?? DEFAULT_RPC_VERSION;
      if (parseVersion(v) === undefined) throw new TypeError(`endpoint has an invalid rpcApiVersion '${v}'`);
    }
    this.log = (options.logger ?? nullLogger).child({
      component: 'rpc.server',
      topic: target.topic,
      server: target.server,
    });
    this.serializer = options.serializer ?? noopSerializer;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  async start(): Promise<void> {
    if (this.state !== 'new')
      throw new Error(`RPC server for '${this.target.topic}' cannot start: it is ${this.state}`);
    this.subscription = await this.transport.listen(
      { topic: this.target.topic, server: this.target.server, fanout: this.options.fanout ?? true },
      (message) => this.dispatch(message),
    );
    this.state = 'running';
    this.log.debug('RPC server started');
  }

  /** Stop consuming and wait for the handlers already running. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    const sub = this.subscription;
    this.subscription = undefined;
    if (sub !== undefined) await sub.close();
    this.log.debug('RPC server stopped');
  }

  /** Dispatch one message; exposed for tests and for transports that deliver synchronously. */
  async dispatch(message: RpcMessage): Promise<unknown> {
    const ctx = RequestContext.fromDict(message.context);
    const requested = message.version ?? DEFAULT_RPC_VERSION;
    if (parseVersion(requested) === undefined) throw new InvalidRpcMessageError(`bad version '${requested}'`);
    let found: { endpoint: object; fn: RpcMethod } | undefined;
    let incompatible: string | undefined;
    for (const endpoint of this.endpoints) {
      const fn = findRpcMethod(endpoint, message.method);
      if (fn === undefined) continue;
      const available = (endpoint as RpcEndpoint).rpcApiVersion ?? DEFAULT_RPC_VERSION;
      if (versionIsCompatible(available, requested)) {
        found = { endpoint, fn };
        break;
      }
      incompatible ??= available;
    }
    if (found === undefined) {
      if (incompatible !== undefined)
        throw new UnsupportedVersionError(requested, message.method, incompatible);
      throw new NoSuchMethodError(message.method);
    }
    const args = this.serializer.deserializeEntity(ctx, message.args) as Record<string, unknown>;
    this.log.debug('dispatching', {
      method: message.method,
      requestId: ctx.requestId,
      messageId: message.messageId,
    });
    const result = await found.fn.call(found.endpoint, ctx, args);
    return this.serializer.serializeEntity(ctx, result);
  }
}
