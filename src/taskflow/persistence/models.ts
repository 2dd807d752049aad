import { randomUUID } from 'node:crypto';
import type { FailureJSON } from '../failure';
import type { AtomState, FlowState, Intention } from '../states';

/**
 * Persisted state of one atom (task or retry) of a flow run. Plain JSON: the class only gives TaskFlow's
 * constructor (`new AtomDetail(name)`); backends may return plain objects of the same shape.
 */
export class AtomDetail {
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
  meta: Record<string, unknown> = {};

  constructor(name: string, uuid: string = randomUUID(), kind: 'task' | 'retry' = 'task') {
    this.name = name;
    this.uuid = uuid;
    this.kind = kind;
    this.state = 'PENDING';
    this.intention = 'EXECUTE';
  }
}

/** Persisted state of one flow run: its state, the store and every atom's detail (`new FlowDetail(name)`). */
export class FlowDetail {
  uuid: string;
  /** Flow name (e.g. `'volume:create'`). */
  name: string;
  state: FlowState;
  /** `meta.store` holds the engine store (initial values) so a resumed run sees them. */
  meta: Record<string, unknown> = {};
  atomDetails: AtomDetail[] = [];

  constructor(name: string, uuid: string = randomUUID()) {
    this.name = name;
    this.uuid = uuid;
    this.state = 'PENDING';
  }
}

/** A named collection of flow runs, e.g. one per service or request (`new LogBook(name)`). */
export class LogBook {
  uuid: string;
  name: string;
  /** ISO timestamps. */
  createdAt: string;
  updatedAt: string;
  meta: Record<string, unknown> = {};
  flowDetails: FlowDetail[] = [];

  constructor(name: string, uuid: string = randomUUID()) {
    this.name = name;
    this.uuid = uuid;
    this.createdAt = this.updatedAt = new Date().toISOString();
  }
}

/** A deep copy that survives JSON (what backends store and return). */
export function cloneDetail<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
