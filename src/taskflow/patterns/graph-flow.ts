import { AmbiguousDependency, DependencyFailure, NotFound } from '../errors';
import {
  Flow,
  itemProvides,
  itemRequires,
  type Decider,
  type DeciderDepth,
  type FlowItem,
  type FlowLink,
} from '../flow';
import type { ProvidedByAll } from '../typing';

interface EdgeData {
  decider?: Decider;
  deciderDepth?: DeciderDepth;
  reasons: Set<string>;
  manual: boolean;
}
type Edges = Map<FlowItem, Map<FlowItem, EdgeData>>;

/** Options of {@link GraphFlow.link}. */
export interface LinkOptions {
  /** Decides at run time whether `to` runs, from the results of `from`'s atoms. */
  decider?: Decider;
  /** How far a "no" reaches. @default 'ALL' */
  deciderDepth?: DeciderDepth;
}

/**
 * Orders its items by data dependencies (an item that requires a name is linked after the sibling that provides
 * it) plus explicit {@link GraphFlow.link}s. `add` throws {@link AmbiguousDependency} when a required name has several
 * sibling providers, and {@link DependencyFailure} when a cycle would form (the flow is left unchanged).
 * Wiring is checked at run time only (types accumulate what items provide, nothing more).
 */
export class GraphFlow<Needs extends object = {}, Avail extends object = Needs> extends Flow<Needs, Avail> {
  readonly kind = 'graph' as const;
  private edges: Edges = new Map();

  /** Adds items and links them by data dependencies. Re-adding an item already present is a no-op. */
  add<Items extends readonly FlowItem[]>(...items: Items): GraphFlow<Needs, Avail & ProvidedByAll<Items>> {
    const nodes = (items as readonly FlowItem[])
      .map((i) => this.checkItem(i))
      .filter((n, i, all) => !this.children.includes(n) && all.indexOf(n) === i);
    if (nodes.length === 0) return this as unknown as GraphFlow<Needs, Avail & ProvidedByAll<Items>>;
    const retryProvides = this.retryProvides();
    const required = new Map<string, FlowItem[]>();
    const provided = new Map<string, FlowItem[]>();
    const push = (m: Map<string, FlowItem[]>, k: string, v: FlowItem) => {
      const l = m.get(k);
      if (l) l.push(v);
      else m.set(k, [v]);
    };
    const tmpNodes = [...this.children];
    const tmpEdges = cloneEdges(this.edges);
    for (const n of tmpNodes) {
      for (const v of unsatisfied(n, tmpEdges, retryProvides)) push(required, v, n);
      for (const v of itemProvides(n)) push(provided, v, n);
    }
    for (const node of nodes) {
      tmpNodes.push(node);
      for (const v of unsatisfied(node, tmpEdges, retryProvides)) {
        const providers = provided.get(v);
        if (providers && providers.length > 0) {
          if (providers.length > 1) {
            throw new AmbiguousDependency(nameOf(node), v, providers.map(nameOf).sort());
          }
          addEdge(tmpEdges, providers[0]!, node, { reason: v });
        } else push(required, v, node);
      }
      for (const v of itemProvides(node)) push(provided, v, node);
      for (const v of itemProvides(node)) {
        const reqs = required.get(v);
        if (!reqs) continue;
        for (const requiree of [...reqs]) {
          if (requiree === node) continue;
          addEdge(tmpEdges, node, requiree, { reason: v });
          reqs.splice(reqs.indexOf(requiree), 1);
        }
      }
    }
    assertAcyclic(tmpNodes, tmpEdges);
    this.children.splice(0, this.children.length, ...tmpNodes);
    this.edges = tmpEdges;
    this.structureVersion++;
    return this as unknown as GraphFlow<Needs, Avail & ProvidedByAll<Items>>;
  }

