import { Task } from '../../taskflow';
import type { RequestContextFields } from '../../rpc/context';
import type {
  SnapshotRef,
  SourceVolumeRef,
  VolumeFlowContext,
  VolumeProperties,
  VolumeTypeRef,
} from './types';

/** The RPC request context a cast carries (the rpc layer's RequestContext fields). */
export type VolumeRpcContext = RequestContextFields;

/** What the scheduler's create_volume cast receives. */
export interface ScheduleCreateVolumeArgs {
  readonly volumeId: string;
  /**
   * Cinder's request_spec, JSON-safe: `volume_id`, `volume_properties` (the row as inserted),
   * `volume_type` ({id, name, extra_specs, qos_specs_id}), `size`, `availability_zone`,
   * `snapshot_id`, `source_volid`, `image_id`, `resource_properties` (= volume_properties), and for a
   * volume from a snapshot or a clone `resource_backend` (`host@backend` of the origin).
   */
  readonly requestSpec: Record<string, unknown>;
  /** Cinder's filter_properties: `scheduler_hints` ({} when none) and `retry` ({num_attempts: 0, hosts: []}). */
  readonly filterProperties: Record<string, unknown>;
}

/**
 * The scheduler as the API flow's Cast task sees it: one fire-and-forget cast (Cinder's
 * `SchedulerAPI.create_volume`). Implemented by the scheduler's RPC API (`src/scheduler/rpc-api.ts`),
 * which sends it on topic `scheduler`. The promise resolves once the message is handed to the transport;
 * it rejects only when the cast could not be sent.
 */
export interface VolumeScheduler {
  createVolume(ctx: VolumeRpcContext, args: ScheduleCreateVolumeArgs): Promise<void>;
}

export interface CastIn {
  context: VolumeFlowContext;
  volume_id: string;
  volume_properties: VolumeProperties;
  volume_type: VolumeTypeRef;
  size: number;
  availability_zone: string;
  snapshot_id: string | null;
  source_volid: string | null;
  image_id: string | null;
  scheduler_hints?: Record<string, unknown> | null;
  snapshot?: SnapshotRef | null;
  source_volume?: SourceVolumeRef | null;
}

/** `host@backend#pool` → `host@backend` (Cinder's `extract_host(host, 'backend')`). */
function backendOfHost(host: string): string {
  const i = host.indexOf('#');
  return i < 0 ? host : host.slice(0, i);
}

/** Turns the flow context into the RPC context a cast carries. */
export function rpcContextOf(context: VolumeFlowContext): VolumeRpcContext {
  return {
    requestId: context.request_id,
    userId: context.user_id,
    projectId: context.project_id,
    roles: context.roles,
    isAdmin: context.is_admin,
  };
}

/**
 * Casts the create to the scheduler with Cinder's request spec and filter properties; the scheduler
 * picks a backend and the volume service creates the volume (status `creating` → `available` | `error`).
 *
 * Reversion strategy: none; a cast cannot be taken back. If it fails, OnFailure's revert marks the
 * volume `error` and QuotaCommit's revert gives the quota back.
 */
export class CastTask extends Task<CastIn, void> {
  constructor(private readonly scheduler: VolumeScheduler) {
    super('volume:create.cast', {
      requires: [
        'context',
        'volume_id',
        'volume_properties',
        'volume_type',
        'size',
        'availability_zone',
        'snapshot_id',
        'source_volid',
        'image_id',
      ],
      optional: ['scheduler_hints', 'snapshot', 'source_volume'],
    });
  }

  async execute(a: CastIn): Promise<void> {
    const requestSpec: Record<string, unknown> = {
      volume_id: a.volume_id,
      volume_properties: a.volume_properties,
      resource_properties: a.volume_properties,
      volume_type: a.volume_type,
      size: a.size,
      availability_zone: a.availability_zone,
      snapshot_id: a.snapshot_id,
      source_volid: a.source_volid,
      image_id: a.image_id,
    };
    // Cinder (snapshot_same_host): a volume from a snapshot, or a clone, is scheduled onto the backend that
    // holds its origin, which is the only one that can copy it; the scheduler still checks its capacity.
    const originHost =
      a.snapshot_id !== null
        ? a.snapshot?.volume_host
        : a.source_volid !== null
          ? a.source_volume?.host
          : undefined;
    if (typeof originHost === 'string' && originHost !== '')
      requestSpec['resource_backend'] = backendOfHost(originHost);
    const filterProperties: Record<string, unknown> = {
      scheduler_hints: a.scheduler_hints ?? {},
      retry: { num_attempts: 0, hosts: [] },
    };
    await this.scheduler.createVolume(rpcContextOf(a.context), {
      volumeId: a.volume_id,
      requestSpec,
      filterProperties,
    });
  }
}
