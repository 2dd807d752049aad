import { Atom } from './atom';
import { compile } from './engine/compiler';
import type { Flow } from './flow';
import type { TimelineEntry } from './listeners/listeners';

/** One edge of a flow picture. */
export interface FlowEdge {
  from: string;
  to: string;
  /** `order`: pattern order or explicit link; `data`: the consumer reads names the provider stores; `retry`: retry → its sub-flow. */
  kind: 'order' | 'data' | 'retry';
  /** Data names, or `'decider'` for a link with a decider. */
  label?: string;
}

/** Atoms, their nesting and every edge (order, data dependencies, retries) of a flow. */
export function describeFlow(flow: Flow<object, object>): {
  atoms: { name: string; kind: 'task' | 'retry'; path: string[] }[];
  edges: FlowEdge[];
} {
  const c = compile(flow);
  const atoms = c.atoms.map((a, i) => ({
    name: a.name,
    kind: c.isRetry[i] ? ('retry' as const) : ('task' as const),
    path: c.parents[i]!.map((f) => f.name),
  }));
  const edges: FlowEdge[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < c.atoms.length; i++)
    for (const p of c.preds[i]!) {
      const e: FlowEdge = {
        from: c.atoms[p]!.name,
        to: c.atoms[i]!.name,
        kind: c.isRetry[p] ? 'retry' : 'order',
      };
      if (c.deciders[i]?.some((d) => d.sources.length === 0 || d.sources.includes(p))) e.label = 'decider';
      edges.push(e);
      seen.add(`${p}>${i}`);
    }
  for (let i = 0; i < c.atoms.length; i++) {
    const byProvider = new Map<number, string[]>();
    for (const plan of c.plans[i]!)
      if (plan.provider >= 0)
        byProvider.set(plan.provider, [...(byProvider.get(plan.provider) ?? []), plan.name]);
    for (const [p, names] of byProvider) {
      if (seen.has(`${p}>${i}`)) {
        const e = edges.find((x) => x.from === c.atoms[p]!.name && x.to === c.atoms[i]!.name)!;
        e.label = e.label ? `${e.label}; ${names.join(', ')}` : names.join(', ');
      } else
        edges.push({ from: c.atoms[p]!.name, to: c.atoms[i]!.name, kind: 'data', label: names.join(', ') });
    }
  }
  return { atoms, edges };
}

const q = (s: string) => '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';

/** Graphviz DOT text: one cluster per (nested) flow, retries as diamonds, data edges dashed with their names. */
export function toDot(flow: Flow<object, object>): string {
  const { edges } = describeFlow(flow);
  const lines: string[] = [
    `digraph ${q(flow.name)} {`,
    '  rankdir=LR;',
    '  node [shape=box, style=rounded];',
  ];
  let cluster = 0;
  const emit = (f: Flow<object, object>, indent: string) => {
    lines.push(`${indent}subgraph cluster_${cluster++} {`, `${indent}  label=${q(`${f.kind}: ${f.name}`)};`);
    if (f.retry)
      lines.push(
        `${indent}  ${q(f.retry.name)} [shape=diamond, label=${q(`${f.retry.name}\n(${f.retry.constructor.name})`)}];`,
      );
    for (const it of f.items) {
      if (it instanceof Atom) lines.push(`${indent}  ${q(it.name)};`);
      else emit(it, indent + '  ');
    }
    lines.push(`${indent}}`);
  };
  emit(flow, '  ');
  for (const e of edges) {
    const attrs: string[] = [];
    if (e.kind === 'data') attrs.push('style=dashed');
    if (e.kind === 'retry') attrs.push('color=orange');
    if (e.label) attrs.push(`label=${q(e.label)}`);
    lines.push(`  ${q(e.from)} -> ${q(e.to)}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Mermaid flowchart text: subgraphs per flow, retries as rhombi, data edges dotted with their names. */
export function toMermaid(flow: Flow<object, object>): string {
  const { atoms, edges } = describeFlow(flow);
  const id = new Map(atoms.map((a, k) => [a.name, `a${k}`]));
  const esc = (s: string) => s.replace(/"/g, '#quot;');
  const lines = ['flowchart LR'];
  let sg = 0;
  const emit = (f: Flow<object, object>, indent: string) => {
    lines.push(`${indent}subgraph s${sg++}["${esc(`${f.kind}: ${f.name}`)}"]`);
    if (f.retry) lines.push(`${indent}  ${id.get(f.retry.name)}{"${esc(f.retry.name)}"}`);
    for (const it of f.items) {
      if (it instanceof Atom) lines.push(`${indent}  ${id.get(it.name)}["${esc(it.name)}"]`);
      else emit(it, indent + '  ');
    }
    lines.push(`${indent}end`);
  };
  emit(flow, '  ');
  for (const e of edges) {
    const arrow = e.kind === 'data' ? '-.->' : e.kind === 'retry' ? '==>' : '-->';
    lines.push(`  ${id.get(e.from)} ${arrow}${e.label ? `|"${esc(e.label)}"|` : ''} ${id.get(e.to)}`);
  }
  return lines.join('\n') + '\n';
}

/** A finished run's timeline as aligned text: atom, phase, state, start offset and duration (ms). */
export function formatTimeline(entries: readonly TimelineEntry[]): string {
  if (entries.length === 0) return '(no atoms ran)\n';
  const t0 = Math.min(...entries.map((e) => e.start));
  const w = Math.max(4, ...entries.map((e) => e.atom.length));
  const rows = entries.map(
    (e) =>
      `${e.atom.padEnd(w)}  ${e.phase.padEnd(7)}  ${e.state.padEnd(14)}  +${String(e.start - t0).padStart(6)}ms  ${String(e.durationMs).padStart(6)}ms`,
  );
  return [`${'atom'.padEnd(w)}  phase    state           start      duration`, ...rows].join('\n') + '\n';
}
