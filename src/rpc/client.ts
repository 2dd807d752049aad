/**
 * The caller side of RPC (oslo.messaging RPCClient): `call` waits for the result, `cast` fires and
 * forgets, `prepare()` narrows the target (one server, fanout, another version or timeout).
 *
 * @example
 * const scheduler = new RpcClient(transport, { topic: 'scheduler' }, { version: '3.0' });
 * await scheduler.cast(ctx, 'create_volume', { volumeId });
 * const hosts = await scheduler.prepare({ version: '3.2', timeoutMs: 5000 }).call(ctx, 'get_pools', {});
 */
import { v4 as uuidv4 } from 'uuid';
import type { RequestContext } from './context';
import { InvalidRpcMessageError } from './errors';
import { noopSerializer, parseVersion, versionIsCompatible, type RpcSerializer } from './serializer';
import type { RpcMessage, Target, Transport } from './transport';

export interface RpcClientOptions {
  /** The API version this client speaks, 'major.minor'. Overrides `target.version`. */
  readonly version?: string;
  /** Highest version the servers are known to accept (rolling upgrades); see {@link RpcClient.canSendVersion}. */
  readonly versionCap?: string;
  /** Call timeout; the transport's default (60 s) when absent. */
  readonly timeoutMs?: number;
  readonly serializer?: RpcSerializer;
}

export interface PrepareOptions {
  readonly topic?: string;
  readonly server?: string;
  readonly fanout?: boolean;
  readonly version?: string;
  readonly timeoutMs?: number;
}

export class RpcClient {
  readonly target: Target;
  private readonly options: RpcClientOptions;

  constructor(
    private readonly transport: Transport,
    target: Target,
    options: RpcClientOptions = {},
  ) {
    const version = options.version ?? target.version;
    if (version !== undefined && parseVersion(version) === undefined) {
      throw new InvalidRpcMessageError(`version must look like '1.0', got '${version}'`);
    }
    if (options.versionCap !== undefined && parseVersion(options.versionCap) === undefined) {
      throw new InvalidRpcMessageError(`versionCap must look like '1.0', got '${options.versionCap}'`);
    }
    this.target = { ...target, ...(version !== undefined ? { version } : {}) };
    this.options = { ...options, ...(version !== undefined ? { version } : {}) };
  }

  /** A client for a narrower target; this one is unchanged. */
  prepare(opts: PrepareOptions): RpcClient {
    const target: Target = {
      topic: opts.topic ?? this.target.topic,
      ...((opts.server ?? this.target.server) !== undefined
        ? { server: opts.server ?? this.target.server }
        : {}),
      ...((opts.fanout ?? this.target.fanout) !== undefined
        ? { fanout: opts.fanout ?? this.target.fanout }
        : {}),
    };
    const version = opts.version ?? this.options.version;
    return new RpcClient(this.transport, target, {
      ...this.options,
      ...(version !== undefined ? { version } : {}),
      ...((opts.timeoutMs ?? this.options.timeoutMs) !== undefined
        ? { timeoutMs: opts.timeoutMs ?? this.options.timeoutMs }
        : {}),
    });
  }

  /** Whether `version` may be sent given the version cap (always true without a cap). */
  canSendVersion(version: string): boolean {
    const cap = this.options.versionCap;
    return cap === undefined || versionIsCompatible(cap, version);
  }

  /**
   * Request/response. The result is deserialized with the client's serializer; the type parameter
   * is the caller's claim about the remote method's result, not checked at runtime.
   * Rejects with MessagingTimeout, MessageDeliveryFailure, or the remote error re-raised.
   */
  async call<T = unknown>(
    ctx: RequestContext,
    method: string,
    args: Record<string, unknown> = {},
  ): Promise<T> {
    if (this.target.fanout === true) throw new InvalidRpcMessageError('a call cannot fan out; use cast');
    const message = this.message(ctx, method, args);
    const raw = await this.transport.call(
      this.target,
      message,
      this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {},
    );
    return this.serializer.deserializeEntity(ctx, raw) as T;
  }

  /** Fire and forget; resolves once the transport accepted the message (to one server, or to all with fanout). */
  async cast(ctx: RequestContext, method: string, args: Record<string, unknown> = {}): Promise<void> {
    await this.transport.cast(this.target, this.message(ctx, method, args));
  }

  private get serializer(): RpcSerializer {
    return this.options.serializer ?? noopSerializer;
  }

  private message(ctx: RequestContext, method: string, args: Record<string, unknown>): RpcMessage {
    if (typeof method !== 'string' || method === '')
      throw new InvalidRpcMessageError('method must be a non-empty string');
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      throw new InvalidRpcMessageError(`args of '${method}' must be an object`);
    }
    const serialized = this.serializer.serializeEntity(ctx, args) as Record<string, unknown>;
    return {
      envelopeVersion: 1,
      method,
      args: serialized,
      context: { ...ctx.toDict() },
      ...(this.options.version !== undefined ? { version: this.options.version } : {}),
      messageId: uuidv4(),
    };
  }
}
