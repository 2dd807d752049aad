/** Volume scheduling errors; registered for RPC so they cross services as the same classes. */
import { registerRemoteErrorClass } from '../rpc/errors';

/** No backend passed the filters (Cinder's `NoValidBackend`). */
export class NoValidBackendError extends Error {
  readonly code = 'NO_VALID_BACKEND';
  constructor(readonly reason: string) {
    super(`No valid backend was found. ${reason}`);
    this.name = 'NoValidBackendError';
  }
}

registerRemoteErrorClass(NoValidBackendError);
