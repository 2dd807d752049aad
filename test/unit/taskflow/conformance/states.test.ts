/**
 * Conformance: state names and the transition tables (python/states.json: every (old, new) pair through TaskFlow
 * 5.0's check_flow_transition / check_task_transition / check_retry_transition).
 */
import {
  AtomState,
  checkFlowTransition,
  FlowState,
  Intention,
  isRetryTransitionAllowed,
  isTaskTransitionAllowed,
} from '../../../../src/taskflow';
import { loadRecorded } from './harness';

const R = loadRecorded('states') as unknown as {
  flow: Record<string, 'allowed' | 'ignored' | 'invalid'>;
  task: Record<string, 'allowed' | 'ignored'>;
  retry: Record<string, 'allowed' | 'ignored'>;
  intentions: string[];
};

describe('states', () => {
  it("use TaskFlow's names", () => {
    expect(Object.values(FlowState).sort()).toEqual([
      'FAILURE',
      'PENDING',
      'RESUMING',
      'REVERTED',
      'RUNNING',
      'SUCCESS',
      'SUSPENDED',
      'SUSPENDING',
    ]);
    expect(Object.values(AtomState).sort()).toEqual([
      'FAILURE',
      'IGNORE',
      'PENDING',
      'RETRYING',
      'REVERTED',
      'REVERTING',
      'REVERT_FAILURE',
      'RUNNING',
      'SUCCESS',
    ]);
    expect(Object.values(Intention).sort()).toEqual([...R.intentions].sort());
  });

  it('flow transitions: allowed / ignored / invalid exactly as TaskFlow', () => {
    const ours: Record<string, string> = {};
    for (const key of Object.keys(R.flow)) {
      const [a, b] = key.split('->') as [FlowState, FlowState];
      ours[key] = checkFlowTransition(a, b);
    }

    expect(ours).toEqual(R.flow);
  });

  it('task transitions: allowed exactly as TaskFlow', () => {
    const ours: Record<string, string> = {};
    for (const key of Object.keys(R.task)) {
      const [a, b] = key.split('->') as [AtomState, AtomState];
      ours[key] = isTaskTransitionAllowed(a, b) ? 'allowed' : 'ignored';
    }

    expect(ours).toEqual(R.task);
  });

  it('retry transitions: allowed exactly as TaskFlow', () => {
    const ours: Record<string, string> = {};
    for (const key of Object.keys(R.retry)) {
      const [a, b] = key.split('->') as [AtomState, AtomState];
      ours[key] = isRetryTransitionAllowed(a, b) ? 'allowed' : 'ignored';
    }

    expect(ours).toEqual(R.retry);
  });
});
