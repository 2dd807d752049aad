/**
 * The volume scheduler's RPC API (Cinder's `scheduler/rpcapi.py`): what the API service and the volume
 * services send to topic `scheduler`. Casts resolve once the transport accepted the message.
 */
import { RpcClient } from '../rpc/client';
import { RequestContext } from '../rpc/context';
import type { Transport } from '../rpc/transport';
import type { ScheduleCreateVolumeArgs, VolumeRpcContext, VolumeScheduler } from '../tasks/volume/cast';
import type { ServiceCapabilities } from './host-manager';

/** RPC API version of the volume scheduler methods. */
export const VOLUME_SCHEDULER_API_VERSION = '3.0';

export interface SchedulerRpcApiOptions {
  /** @default 'scheduler' */
  readonly topic?: string;
}

export class SchedulerRpcApi implements VolumeScheduler {
  private readonly client: RpcClient;

  constructor(transport: Transport, options: SchedulerRpcApiOptions = {}) {
    this.client = new RpcClient(
      transport,
      { topic: options.topic ?? 'scheduler' },
      { version: VOLUME_SCHEDULER_API_VERSION },
    );
  }

  /** Cast `create_volume`: the scheduler picks a backend and casts to its volume service. */
  async createVolume(ctx: VolumeRpcContext, args: ScheduleCreateVolumeArgs): Promise<void> {
    await this.client.cast(new RequestContext(ctx), 'create_volume', {
      volumeId: args.volumeId,
      requestSpec: args.requestSpec,
      filterProperties: args.filterProperties,
    });
  }

  /** Fanout `update_service_capabilities` to every scheduler (a volume service's periodic report). */
  async updateServiceCapabilities(
    ctx: RequestContext,
    backend: string,
    capabilities: ServiceCapabilities,
    reportedAt: number = Date.now(),
  ): Promise<void> {
    await this.client.prepare({ fanout: true }).cast(ctx, 'update_service_capabilities', {
      serviceName: 'volume',
      host: backend,
      capabilities,
      timestamp: reportedAt,
    });
  }
}
