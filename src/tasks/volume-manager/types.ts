/**
 * What the create-volume manager flow's tasks share: the JSON-safe values in flow storage and the ports
 * given through constructors (implemented in `src/volume/`).
 */
import type { SerializedRequestContext } from '../../rpc/context';
import type { VolumeRows } from '../../volume/volume-rows';

export type { VolumeRef } from '../../volume/volume-rows';

/** What the manager puts in the flow's store. */
export interface VolumeManagerCreateStore {
  /** The request context of the cast (as it travelled). */
  readonly context: SerializedRequestContext;
  readonly volume_id: string;
  /** Cinder's request spec, as the scheduler sent it on. */
  readonly request_spec: Record<string, unknown>;
  /** Cinder's filter properties, with the scheduler's retry info (attempts, hosts tried). */
  readonly filter_properties: Record<string, unknown>;
  /** Where the volume is being created: `host@backend#pool`. */
  readonly host: string;
}

/** The volume rows the tasks read and move. */
export type ManagerVolumeRows = Pick<VolumeRows, 'get' | 'transition' | 'getSnapshot'>;

/** Sends the create back to the scheduler for another backend (the scheduler's create_volume cast). */
export type VolumeRescheduler = (
  ctx: SerializedRequestContext,
  volumeId: string,
  requestSpec: Record<string, unknown>,
  filterProperties: Record<string, unknown>,
) => Promise<void>;

/** The logging the reschedule task does (structurally the rpc Logger). */
export interface ManagerTaskLogger {
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** The volume was not in the state this step needs (deleted or moved on meanwhile). */
export class VolumeStateChangedError extends Error {
  readonly code = 'VOLUME_STATE_CHANGED';
  constructor(
    readonly volumeId: string,
    readonly expected: string,
    readonly actual: string | null,
  ) {
    super(`volume ${volumeId} is ${actual ?? 'gone'}, not ${expected}`);
    this.name = 'VolumeStateChangedError';
  }
}

/**
 * What a volume is to be created from (its snapshot or source volume) is gone or not usable; no other
 * backend could do better, so the create ends in `error` without a reschedule.
 */
export class VolumeSourceUnavailableError extends Error {
  readonly code = 'VOLUME_SOURCE_UNAVAILABLE';
  constructor(
    readonly volumeId: string,
    readonly kind: 'snapshot' | 'source volume',
    readonly sourceId: string,
    readonly actual: string | null,
  ) {
    super(`cannot create volume ${volumeId} from ${kind} ${sourceId}: it is ${actual ?? 'gone'}`);
    this.name = 'VolumeSourceUnavailableError';
  }
}
