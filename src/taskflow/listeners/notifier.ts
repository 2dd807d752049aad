import type { Failure } from '../failure';
import type { AtomState, FlowState } from '../states';

/** Flow-level event: the engine's flow changed state. */
export interface FlowEvent {
  readonly flowName: string;
  readonly flowUuid: string;
  readonly oldState: FlowState;
  readonly state: FlowState;
}

/** Atom-level event: an atom changed state (`result` is set for SUCCESS/FAILURE/REVERTED/REVERT_FAILURE). */
export interface AtomEvent {
  readonly atomName: string;
  readonly atomUuid: string;
  readonly kind: 'task' | 'retry';
  readonly oldState: AtomState;
  readonly state: AtomState;
  /** Present when the transition carries a result: the value, or a {@link Failure}. */
  readonly result?: unknown;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** A progress update reported by a task through `ctx.updateProgress`. */
export interface ProgressEvent {
  readonly atomName: string;
  readonly progress: number;
  readonly details?: Record<string, unknown>;
}

/** Callback for events of type E. Exceptions thrown by listeners are caught and ignored (logged if a logger is set). */
export type Listener<E> = (event: E) => void;

/**
 * Registry of listeners keyed by event name (a state, `'progress'`, or `'*'` for every state event).
 * `register` returns a function that unregisters. Cheap when empty (the engine checks `hasListeners`).
 */
export class Notifier<E, K extends string = string> {
  private readonly byKey = new Map<string, Listener<E>[]>();
  private count = 0;
  /** Called when a listener throws; default: ignore. */
  onListenerError: ((err: unknown) => void) | undefined;

  /** Whether any listener is registered. */
  get hasListeners(): boolean {
    return this.count > 0;
  }

  /** Registers `cb` for `event` (`'*'` = every state event). Returns an unregister function. */
  register(event: K | '*', cb: Listener<E>): () => void {
    const l = this.byKey.get(event);
    if (l) l.push(cb);
    else this.byKey.set(event, [cb]);
    this.count++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.deregister(event, cb);
    };
  }

  /** Removes a registration made with the same event and callback. */
  deregister(event: K | '*', cb: Listener<E>): boolean {
    const l = this.byKey.get(event);
    const i = l ? l.indexOf(cb) : -1;
    if (!l || i < 0) return false;
    l.splice(i, 1);
    this.count--;
    return true;
  }

  /** Calls the listeners of `event` and the `'*'` listeners. */
  notify(event: K, payload: E): void {
    if (this.count === 0) return;
    const a = this.byKey.get(event);
    if (a) for (const cb of [...a]) this.call(cb, payload);
    if (event !== 'progress') {
      const s = this.byKey.get('*');
      if (s) for (const cb of [...s]) this.call(cb, payload);
    }
  }

  private call(cb: Listener<E>, payload: E): void {
    try {
      cb(payload);
    } catch (e) {
      this.onListenerError?.(e);
    }
  }
}

/** Flow notifier type. */
export type FlowNotifier = Notifier<FlowEvent, FlowState>;
/** Atom notifier type (also carries `'progress'` events as {@link ProgressEvent}). */
export type AtomNotifier = Notifier<AtomEvent | ProgressEvent, AtomState | 'progress'>;
/** Re-export for listeners. */
export type { Failure };
