import { LinearFlow } from '../taskflow';
import {
  CastTask,
  EntryCreateTask,
  ExtractRequestTask,
  InjectTask,
  OnFailureTask,
  QuotaCommitTask,
  QuotaReserveTask,
  StoreInjectTask,
  type AvailabilityZoneLookup,
  type OnFailureLogger,
  type SnapshotRef,
  type SourceVolumeRef,
  type VolumeEntryStore,
  type VolumeFlowContext,
  type VolumeQuotas,
  type VolumeScheduler,
  type VolumeTypeLookup,
  type VolumeTypeNamer,
  type VolumeTypeRef,
} from '../tasks/volume';

/** The runtime name of the flow (the OpenStack action). */
export const CREATE_VOLUME_FLOW = 'volume:create';

/** What the create-volume API flow needs to run. */
export interface CreateVolumeFlowDeps {
  readonly quotas: VolumeQuotas;
  readonly volumes: VolumeEntryStore;
  readonly types: VolumeTypeLookup & Partial<VolumeTypeNamer>;
  readonly zones: AvailabilityZoneLookup;
  readonly scheduler: VolumeScheduler;
  readonly log?: OnFailureLogger;
}

/** The request spec Inject puts in storage (JSON-safe; snapshot/source/type already looked up). */
export interface CreateVolumeRequestSpec {
  readonly context: Omit<VolumeFlowContext, 'quota_committed'>;
  readonly size: number | null;
  readonly name: string | null;
  readonly description: string | null;
  readonly availability_zone: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly image_id: string | null;
  readonly snapshot: SnapshotRef | null;
  readonly source_volume: SourceVolumeRef | null;
  /** The requested type (null: the default). */
  readonly volume_type: VolumeTypeRef | null;
  readonly scheduler_hints: Readonly<Record<string, unknown>> | null;
}

/** What Inject provides: the request spec as the tasks read it (a fresh context, copies of the maps). */
export type CreateVolumeInjected = ReturnType<typeof injectedOf>;

function injectedOf(spec: CreateVolumeRequestSpec) {
  const context: VolumeFlowContext = {
    ...spec.context,
    roles: [...spec.context.roles],
    quota_committed: false,
  };
  return {
    context,
    size: spec.size,
    name: spec.name,
    description: spec.description,
    availability_zone: spec.availability_zone,
    metadata: { ...spec.metadata },
    image_id: spec.image_id,
    snapshot: spec.snapshot,
    source_volume: spec.source_volume,
    volume_type: spec.volume_type,
    scheduler_hints: spec.scheduler_hints === null ? null : { ...spec.scheduler_hints },
    key_manager: null,
    backup_source_volume: null,
  };
}

/** Every name Inject provides (the compiler checks the list against CreateVolumeInjected). */
const INJECTED_NAMES: Readonly<Record<keyof CreateVolumeInjected, true>> = {
  context: true,
  size: true,
  name: true,
  description: true,
  availability_zone: true,
  metadata: true,
  image_id: true,
  snapshot: true,
  source_volume: true,
  volume_type: true,
  scheduler_hints: true,
  key_manager: true,
  backup_source_volume: true,
};

/** The store name a run of {@link sharedCreateVolumeFlow} takes its request spec under. */
export const CREATE_VOLUME_REQUEST = 'create_volume_request';

/**
 * volume:create, the API side of a create (Cinder's `cinder.volume.flows.api.create_volume`):
 * 1 Inject the request spec, 2 ExtractRequest validates it and works out size, zone and type,
 * 3 QuotaReserve reserves volumes/gigabytes, 4 EntryCreate inserts the row (`creating`),
 * 5 QuotaCommit commits the quota and marks the context `quota_committed`, 6 OnFailure (its revert marks
 * the volume `error`), 7 Cast to the scheduler.
 * A failure reverts the completed steps in reverse order: before the commit nothing is left (no row, no
 * reservation); after it the row stays in `error` and its quota is given back (the row is marked
 * `use_quota = false`, so deleting it later gives nothing back a second time).
 *
 * Each call builds fresh task instances and a fresh context, so a flow is run once. A server runs
 * {@link sharedCreateVolumeFlow} instead.
 */
export function createVolumeFlow(deps: CreateVolumeFlowDeps, spec: CreateVolumeRequestSpec) {
  return withTasks(deps, new InjectTask(injectedOf(spec)));
}

/**
 * volume:create (the same tasks, names and order as {@link createVolumeFlow}) built once and run any
 * number of times, also concurrently: each run is `new Engine(flow, { store: createVolumeStore(spec) })`.
 * This holds because none of its tasks keeps state of a run (they hold only their dependencies; what a
 * run needs is in its engine's storage, and the context QuotaCommit marks is the run's own, made by
 * createVolumeStore), and the engine then compiles the flow once, not on every create.
 */
export function sharedCreateVolumeFlow(deps: CreateVolumeFlowDeps) {
  return withTasks(
    deps,
    new StoreInjectTask<typeof CREATE_VOLUME_REQUEST, CreateVolumeInjected>(
      CREATE_VOLUME_REQUEST,
      INJECTED_NAMES,
    ),
  );
}

/** The engine store of one run of {@link sharedCreateVolumeFlow}. */
export function createVolumeStore(spec: CreateVolumeRequestSpec): {
  [CREATE_VOLUME_REQUEST]: CreateVolumeInjected;
} {
  return { [CREATE_VOLUME_REQUEST]: injectedOf(spec) };
}

function withTasks<
  I extends InjectTask<CreateVolumeInjected> | StoreInjectTask<string, CreateVolumeInjected>,
>(deps: CreateVolumeFlowDeps, inject: I) {
  return new LinearFlow(CREATE_VOLUME_FLOW).add(
    inject,
    new ExtractRequestTask(deps.types, deps.zones),
    new QuotaReserveTask(deps.quotas, namer(deps.types)),
    new EntryCreateTask(deps.volumes),
    new QuotaCommitTask(deps.quotas, deps.volumes, namer(deps.types)),
    new OnFailureTask(deps.volumes, deps.log),
    new CastTask(deps.scheduler),
  );
}

function namer(types: Partial<VolumeTypeNamer>): VolumeTypeNamer | undefined {
  const typeName = types.typeName;
  return typeName === undefined ? undefined : { typeName: (id) => typeName.call(types, id) };
}
