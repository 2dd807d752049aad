import { Atom } from '../atom';
import { DependencyFailure, DuplicateAtom } from '../errors';
import { Flow, type Decider, type DeciderDepth, type FlowItem } from '../flow';
import { Retry } from '../retry';

/** How one argument of an atom is resolved (computed once at compile time). */
export interface ArgPlan {
  /** Argument name as the atom sees it. */
  readonly arg: string;
  /** Stored name it is read from (after rebind). */
  readonly name: string;
  readonly optional: boolean;
  /** Index of the visible provider atom, or -1 when none (store / inject only). */
  readonly provider: number;
  /** Key into the provider's result object, or undefined when the whole result is the value. */
  readonly key: string | undefined;
  /** Position of `key` in the provider's `provides` list (used when the result is an array, as TaskFlow allows). */
  readonly index: number;
  /** Names of equally near, mutually unordered providers (the order cannot decide): AmbiguousDependency unless store/inject settle it. */
  readonly ambiguous?: readonly string[];
}

/** An edge decider gating an atom. */
export interface CompiledDecider {
  /** Atoms whose results feed the decider. */
  readonly sources: readonly number[];
  readonly decider: Decider;
  readonly depth: DeciderDepth;
}

/** A flow compiled into flat arrays (what the engine schedules over). */
export interface Compilation {
  readonly flow: Flow<object, object>;
  readonly atoms: readonly Atom[];
  readonly isRetry: readonly boolean[];
  readonly index: ReadonlyMap<string, number>;
  /** Direct atom-level predecessors / successors (flow nodes collapsed). */
  readonly preds: readonly (readonly number[])[];
  readonly succs: readonly (readonly number[])[];
  /** Controlling retry of each atom, or -1. */
  readonly retryOf: Int32Array;
  /** Flow path of each atom (outermost first). */
  readonly parents: readonly (readonly Flow<object, object>[])[];
  /** Argument plans for execute (and revert: the same args). */
  readonly plans: readonly (readonly ArgPlan[])[];
  /** Provided names per atom, and whether the whole result is stored under a single name. */
  readonly provides: readonly (readonly string[])[];
  readonly deciders: readonly (readonly CompiledDecider[] | undefined)[];
  /** Names each atom declares (with rebind) as required but no visible atom provides. */
  readonly unprovided: readonly (readonly { arg: string; name: string; optional: boolean }[])[];
}

const NONE: readonly never[] = Object.freeze([]);
const ATOM = 0;
const NOOP = 1;

class GraphBuilder {
  kind: number[] = [];
  atomOf: number[] = [];
  out: number[][] = [];
  inn: number[][] = [];
  edgeDecider = new Map<string, { decider: Decider; depth: DeciderDepth; from: FlowItem }>();
  node(kind: number, atom = -1): number {
    const id = this.kind.length;
    this.kind.push(kind);
    this.atomOf.push(atom);
    this.out.push([]);
    this.inn.push([]);
    return id;
  }
  edge(u: number, v: number): void {
    const o = this.out[u]!;
    if (o.includes(v)) return;
    o.push(v);
    this.inn[v]!.push(u);
  }
}

const cache = new WeakMap<
  Flow<object, object>,
  { comp: Compilation; flows: Flow<object, object>[]; versions: number[] }
>();

function nestedFlows(flow: Flow<object, object>, out: Flow<object, object>[]): Flow<object, object>[] {
  out.push(flow);
  for (const c of flow.items) if (c instanceof Flow) nestedFlows(c, out);
  return out;
}

/**
 * Compiles a flow, reusing an earlier compilation of the same flow object when no flow in it changed since
 * (flows are compiled once, then every engine run reuses the plan). Mutating an atom's declarations after it was
 * compiled is not detected.
 */
export function compile(flow: Flow<object, object>): Compilation {
  const hit = cache.get(flow);
  if (hit) {
    const flows = nestedFlows(flow, []);
    if (
      flows.length === hit.flows.length &&
      flows.every((f, k) => f === hit.flows[k] && f._version === hit.versions[k])
    )
      return hit.comp;
  }
  const comp = compileFresh(flow);
  const flows = nestedFlows(flow, []);
  cache.set(flow, { comp, flows, versions: flows.map((f) => f._version) });
  return comp;
}

