/**
 * What the AMQP transport puts in a message body: the {@link RpcMessage} envelope as JSON for
 * requests, and a versioned {@link RpcReply} for call replies. Decoding validates the shape so a
 * foreign or corrupt message becomes an {@link InvalidRpcMessageError}, never a crash.
 */
import { InvalidRpcMessageError } from '../errors';
import type { RpcMessage, RpcReply, SerializedRemoteError } from '../transport';

/** The only envelope version this transport reads and writes. */
export const ENVELOPE_VERSION = 1;

/** A reply as it travels: the reply union plus the envelope version. */
export type WireReply = RpcReply & { readonly envelopeVersion: typeof ENVELOPE_VERSION };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new InvalidRpcMessageError(`body is not JSON (${(err as Error).message})`);
  }
}

/** Serialize a request. Throws InvalidRpcMessageError when the message does not survive JSON. */
export function encodeRequest(message: RpcMessage): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify({ ...message, envelopeVersion: ENVELOPE_VERSION });
  } catch (err) {
    throw new InvalidRpcMessageError(
      `message '${message.method}' is not serializable (${(err as Error).message})`,
    );
  }
  if (text === undefined) throw new InvalidRpcMessageError(`message '${message.method}' is not serializable`);
  return Buffer.from(text, 'utf8');
}

/** Parse and validate a request body. */
export function decodeRequest(body: Buffer): RpcMessage {
  const raw = parse(body);
  if (!isRecord(raw)) throw new InvalidRpcMessageError('envelope is not an object');
  if (raw.envelopeVersion !== ENVELOPE_VERSION) {
    throw new InvalidRpcMessageError(`unsupported envelope version ${JSON.stringify(raw.envelopeVersion)}`);
  }
  if (typeof raw.method !== 'string' || raw.method === '')
    throw new InvalidRpcMessageError('method is missing');
  if (!isRecord(raw.args)) throw new InvalidRpcMessageError('args is not an object');
  if (!isRecord(raw.context)) throw new InvalidRpcMessageError('context is not an object');
  if (typeof raw.messageId !== 'string') throw new InvalidRpcMessageError('messageId is missing');
  if (raw.version !== undefined && typeof raw.version !== 'string') {
    throw new InvalidRpcMessageError('version is not a string');
  }
  return {
    envelopeVersion: ENVELOPE_VERSION,
    method: raw.method,
    args: raw.args,
    context: raw.context,
    messageId: raw.messageId,
    ...(raw.version !== undefined ? { version: raw.version } : {}),
  };
}

/** Serialize a success reply; a result that does not survive JSON turns into a failure reply. */
export function encodeReply(reply: RpcReply): Buffer {
  try {
    const text = JSON.stringify({ envelopeVersion: ENVELOPE_VERSION, ...reply });
    if (text !== undefined) return Buffer.from(text, 'utf8');
  } catch {
    // fall through to the failure reply below
  }
  const failure: SerializedRemoteError = {
    name: 'InvalidRpcMessageError',
    message: 'invalid RPC message: the result of the call is not serializable to JSON',
    code: 'RPC_INVALID_MESSAGE',
  };
  return Buffer.from(JSON.stringify({ envelopeVersion: ENVELOPE_VERSION, ok: false, failure }), 'utf8');
}

/** Parse and validate a reply body. */
export function decodeReply(body: Buffer): WireReply {
  const raw = parse(body);
  if (!isRecord(raw)) throw new InvalidRpcMessageError('reply is not an object');
  if (raw.envelopeVersion !== ENVELOPE_VERSION) {
    throw new InvalidRpcMessageError(
      `unsupported reply envelope version ${JSON.stringify(raw.envelopeVersion)}`,
    );
  }
  // JSON has no undefined: a handler that returned nothing answers null, as on the in-process transport.
  if (raw.ok === true) return { envelopeVersion: ENVELOPE_VERSION, ok: true, result: raw.result ?? null };
  if (raw.ok === false && isRecord(raw.failure) && typeof raw.failure.name === 'string') {
    return {
      envelopeVersion: ENVELOPE_VERSION,
      ok: false,
      failure: raw.failure as unknown as SerializedRemoteError,
    };
  }
  throw new InvalidRpcMessageError('reply has neither a result nor a failure');
}
