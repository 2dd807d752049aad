import {
  Engine,
  GraphFlow,
  LinearFlow,
  TimingListener,
  Times,
  UnorderedFlow,
  describeFlow,
  formatTimeline,
  task,
  toDot,
  toMermaid,
} from '../../../src/taskflow';

const flow = () => {
  const a = task('a', () => ({ x: 1, y: 2 }), { provides: ['x', 'y'] });
  const b = task('b', ({ x }: { x: number }) => x, { requires: ['x'], provides: 'bx' });
  const g = new GraphFlow('g').add(
    task('c', () => 1, { provides: 'c' }),
    task('d', ({ c }: { c: number }) => c, { requires: ['c'] }),
  );
  return new LinearFlow('root').add(a, new UnorderedFlow('u', new Times(2, { name: 'retry' })).add(b), g);
};

describe('visualisation', () => {
  it('describes atoms, order edges, data edges with names, and retry edges', () => {
    const d = describeFlow(flow());

    expect(d.atoms.map((a) => `${a.name}:${a.kind}:${a.path.join('/')}`)).toEqual([
      'a:task:root',
      'retry:retry:root/u',
      'b:task:root/u',
      'c:task:root/g',
      'd:task:root/g',
    ]);
    expect(d.edges).toEqual(
      expect.arrayContaining([
        { from: 'a', to: 'retry', kind: 'order' },
        { from: 'retry', to: 'b', kind: 'retry' },
        { from: 'a', to: 'b', kind: 'data', label: 'x' },
        { from: 'c', to: 'd', kind: 'order', label: 'c' },
        { from: 'b', to: 'c', kind: 'order' },
      ]),
    );
  });

  it('exports Graphviz DOT with clusters per flow', () => {
    const dot = toDot(flow());

    expect(dot).toMatch(/^digraph "root" \{/);
    expect(dot).toContain('label="unordered: u"');
    expect(dot).toContain('"retry" [shape=diamond');
    expect(dot).toContain('"a" -> "b" [style=dashed, label="x"];');
    expect(dot.trim().endsWith('}')).toBe(true);
  });

  it('exports Mermaid with subgraphs and labelled data edges', () => {
    const m = toMermaid(flow());

    expect(m.startsWith('flowchart LR\n')).toBe(true);
    expect(m).toContain('subgraph s1["unordered: u"]');
    expect(m).toContain('a1{"retry"}');
    expect(m).toContain('a0 -.->|"x"| a2');
    expect(m.match(/^\s*end$/gm)).toHaveLength(3);
  });

  it('prints a finished run timeline', async () => {
    const engine = new Engine(flow());
    const timing = new TimingListener().attach(engine);
    await engine.run();

    const text = formatTimeline(timing.timeline);

    expect(text.split('\n')[0]).toMatch(/^atom\s+phase\s+state\s+start\s+duration$/);
    expect(text).toMatch(/^b\s+execute\s+SUCCESS\s+\+\s*\d+ms\s+\d+ms$/m);
    expect(text.trim().split('\n')).toHaveLength(1 + 5);
  });
});
