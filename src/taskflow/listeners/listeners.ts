import { Failure } from '../failure';
import type { AtomEvent, AtomNotifier, FlowEvent, FlowNotifier } from './notifier';
import { AtomState, FlowState } from '../states';

/** What an engine exposes to listeners. */
export interface Listenable {
  readonly notifier: FlowNotifier;
  readonly atomNotifier: AtomNotifier;
}

/** Base: `attach(engine)` registers, `detach()` unregisters. */
export abstract class Listener {
  private offs: (() => void)[] = [];
  /** Registers on the engine's notifiers. Returns this for chaining. */
  attach(engine: Listenable): this {
    this.offs.push(engine.notifier.register('*', (e) => this.onFlow(e)));
    this.offs.push(engine.atomNotifier.register('*', (e) => this.onAtom(e as AtomEvent)));
    return this;
  }
  /** Unregisters everything registered by {@link attach}. */
  detach(): void {
    for (const o of this.offs.splice(0)) o();
  }
  protected onFlow(_e: FlowEvent): void {}
  protected onAtom(_e: AtomEvent): void {}
}

/**
 * Records every event as `'<name> <STATE>'` strings (TaskFlow's CaptureListener), for tests:
 * `expect(capture.atomValues).toEqual(['a RUNNING', 'a SUCCESS', ...])`.
 */
export class CapturingListener extends Listener {
  /** Atom events as `'name STATE'`. */
  readonly atomValues: string[] = [];
  /** Flow events as `'flowName STATE'`. */
  readonly flowValues: string[] = [];
  /** Raw atom events. */
  readonly atomEvents: AtomEvent[] = [];
  /** Raw flow events. */
  readonly flowEvents: FlowEvent[] = [];
  protected override onFlow(e: FlowEvent): void {
    this.flowEvents.push(e);
    this.flowValues.push(`${e.flowName} ${e.state}`);
  }
  protected override onAtom(e: AtomEvent): void {
    this.atomEvents.push(e);
    this.atomValues.push(`${e.atomName} ${e.state}`);
  }
}

/** Minimal logger (adapt winston or console to it). */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/**
 * Logs transitions with a constant message and data in metadata. Level follows the state: debug for ordinary
 * transitions, warn for FAILURE/REVERTING/REVERTED, error for REVERT_FAILURE (and flow FAILURE).
 */
export class LoggingListener extends Listener {
  constructor(private readonly log: Logger) {
    super();
  }
  protected override onFlow(e: FlowEvent): void {
    const meta = { flowName: e.flowName, flowId: e.flowUuid, oldState: e.oldState, state: e.state };
    if (e.state === FlowState.FAILURE) this.log.error('flow state changed', meta);
    else if (e.state === FlowState.REVERTED) this.log.warn('flow state changed', meta);
    else this.log.debug('flow state changed', meta);
  }
  protected override onAtom(e: AtomEvent): void {
    const meta: Record<string, unknown> = {
      atom: e.atomName,
      kind: e.kind,
      oldState: e.oldState,
      state: e.state,
    };
    if (e.result instanceof Failure) meta['failure'] = e.result.toJSON();
    if (e.state === AtomState.REVERT_FAILURE) this.log.error('atom state changed', meta);
    else if (
      e.state === AtomState.FAILURE ||
      e.state === AtomState.REVERTING ||
      e.state === AtomState.REVERTED
    )
      this.log.warn('atom state changed', meta);
    else this.log.debug('atom state changed', meta);
  }
}

/** One row of a run timeline. */
export interface TimelineEntry {
  atom: string;
  /** Final state of the span (SUCCESS, FAILURE, REVERTED, REVERT_FAILURE). */
  state: AtomState;
  /** `'execute'` or `'revert'`. */
  phase: 'execute' | 'revert';
  /** ms since epoch. */
  start: number;
  durationMs: number;
}

/** Measures execute and revert durations per atom (TaskFlow's TimingListener), and builds a run timeline. */
export class TimingListener extends Listener {
  private readonly started = new Map<string, number>();
  /** Every finished execute/revert span in completion order. */
  readonly timeline: TimelineEntry[] = [];
  /** Last execute duration per atom (ms). */
  readonly durations: Record<string, number> = {};
  protected override onAtom(e: AtomEvent): void {
    if (e.state === AtomState.RUNNING || e.state === AtomState.REVERTING) {
      this.started.set(e.atomName, e.at);
      return;
    }
    const t0 = this.started.get(e.atomName);
    if (t0 === undefined) return;
    if (
      e.state === AtomState.SUCCESS ||
      e.state === AtomState.FAILURE ||
      e.state === AtomState.REVERTED ||
      e.state === AtomState.REVERT_FAILURE
    ) {
      this.started.delete(e.atomName);
      const phase = e.state === AtomState.SUCCESS || e.state === AtomState.FAILURE ? 'execute' : 'revert';
      const d = e.at - t0;
      this.timeline.push({ atom: e.atomName, state: e.state, phase, start: t0, durationMs: d });
      if (phase === 'execute') this.durations[e.atomName] = d;
    }
  }
}
