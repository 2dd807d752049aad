/**
 * RPC errors and the mapping of remote exceptions across the wire (oslo.messaging semantics).
 *
 * A server that catches an error serializes it with {@link serializeRemoteError}; the caller turns
 * it back with {@link deserializeRemoteError}. When the error class was registered with
 * {@link registerRemoteErrorClass} the caller gets an instance of that same class (so
 * `instanceof VolumeNotFoundError` works across processes) carrying the remote message and fields;
 * otherwise it gets a {@link RemoteError} that names the remote class.
 */
import type { SerializedRemoteError } from './transport';

/** Base of the errors raised by the RPC layer itself. */
export abstract class RpcError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A call was not answered within its timeout. */
export class MessagingTimeout extends RpcError {
  readonly code = 'MESSAGING_TIMEOUT';
  constructor(
    readonly topic: string,
    readonly method: string,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for a reply to '${method}' on topic '${topic}'`, options);
  }
}

/**
 * A remote method raised an error whose class is not registered locally.
 * `remoteName` is the remote class name, `remoteMessage` its message; `remoteFields` its data fields.
 */
export class RemoteError extends RpcError {
  readonly code = 'REMOTE_ERROR';
  constructor(
    readonly remoteName: string,
    readonly remoteMessage: string,
    readonly remoteCode?: string,
    readonly remoteFields: Readonly<Record<string, unknown>> = {},
    readonly remoteTraceback?: string,
  ) {
    super(`remote error: ${remoteName}: ${remoteMessage}`);
  }
}

/** A message the transport could not deliver (no route, broker refused it, connection gone). */
export class MessageDeliveryFailure extends RpcError {
  readonly code = 'MESSAGE_DELIVERY_FAILURE';
  constructor(
    readonly topic: string,
    readonly method: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`could not deliver '${method}' to topic '${topic}': ${reason}`, options);
  }
}

/** The server does not implement the requested API version (major differs or minor too new). */
export class UnsupportedVersionError extends RpcError {
  readonly code = 'RPC_UNSUPPORTED_VERSION';
  constructor(
    readonly requestedVersion: string,
    readonly method: string,
    readonly serverVersion: string,
  ) {
    super(`endpoint version ${serverVersion} cannot serve '${method}' at version ${requestedVersion}`);
  }
}

/** No endpoint on the server has the requested method. */
export class NoSuchMethodError extends RpcError {
  readonly code = 'RPC_NO_SUCH_METHOD';
  constructor(readonly method: string) {
    super(`no endpoint implements method '${method}'`);
  }
}

/** The RPC message or its arguments were malformed (bad envelope, non-JSON values, bad version string). */
export class InvalidRpcMessageError extends RpcError {
  readonly code = 'RPC_INVALID_MESSAGE';
  constructor(readonly reason: string) {
    super(`invalid RPC message: ${reason}`);
  }
}

/** Any Error subclass; its constructor signature does not matter (it is not called on re-raise). */
export type ErrorClass = abstract new (...args: never[]) => Error;

const registry = new Map<string, ErrorClass>();

/**
 * Make `ctor` known to {@link deserializeRemoteError}: a remote error whose name is `name`
 * (default `ctor.name`) is re-raised as an instance of `ctor`. Registering the same class twice is
 * a no-op; registering a different class under a taken name throws.
 *
 * The constructor is not called on re-raise: the instance is created from the prototype and given
 * the remote `message`, `code` and fields, so any constructor signature works.
 */
export function registerRemoteErrorClass(ctor: ErrorClass, name: string = ctor.name): void {
  const existing = registry.get(name);
  if (existing !== undefined && existing !== ctor) {
    throw new TypeError(`a different error class is already registered as '${name}'`);
  }
  registry.set(name, ctor);
}

/** For tests and reloads: whether a class is registered under `name`. */
export function isRemoteErrorClassRegistered(name: string): boolean {
  return registry.has(name);
}

const RESERVED_FIELDS = new Set(['name', 'message', 'stack', 'cause', 'code']);

function jsonSafe(value: unknown): { ok: true; value: unknown } | { ok: false } {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return { ok: false };
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return { ok: false };
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * Turn anything thrown by a server-side method into the wire shape. Own enumerable fields that
 * survive JSON are kept (`volumeId` …); the rest are dropped. A {@link RemoteError} being relayed
 * keeps the original remote name, so a chain of calls reports the first class.
 */
export function serializeRemoteError(err: unknown): SerializedRemoteError {
  if (err instanceof RemoteError) {
    return {
      name: err.remoteName,
      message: err.remoteMessage,
      ...(err.remoteCode !== undefined ? { code: err.remoteCode } : {}),
      fields: { ...err.remoteFields },
      ...(err.remoteTraceback !== undefined ? { remoteTraceback: err.remoteTraceback } : {}),
    };
  }
  if (err instanceof Error) {
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(err)) {
      if (RESERVED_FIELDS.has(key)) continue;
      const safe = jsonSafe((err as unknown as Record<string, unknown>)[key]);
      if (safe.ok) fields[key] = safe.value;
    }
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name || err.constructor.name || 'Error',
      message: err.message,
      ...(typeof code === 'string' ? { code } : {}),
      fields,
      ...(typeof err.stack === 'string' ? { remoteTraceback: err.stack } : {}),
    };
  }
  let message: string;
  try {
    message = typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
  } catch {
    message = String(err);
  }
  return { name: 'Error', message, fields: {} };
}

/**
 * Re-raise a remote error locally: an instance of the registered class named `s.name`, with the
 * remote message, code and fields as own properties and `remoteTraceback` (non-enumerable) when
 * given; a {@link RemoteError} when the class is unknown or `s` is malformed.
 */
export function deserializeRemoteError(s: SerializedRemoteError): Error {
  const name = typeof s?.name === 'string' ? s.name : 'Error';
  const message = typeof s?.message === 'string' ? s.message : String(s?.message ?? '');
  const fields = s?.fields !== null && typeof s?.fields === 'object' ? s.fields : {};
  const ctor = registry.get(name);
  if (ctor === undefined) {
    return new RemoteError(name, message, s?.code, fields, s?.remoteTraceback);
  }
  const err = Object.create(ctor.prototype as object) as Error;
  const local = new Error(message);
  Object.defineProperty(err, 'message', {
    value: message,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  Object.defineProperty(err, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  for (const [key, value] of Object.entries(fields)) {
    if (RESERVED_FIELDS.has(key)) continue;
    (err as unknown as Record<string, unknown>)[key] = value;
  }
  if (s.code !== undefined) {
    Object.defineProperty(err, 'code', {
      value: s.code,
      writable: false,
      configurable: true,
      enumerable: true,
    });
  }
  const localStack = (local.stack ?? '').split('\n').slice(1).join('\n');
  const stack =
    `${name}: ${message}\n${localStack}` +
    (s.remoteTraceback !== undefined ? `\n--- remote ---\n${s.remoteTraceback}` : '');
  Object.defineProperty(err, 'stack', {
    value: stack,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  if (s.remoteTraceback !== undefined) {
    Object.defineProperty(err, 'remoteTraceback', {
      value: s.remoteTraceback,
      writable: false,
      configurable: true,
      enumerable: false,
    });
  }
  return err;
}

registerRemoteErrorClass(MessagingTimeout);
registerRemoteErrorClass(MessageDeliveryFailure);
registerRemoteErrorClass(UnsupportedVersionError);
registerRemoteErrorClass(NoSuchMethodError);
registerRemoteErrorClass(InvalidRpcMessageError);