  /** Orders `to` after `from` (both already added). Throws {@link DependencyFailure} on a cycle. */
  link(from: FlowItem, to: FlowItem, options: LinkOptions = {}): this {
    if (!this.children.includes(from))
      throw new NotFound(`item '${nameOf(from)}' not found to link from in flow '${this.name}'`);
    if (!this.children.includes(to))
      throw new NotFound(`item '${nameOf(to)}' not found to link to in flow '${this.name}'`);
    const tmp = cloneEdges(this.edges);
    addEdge(tmp, from, to, { manual: true, decider: options.decider, deciderDepth: options.deciderDepth });
    assertAcyclic(this.children, tmp);
    this.edges = tmp;
    this.structureVersion++;
    return this;
  }

  links(): readonly FlowLink[] {
    const out: FlowLink[] = [];
    for (const [from, m] of this.edges) {
      for (const [to, d] of m) {
        const l: { from: FlowItem; to: FlowItem; decider?: Decider; deciderDepth?: DeciderDepth } = {
          from,
          to,
        };
        if (d.decider) l.decider = d.decider;
        if (d.deciderDepth) l.deciderDepth = d.deciderDepth;
        out.push(l);
      }
    }
    return out;
  }

  /** Children in a topological order. */
  override get items(): readonly FlowItem[] {
    return topoSort(this.children, this.edges);
  }

  get requires(): readonly string[] {
    const req = this.retryRequires(new Set());
    const rp = this.retryProvides();
    for (const n of this.children) for (const r of unsatisfied(n, this.edges, rp)) req.add(r);
    return [...req];
  }
}

function nameOf(i: FlowItem): string {
  return i.name;
}

function cloneEdges(e: Edges): Edges {
  const out: Edges = new Map();
  for (const [k, m] of e) {
    const mm = new Map<FlowItem, EdgeData>();
    for (const [k2, d] of m) mm.set(k2, { ...d, reasons: new Set(d.reasons) });
    out.set(k, mm);
  }
  return out;
}

function addEdge(
  e: Edges,
  from: FlowItem,
  to: FlowItem,
  o: { reason?: string; manual?: boolean; decider?: Decider; deciderDepth?: DeciderDepth },
): void {
  let m = e.get(from);
  if (!m) e.set(from, (m = new Map()));
  let d = m.get(to);
  if (!d) m.set(to, (d = { reasons: new Set(), manual: false }));
  if (o.reason) d.reasons.add(o.reason);
  if (o.manual) d.manual = true;
  if (o.decider) d.decider = o.decider;
  if (o.deciderDepth) d.deciderDepth = o.deciderDepth;
}

function predecessorsOf(e: Edges, node: FlowItem): Set<FlowItem> {
  const preds = new Map<FlowItem, FlowItem[]>();
  for (const [from, m] of e)
    for (const to of m.keys()) {
      const l = preds.get(to);
      if (l) l.push(from);
      else preds.set(to, [from]);
    }
  const seen = new Set<FlowItem>();
  const stack = [...(preds.get(node) ?? [])];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const p of preds.get(n) ?? []) stack.push(p);
  }
  return seen;
}

function unsatisfied(node: FlowItem, e: Edges, retryProvides: Set<string>): string[] {
  const reqs = itemRequires(node).filter((r) => !retryProvides.has(r));
  if (reqs.length === 0) return [];
  const provided = new Set<string>();
  for (const p of predecessorsOf(e, node)) for (const v of itemProvides(p)) provided.add(v);
  return reqs.filter((r) => !provided.has(r));
}

function topoSort(nodes: readonly FlowItem[], e: Edges): FlowItem[] {
  const indeg = new Map<FlowItem, number>(nodes.map((n) => [n, 0]));
  for (const m of e.values()) for (const to of m.keys()) indeg.set(to, (indeg.get(to) ?? 0) + 1);
  const queue = nodes.filter((n) => indeg.get(n) === 0);
  const out: FlowItem[] = [];
  while (queue.length) {
    const n = queue.shift()!;
    out.push(n);
    for (const to of e.get(n)?.keys() ?? []) {
      const d = indeg.get(to)! - 1;
      indeg.set(to, d);
      if (d === 0) queue.push(to);
    }
  }
  return out;
}

function assertAcyclic(nodes: readonly FlowItem[], e: Edges): void {
  if (topoSort(nodes, e).length !== nodes.length) {
    throw new DependencyFailure(
      'No path through the node(s) in the graph produces an ordering that will allow for logical edge traversal',
    );
  }
}
