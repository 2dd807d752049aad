/**
 * TaskFlow for TypeScript: the public surface. Everything else in src/ imports the engine only from here.
 *
 * Build a flow from tasks (class {@link Task} or functional {@link task}) with {@link LinearFlow},
 * {@link UnorderedFlow} or {@link GraphFlow}, optionally under a retry controller ({@link Times}, {@link ForEach},
 * {@link ParameterizedForEach}, {@link AlwaysRevert}, {@link AlwaysRevertAll}), then run it with an {@link Engine}
 * (or {@link runFlow}). Semantics follow OpenStack TaskFlow 5.0's action engine.
 */
export {
  AtomState,
  FlowState,
  Intention,
  isTaskTransitionAllowed,
  isRetryTransitionAllowed,
  checkFlowTransition,
} from './states';
export {
  TaskFlowError,
  MissingDependencies,
  AmbiguousDependency,
  DuplicateAtom,
  DependencyFailure,
  InvalidState,
  NotFound,
  EngineTimeout,
  StorageFailure,
  WrappedFailure,
} from './errors';
export { Failure, type FailureJSON, type Outcome } from './failure';
export { Atom, type AtomOptions } from './atom';
export {
  Task,
  task,
  type TaskContext,
  type RevertArgs,
  type FunctorTaskOptions,
  type ProvidedBy,
  type DefaultProvided,
} from './task';
export {
  Retry,
  Times,
  ForEach,
  ParameterizedForEach,
  AlwaysRevert,
  AlwaysRevertAll,
  Decision,
  History,
  type RetryAttempt,
  type RetryOptions,
  type RetryRevertArgs,
} from './retry';
export { Flow, DeciderDepth, type FlowItem, type FlowLink, type Decider } from './flow';
export { LinearFlow } from './patterns/linear-flow';
export { UnorderedFlow } from './patterns/unordered-flow';
export { GraphFlow, type LinkOptions } from './patterns/graph-flow';
export {
  Engine,
  EngineStorage,
  runFlow,
  type EngineOptions,
  type EngineArgs,
  type RunFlowOptions,
} from './engine/engine';
export type { Compilation, ArgPlan } from './engine/compiler';
export {
  Notifier,
  type FlowEvent,
  type AtomEvent,
  type ProgressEvent,
  type Listener as ListenerCallback,
  type FlowNotifier,
  type AtomNotifier,
} from './listeners/notifier';
export {
  Listener,
  CapturingListener,
  LoggingListener,
  TimingListener,
  type Logger,
  type TimelineEntry,
  type Listenable,
} from './listeners/listeners';
export { LogBook, FlowDetail, AtomDetail } from './persistence/models';
export type { PersistenceBackend } from './persistence/backend';
export { MemoryBackend } from './persistence/memory-backend';
export type { NeedsOf, ProvOf, RequiredKeys, MissingNames, Satisfied, StoreFor, IsOpen } from './typing';
export { describeFlow, toDot, toMermaid, formatTimeline, type FlowEdge } from './visualize';
