import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written on behalf of one request carries. */
export interface RequestContext {
  /** `req-<uuid4>`, as sent back in `X-OpenStack-Request-Id`. */
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Runs `fn` with `context` as the current request context; everything `fn` starts (awaits, timers,
 * callbacks) sees it, so deep code logs the request id without passing it around.
 */
export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The request context of the code running now, or undefined outside a request. */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The current request id, or undefined outside a request. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