function compileFresh(flow: Flow<object, object>): Compilation {
  const atoms: Atom[] = [];
  const parents: Flow<object, object>[][] = [];
  const retryOf: number[] = [];
  const g = new GraphBuilder();
  const atomNode: number[] = [];
  const seen = new Set<unknown>();
  const names = new Map<string, number>();
  const dups = new Set<string>();
  const itemAtoms = new Map<FlowItem, number[]>();

  const addAtom = (a: Atom, path: Flow<object, object>[]): number => {
    if (seen.has(a)) dups.add(a.name);
    seen.add(a);
    const idx = atoms.length;
    atoms.push(a);
    parents.push(path);
    retryOf.push(-1);
    if (names.has(a.name)) dups.add(a.name);
    names.set(a.name, idx);
    atomNode.push(g.node(ATOM, idx));
    return idx;
  };

  // Returns [startNode, endNode, atomIndices]
  const compileItem = (item: FlowItem, path: Flow<object, object>[]): [number, number, number[]] => {
    if (item instanceof Atom) {
      const i = addAtom(item, path);
      itemAtoms.set(item, [i]);
      return [atomNode[i]!, atomNode[i]!, [i]];
    }
    const f = item;
    if (seen.has(f)) {
      // The same flow object twice (or inside itself): compiling it again would never end.
      throw new DependencyFailure(`flow '${f.name}' appears more than once in the flow hierarchy`);
    }
    seen.add(f);
    const start = g.node(NOOP);
    const inner = [...path, f];
    const childRes = new Map<FlowItem, [number, number, number[]]>();
    const all: number[] = [];
    let retryIdx = -1;
    let retryNode = -1;
    if (f.retry) {
      retryIdx = addAtom(f.retry, inner);
      retryNode = atomNode[retryIdx]!;
    }
    for (const c of f.items) {
      const r = compileItem(c, inner);
      childRes.set(c, r);
      for (const a of r[2]) all.push(a);
    }
    const hasPred = new Set<FlowItem>();
    const hasSucc = new Set<FlowItem>();
    for (const l of f.links()) {
      const u = childRes.get(l.from)!;
      const v = childRes.get(l.to)!;
      g.edge(u[1], v[0]);
      hasSucc.add(l.from);
      hasPred.add(l.to);
      if (l.decider)
        g.edgeDecider.set(u[1] + '>' + v[0], {
          decider: l.decider,
          depth: l.deciderDepth ?? 'ALL',
          from: l.from,
        });
    }
    const from = retryNode >= 0 ? retryNode : start;
    if (retryNode >= 0) {
      g.edge(start, retryNode);
      for (const a of all) if (retryOf[a] === -1) retryOf[a] = retryIdx;
    }
    const end = g.node(NOOP);
    let any = false;
    for (const c of f.items) {
      const r = childRes.get(c)!;
      if (!hasPred.has(c)) g.edge(from, r[0]);
      if (!hasSucc.has(c)) g.edge(r[1], end);
      any = true;
    }
    if (!any) g.edge(from, end);
    if (retryIdx >= 0) all.unshift(retryIdx);
    itemAtoms.set(f, all);
    return [start, end, all];
  };

  compileItem(flow, []);
  if (dups.size) throw new DuplicateAtom([...dups].sort());

  const n = atoms.length;
  // Collapse no-op nodes: atom-level direct preds/succs.
  const memoPred = new Map<number, number[]>();
  const atomPredsOfNode = (node: number): number[] => {
    const m = memoPred.get(node);
    if (m) return m;
    const res = new Set<number>();
    for (const p of g.inn[node]!) {
      if (g.kind[p] === ATOM) res.add(g.atomOf[p]!);
      else for (const q of atomPredsOfNode(p)) res.add(q);
    }
    const arr = [...res];
    memoPred.set(node, arr);
    return arr;
  };
  const preds: number[][] = [];
  const succs: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    const node = atomNode[i]!;
    const ps: number[] = [];
    for (const p of g.inn[node]!) {
      if (g.kind[p] === ATOM) ps.push(g.atomOf[p]!);
      else for (const q of atomPredsOfNode(p)) if (!ps.includes(q)) ps.push(q);
    }
    preds.push(ps);
    for (const p of ps) succs[p]!.push(i);
  }

  // Edge deciders: walk back from each atom through no-op nodes.
  const deciders: (CompiledDecider[] | undefined)[] = new Array(n).fill(undefined);
  if (g.edgeDecider.size) {
    for (let i = 0; i < n; i++) {
      const found: CompiledDecider[] = [];
      const stack: [number, number][] = g.inn[atomNode[i]!]!.map((u) => [u, atomNode[i]!]);
      const visited = new Set<number>();
      for (let h = 0; h < stack.length; h++) {
        const [u, v] = stack[h]!;
        const d = g.edgeDecider.get(u + '>' + v);
        // As TaskFlow: only a link from an atom contributes that atom's result to the deciders' history.
        if (d)
          found.push({
            sources: d.from instanceof Atom ? (itemAtoms.get(d.from) ?? []) : [],
            decider: d.decider,
            depth: d.depth,
          });
        if (g.kind[u] === NOOP && !visited.has(u)) {
          visited.add(u);
          for (const w of g.inn[u]!) stack.push([w, u]);
        }
      }
      if (found.length) deciders[i] = found;
    }
  }

  // Topological position (for reachability pruning).
  const topo = new Int32Array(n);
  {
    const indeg = preds.map((p) => p.length);
    const q: number[] = [];
    for (let i = 0; i < n; i++) if (indeg[i] === 0) q.push(i);
    let k = 0;
    for (let h = 0; h < q.length; h++) {
      const a = q[h]!;
      topo[a] = k++;
      for (const s of succs[a]!) if (--indeg[s]! === 0) q.push(s);
    }
  }
  // Pre-order position of atoms in the hierarchy = index (atoms were numbered depth-first).

  const providers = new Map<string, number[]>();
  const provides: (readonly string[])[] = [];
  for (let i = 0; i < n; i++) {
    const p = atoms[i]!.providedNames;
    provides.push(p);
    for (const name of p) {
      const l = providers.get(name);
      if (l) l.push(i);
      else providers.set(name, [i]);
    }
  }

  const isPredecessor = (cands: number[], target: number): Set<number> => {
    // BFS backwards from target until all candidates found; prune by topological position.
    const found = new Set<number>();
    let minTopo = Infinity;
    const want = new Set<number>();
    for (const c of cands)
      if (topo[c]! < topo[target]!) {
        want.add(c);
        if (topo[c]! < minTopo) minTopo = topo[c]!;
      }
    if (want.size === 0) return found;
    const visited = new Set<number>();
    const queue = [target];
    for (let h = 0; h < queue.length && found.size < want.size; h++) {
      for (const p of preds[queue[h]!]!) {
        if (visited.has(p) || topo[p]! < minTopo) continue;
        visited.add(p);
        if (want.has(p)) found.add(p);
        queue.push(p);
      }
    }
    return found;
  };

  const plans: (readonly ArgPlan[])[] = [];
  const unprovided: (readonly { arg: string; name: string; optional: boolean }[])[] = [];
  for (let i = 0; i < n; i++) {
    const a = atoms[i]!;
    const optional = a.effectiveOptional();
    const plan: ArgPlan[] = [];
    let un: { arg: string; name: string; optional: boolean }[] | undefined;
    for (const [arg, name] of a.argMapping()) {
      const cands = providers.get(name);
      let provider = -1;
      let ambiguous: string[] | undefined;
      if (cands) {
        const visible = [...isPredecessor(cands, i)];
        if (visible.length === 1) provider = visible[0]!;
        else if (visible.length > 1) {
          provider = nearest(visible, i, parents, itemAtoms);
          const lvl = levelOf(provider, i, parents, itemAtoms);
          const rivals = visible.filter((v) => v !== provider && levelOf(v, i, parents, itemAtoms) === lvl);
          if (rivals.length) {
            const ordered = isPredecessor(rivals, provider);
            const unordered = rivals.filter((r) => !ordered.has(r));
            if (unordered.length) ambiguous = [provider, ...unordered].map((k) => atoms[k]!.name).sort();
          }
        }
      }
      const isOpt = optional.has(arg);
      let key: string | undefined;
      let index = -1;
      if (provider >= 0) {
        const pv = atoms[provider]!.provides;
        if (typeof pv !== 'string') {
          key = name;
          index = (pv ?? []).indexOf(name);
        }
      } else (un ??= []).push({ arg, name, optional: isOpt });
      plan.push(
        ambiguous
          ? { arg, name, optional: isOpt, provider, key, index, ambiguous }
          : { arg, name, optional: isOpt, provider, key, index },
      );
    }
    plans.push(plan.length ? plan.slice() : NONE); // exact-size copies: growable arrays over-allocate
    unprovided.push(un ?? NONE);
  }

  // Trim adjacency lists to exact size (a pushed-to [] keeps ~17 slots): ~0.5 KB less per atom on big flows.
  for (let i = 0; i < n; i++) {
    preds[i] = preds[i]!.length ? preds[i]!.slice() : (NONE as never);
    succs[i] = succs[i]!.length ? succs[i]!.slice() : (NONE as never);
  }
  return {
    flow,
    atoms,
    isRetry: atoms.map((a) => a instanceof Retry),
    index: names,
    preds,
    succs,
    retryOf: Int32Array.from(retryOf),
    parents,
    plans,
    provides,
    deciders,
    unprovided,
  };
}

function levelOf(
  c: number,
  atom: number,
  parents: readonly (readonly Flow<object, object>[])[],
  itemAtoms: Map<FlowItem, number[]>,
): number {
  const path = parents[atom]!;
  let level = 0;
  for (let d = path.length - 1; d >= 0; d--, level++) {
    const members = itemAtoms.get(path[d]!);
    if (members && members.includes(c)) break;
  }
  return level;
}

/** TaskFlow scoping: the provider in the innermost shared flow wins; within it, the latest in pattern order. */
function nearest(
  visible: number[],
  atom: number,
  parents: readonly (readonly Flow<object, object>[])[],
  itemAtoms: Map<FlowItem, number[]>,
): number {
  const path = parents[atom]!;
  let best = -1;
  let bestLevel = Infinity;
  for (const c of visible) {
    let level = 0;
    for (let d = path.length - 1; d >= 0; d--, level++) {
      const members = itemAtoms.get(path[d]!);
      if (members && members.includes(c)) break;
    }
    if (level < bestLevel || (level === bestLevel && c > best)) {
      best = c;
      bestLevel = level;
    }
  }
  return best;
}
