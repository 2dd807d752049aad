/**
 * The logging surface the RPC and service layers need. A winston `Logger` satisfies it, so the
 * application passes `root.child({ component: 'rpc' })`; tests pass {@link nullLogger} or a recorder.
 */
export type LogMeta = Record<string, unknown>;

export interface Logger {
  debug(message: string, meta?: LogMeta): unknown;
  info(message: string, meta?: LogMeta): unknown;
  warn(message: string, meta?: LogMeta): unknown;
  error(message: string, meta?: LogMeta): unknown;
  child(meta: LogMeta): Logger;
}

/** Discards everything. */
export const nullLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nullLogger,
};
