/** Atom states (TaskFlow's names). An atom is a task or a retry controller. */
export const AtomState = {
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  SUCCESS: 'SUCCESS',
  FAILURE: 'FAILURE',
  REVERTING: 'REVERTING',
  REVERTED: 'REVERTED',
  REVERT_FAILURE: 'REVERT_FAILURE',
  IGNORE: 'IGNORE',
  RETRYING: 'RETRYING',
} as const;
/** One of the {@link AtomState} values. */
export type AtomState = (typeof AtomState)[keyof typeof AtomState];

/** Flow (engine run) states (TaskFlow's names). */
export const FlowState = {
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  SUCCESS: 'SUCCESS',
  FAILURE: 'FAILURE',
  REVERTED: 'REVERTED',
  SUSPENDING: 'SUSPENDING',
  SUSPENDED: 'SUSPENDED',
  RESUMING: 'RESUMING',
} as const;
/** One of the {@link FlowState} values. */
export type FlowState = (typeof FlowState)[keyof typeof FlowState];

/** What the engine intends to do with an atom next (persisted with the atom). */
export const Intention = {
  EXECUTE: 'EXECUTE',
  IGNORE: 'IGNORE',
  REVERT: 'REVERT',
  RETRY: 'RETRY',
} as const;
/** One of the {@link Intention} values. */
export type Intention = (typeof Intention)[keyof typeof Intention];

const TASK_TRANSITIONS: ReadonlySet<string> = new Set([
  'PENDING>RUNNING',
  'PENDING>IGNORE',
  'RUNNING>SUCCESS',
  'RUNNING>FAILURE',
  'FAILURE>REVERTING',
  'SUCCESS>REVERTING',
  'REVERTING>REVERTED',
  'REVERTING>REVERT_FAILURE',
  'REVERTED>PENDING',
  'IGNORE>PENDING',
]);
const RETRY_TRANSITIONS: ReadonlySet<string> = new Set([
  ...TASK_TRANSITIONS,
  'SUCCESS>RETRYING',
  'RETRYING>RUNNING',
]);

/** The one allowed-transition table for tasks (TaskFlow's `check_task_transition`). */
export function isTaskTransitionAllowed(from: AtomState, to: AtomState): boolean {
  return TASK_TRANSITIONS.has(from + '>' + to);
}
/** Allowed transitions for retry controllers: the task table plus SUCCESS→RETRYING→RUNNING. */
export function isRetryTransitionAllowed(from: AtomState, to: AtomState): boolean {
  return RETRY_TRANSITIONS.has(from + '>' + to);
}

const FLOW_TRANSITIONS: ReadonlySet<string> = new Set([
  'PENDING>RUNNING',
  'RUNNING>SUCCESS',
  'RUNNING>FAILURE',
  'RUNNING>REVERTED',
  'RUNNING>SUSPENDING',
  'RUNNING>RESUMING',
  'SUCCESS>RUNNING',
  'FAILURE>RUNNING',
  'REVERTED>PENDING',
  'SUCCESS>PENDING',
  'SUSPENDING>SUSPENDED',
  'SUSPENDING>SUCCESS',
  'SUSPENDING>FAILURE',
  'SUSPENDING>REVERTED',
  'SUSPENDING>RESUMING',
  'SUSPENDED>RUNNING',
  'RESUMING>SUSPENDED',
]);
const FLOW_IGNORED: ReadonlySet<string> = new Set(
  ['PENDING', 'FAILURE', 'SUCCESS', 'SUSPENDED', 'REVERTED'].flatMap((a) =>
    ['SUSPENDING', 'SUSPENDED', 'RESUMING'].filter((b) => a !== b).map((b) => a + '>' + b),
  ),
);

/**
 * Flow transition check: `true` = allowed, `false` = silently ignored (same state, or a
 * suspend request on a flow that is not running); throws {@link InvalidState}-like error text otherwise.
 */
export function checkFlowTransition(from: FlowState, to: FlowState): 'allowed' | 'ignored' | 'invalid' {
  if (from === to) return 'ignored';
  const key = from + '>' + to;
  if (FLOW_TRANSITIONS.has(key)) return 'allowed';
  if (FLOW_IGNORED.has(key)) return 'ignored';
  return 'invalid';
}
