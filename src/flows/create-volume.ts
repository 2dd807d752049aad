import { LinearFlow } from '../taskflow';
import {
  CastTask,
  EntryCreateTask,
  ExtractRequestTask,
  InjectTask,
  OnFailureTask,
  QuotaCommitTask,
  QuotaReserveTask,
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
 * Each call builds fresh task instances and a fresh context, so a flow is run once.
 */
export function createVolumeFlow(deps: CreateVolumeFlowDeps, spec: CreateVolumeRequestSpec) {
  const context: VolumeFlowContext = {
    ...spec.context,
    roles: [...spec.context.roles],
    quota_committed: false,
  };
  const injected = {
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
  return new LinearFlow(CREATE_VOLUME_FLOW).add(
    new InjectTask(injected),
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
