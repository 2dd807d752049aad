import type { FailureJSON } from '../failure';
import type { AtomState, FlowState, Intention } from '../states';

/** Persisted state of one atom (task or retry) of a flow run. Plain JSON. */
export interface AtomDetail {
  uuid: string;
  /** Atom name (unique within the flow). */
  name: string;
  kind: 'task' | 'retry';
  state: AtomState;
  intention: Intention;
  /**
   * Task: the execute result (when SUCCESS). Retry: its history, one `{ result, failures }` per attempt
   * (failures as {@link FailureJSON} by atom name).
   */
  results?: unknown;
  /** Execute failure (FAILURE, or kept while reverting). */
  failure?: FailureJSON | null;
  /** What revert returned (REVERTED). */
  revertResults?: unknown;
  /** Revert failure (REVERT_FAILURE). */
  revertFailure?: FailureJSON | null;
  /** Free-form metadata (progress, timing). */
  meta: Record<string, unknown>;
}

/** Persisted state of one flow run: its state, the store and every atom's detail. */
export interface FlowDetail {
  uuid: string;
  /** Flow name (e.g. `'volume:create'`). */
  name: string;
  state: FlowState;
  /** `meta.store` holds the engine store (initial values) so a resumed run sees them. */
  meta: Record<string, unknown>;
  atomDetails: AtomDetail[];
}

/** A named collection of flow runs (e.g. one per service or request). */
export interface LogBook {
  uuid: string;
  name: string;
  /** ISO timestamps. */
  createdAt: string;
  updatedAt: string;
  meta: Record<string, unknown>;
  flowDetails: FlowDetail[];
}

/** A deep copy that survives JSON (what backends store and return). */
export function cloneDetail<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
