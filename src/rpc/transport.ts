/**
 * The messaging transport every RPC client and server runs on, modelled on oslo.messaging.
 *
 * Two implementations sit behind this interface: the in-process transport (the embedded default,
 * every service in one process) and the AMQP transport (RabbitMQ, one process per service).
 * Services never see which one they have.
 *
 * Addressing follows oslo.messaging: a server listens on `topic` (shared, one consumer gets each
 * message), on `topic.server` (just this host) and on the fanout of `topic` (every server gets it).
 */

/** Where a message goes. `server` narrows a topic to one host (`volume.host1`). */
export interface Target {
  readonly topic: string;
  readonly server?: string;
  /** Deliver to every server listening on `topic` instead of one of them. */
  readonly fanout?: boolean;
  /** The API version the caller speaks, e.g. '3.0'; servers may refuse a major they do not know. */
  readonly version?: string;
}

/** The versioned envelope that crosses the wire. Everything in it must survive JSON. */
export interface RpcMessage {
  /** Envelope format version, bumped on incompatible changes of this shape. */
  readonly envelopeVersion: 1;
  readonly method: string;
  readonly args: Record<string, unknown>;
  /** Serialized request context (request id, user, project, roles…). */
  readonly context: Record<string, unknown>;
  readonly version?: string;
  readonly messageId: string;
}

/** What a server's handler gives back for a call; `failure` when the method threw. */
export type RpcReply =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly failure: SerializedRemoteError };

/** A remote exception as it travels back to the caller. */
export interface SerializedRemoteError {
  /** The error class name (`VolumeNotFoundError`), used to re-raise the same class when known. */
  readonly name: string;
  readonly message: string;
  /** Stable code of the error class when it has one. */
  readonly code?: string;
  /** Own enumerable fields of the error that survive JSON (e.g. `volumeId`). */
  readonly fields?: Record<string, unknown>;
  readonly remoteTraceback?: string;
}

/** Handles one inbound message. For a call, the resolved value is sent back; a throw becomes a failure reply. */
export type MessageHandler = (message: RpcMessage) => Promise<unknown>;

export interface Subscription {
  /** Stop consuming; in-flight handlers are allowed to finish. */
  close(): Promise<void>;
}

export interface CallOptions {
  /** Default from config (`rpc_response_timeout`, 60 s). A call not answered in time rejects with MessagingTimeout. */
  readonly timeoutMs?: number;
}

export interface Transport {
  /** Human-readable, for logs: 'in-process' or 'amqp://host:port/'. Never includes a password. */
  readonly description: string;
  connect(): Promise<void>;
  /** Close every subscription and the connection. Idempotent. */
  close(): Promise<void>;

  /**
   * Start consuming for a server: `topic`, `topic.server` and (if `fanout`) the fanout of `topic`.
   * The handler's result is the reply to calls; it is dropped for casts and fanouts.
   */
  listen(
    target: { readonly topic: string; readonly server: string; readonly fanout?: boolean },
    handler: MessageHandler,
  ): Promise<Subscription>;

  /** Request/response. Rejects with MessagingTimeout, or with the remote error re-raised. */
  call(target: Target, message: RpcMessage, options?: CallOptions): Promise<unknown>;
  /** Fire and forget; resolves once the transport has accepted the message (publisher confirm on AMQP). */
  cast(target: Target, message: RpcMessage): Promise<void>;
}
