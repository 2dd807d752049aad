import type { EventEmitter } from 'node:events';

/**
 * Close an amqplib connection or channel without ever hanging or throwing. amqplib's `close()`
 * waits for the broker's CloseOk and never settles when the socket dies during the handshake, so
 * this also returns on the object's 'close' event or after `timeoutMs`.
 */
export async function closeQuietly(
  target: EventEmitter & { close(): Promise<void> },
  timeoutMs = 2000,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onClose: (() => void) | undefined;
  try {
    await Promise.race([
      target.close().catch(() => undefined),
      new Promise<void>((resolve) => {
        onClose = resolve;
        target.once('close', onClose);
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onClose !== undefined) target.removeListener('close', onClose);
  }
}
