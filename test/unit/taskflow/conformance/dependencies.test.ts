/**
 * Conformance: flow-level `requires` / `provides` (python/dependencies.json; after TaskFlow's
 * tests/unit/test_flow_dependencies.py).
 */
import {
  GraphFlow,
  LinearFlow,
  ParameterizedForEach,
  Times,
  UnorderedFlow,
  type Flow,
} from '../../../../src/taskflow';
import { loadRecorded, Recorder } from './harness';

const R = loadRecorded('dependencies') as unknown as Record<
  string,
  { requires: string[]; provides: string[] }
>;
const rec = new Recorder();
const t = rec.t.bind(rec);

const flows: Record<string, () => Flow<object, object>> = {
  linear_requires_values: () =>
    new LinearFlow('f').add(t('a', { requires: ['x', 'y'] }), t('b', { requires: ['z'] })),
  linear_requires_rebind_values: () =>
    new LinearFlow('f').add(t('a', { requires: ['x'], rebind: { x: 'q' } })),
  linear_provides_values: () =>
    new LinearFlow('f').add(t('a', { provides: 'x' }), t('b', { provides: ['y', 'z'] })),
  linear_provides_required_values: () =>
    new LinearFlow('f').add(t('a', { provides: 'x' }), t('b', { requires: ['x'] })),
  linear_multi: () =>
    new LinearFlow('f').add(
      t('a', { requires: ['x', 'y'], provides: ['a', 'b'] }),
      t('b', { requires: ['a', 'q'], provides: ['c'] }),
    ),
  unordered_requires_values: () =>
    new UnorderedFlow('f').add(t('a', { requires: ['x'] }), t('b', { requires: ['y'] })),
  unordered_provides_required_values: () =>
    new UnorderedFlow('f').add(t('a', { provides: 'x' }), t('b', { requires: ['x'] })),
  unordered_provides_same_values: () =>
    new UnorderedFlow('f').add(t('a', { provides: 'x' }), t('b', { provides: 'x' })),
  nested_requirements: () =>
    new LinearFlow('f').add(
      t('a', { requires: ['x'], provides: 'y' }),
      new UnorderedFlow('u').add(
        t('b', { requires: ['y', 'z'] }),
        new LinearFlow('l').add(t('c', { provides: 'q' }), t('d', { requires: ['q', 'w'] })),
      ),
    ),
  graph_requires_values: () =>
    new GraphFlow('g').add(t('a', { requires: ['x'] }), t('b', { requires: ['y'] })),
  graph_provides_required_values: () =>
    new GraphFlow('g').add(t('a', { provides: 'x' }), t('b', { requires: ['x'] })),
  graph_multi: () =>
    new GraphFlow('g').add(
      t('a', { requires: ['x', 'y'], provides: ['a', 'b'] }),
      t('b', { requires: ['a', 'q'], provides: ['c'] }),
    ),
  task_requires_and_provides_same: () => new LinearFlow('f').add(t('a', { requires: ['x'], provides: 'x' })),
  retry_in_linear_with_requirements: () =>
    new LinearFlow('f', new Times(2, { name: 'r' })).add(t('a', { requires: ['y'] })),
  retry_in_linear_with_provides: () =>
    new LinearFlow('f', new Times(2, { name: 'r', provides: 'n' })).add(t('a', { requires: ['n', 'y'] })),
  retry_in_unordered_with_provides: () =>
    new UnorderedFlow('f', new Times(2, { name: 'r', provides: 'n' })).add(t('a', { requires: ['n'] })),
  retry_in_graph_with_provides: () =>
    new GraphFlow('f', new Times(2, { name: 'r', provides: 'n' })).add(t('a', { requires: ['n'] })),
  parameterized_retry_requires: () =>
    new LinearFlow('f', new ParameterizedForEach({ name: 'r', provides: 'v' })).add(
      t('a', { requires: ['v'] }),
    ),
  retry_and_task_provide_same: () =>
    new LinearFlow('f', new Times(2, { name: 'r', provides: 'x' })).add(t('a', { provides: 'x' })),
};

describe('flow requires/provides', () => {
  it('covers every recorded scenario', () => {
    expect(Object.keys(flows).sort()).toEqual(Object.keys(R).sort());
  });

  it.each(Object.keys(R).sort())('%s', (name) => {
    const f = flows[name]!();

    expect({ requires: [...f.requires].sort(), provides: [...f.provides].sort() }).toEqual(R[name]);
  });
});
