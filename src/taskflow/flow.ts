import { Atom } from './atom';
import { DependencyFailure } from './errors';
import { Retry } from './retry';

/** Anything a flow can contain: a task, or a nested flow. */
export type FlowItem = Atom | Flow<object, object>;

/** How far an edge decider's "no" reaches (TaskFlow's `Depth`). */
export const DeciderDepth = {
  /** The target atom and everything after it. */
  ALL: 'ALL',
  /** The target and what follows it inside the same flow. */
  FLOW: 'FLOW',
  /** The target and its direct task successors. */
  NEIGHBORS: 'NEIGHBORS',
  /** Only the target atom. */
  ATOM: 'ATOM',
} as const;
/** One of the {@link DeciderDepth} values. */
export type DeciderDepth = (typeof DeciderDepth)[keyof typeof DeciderDepth];

/** Edge decider: gets the results of the edge's source atoms (by name); `false` = do not run the target (it becomes IGNORE). */
export type Decider = (history: Readonly<Record<string, unknown>>) => boolean;

/** An explicit or pattern-implied ordering between two direct children of a flow. */
export interface FlowLink {
  readonly from: FlowItem;
  readonly to: FlowItem;
  readonly decider?: Decider;
  readonly deciderDepth?: DeciderDepth;
}

/** Names an item needs from outside (after its own internal wiring). */
export function itemRequires(item: FlowItem): readonly string[] {
  return item instanceof Atom ? item.requiredNames : item.requires;
}
/** Names an item provides. */
export function itemProvides(item: FlowItem): readonly string[] {
  return item instanceof Atom ? item.providedNames : item.provides;
}

/**
 * Base of the flow patterns. `Needs` = names the flow needs from outside (the engine store or an enclosing flow);
 * `Avail` = names available after it (for typed wiring; runtime wiring is by name as in TaskFlow).
 */
export abstract class Flow<Needs extends object = {}, Avail extends object = Needs> {
  declare readonly __in?: Needs;
  declare readonly __prov?: Avail;
  /** `'linear' | 'unordered' | 'graph'`. */
  abstract readonly kind: 'linear' | 'unordered' | 'graph';
  protected readonly children: FlowItem[] = [];
  /** Bumped on every structural change (add/link); engines cache compilations keyed on it. */
  protected structureVersion = 0;
  /** @internal */
  get _version(): number {
    return this.structureVersion;
  }

  /**
   * @param name flow name (persisted; e.g. `'volume:create'`)
   * @param retry optional retry controller for this flow's atoms
   */
  constructor(
    readonly name: string,
    readonly retry?: Retry<object, unknown>,
  ) {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('a flow needs a non-empty name');
  }

  /** Direct children in pattern order. */
  get items(): readonly FlowItem[] {
    return this.children;
  }
  get length(): number {
    return this.children.length;
  }

  /** Orderings between direct children implied by the pattern and explicit links. */
  abstract links(): readonly FlowLink[];

  /** Names this flow needs from outside. */
  abstract get requires(): readonly string[];

  /** Names provided by this flow's atoms (and retry). */
  get provides(): readonly string[] {
    const out = new Set<string>();
    if (this.retry) for (const p of this.retry.providedNames) out.add(p);
    for (const c of this.children) for (const p of itemProvides(c)) out.add(p);
    return [...out];
  }

  /** Every atom in this flow and nested flows, depth-first in pattern order (retries first). */
  *iterAtoms(): IterableIterator<Atom> {
    if (this.retry) yield this.retry;
    for (const c of this.children) {
      if (c instanceof Atom) yield c;
      else yield* c.iterAtoms();
    }
  }

  protected retryRequires(out: Set<string>): Set<string> {
    if (this.retry) for (const r of this.retry.requiredNames) out.add(r);
    return out;
  }
  protected retryProvides(): Set<string> {
    return new Set(this.retry ? this.retry.providedNames : []);
  }

  protected checkItem(item: unknown): FlowItem {
    this.structureVersion++;
    if (item instanceof Retry) {
      throw new TypeError(
        `flow '${this.name}': retry controller '${item.name}' cannot be added as an atom; pass it as the flow's retry`,
      );
    }
    if (item instanceof Atom || item instanceof Flow) {
      if (item === (this as unknown))
        throw new DependencyFailure(`flow '${this.name}' cannot contain itself`);
      return item as FlowItem;
    }
    throw new TypeError(`flow '${this.name}': can only add tasks and flows, got ${String(item)}`);
  }

  toString(): string {
    return `${this.constructor.name}(${this.name})`;
  }
}
