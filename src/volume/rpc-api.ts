/**
 * The volume service's RPC API (Cinder's `volume/rpcapi.py`): casts to topic `volume.<host@backend>`
 * (a volume's `host@backend#pool` loses its pool), plus the fanout that asks every volume service for
 * a capability report.
 */
import { RpcClient } from '../rpc/client';
import { RequestContext } from '../rpc/context';
import type { Transport } from '../rpc/transport';
import type { VolumeRpcContext } from '../tasks/volume/cast';
import type { VolumeBackendRpc, VolumeSnapshotRpc } from './api';
import type { VolumeAttachRpc } from './attach';
import type { AttachVolumeArgs, ConnectionInfo } from './attach-manager';
import { backendOf } from './volume-rows';

/** RPC API version of the volume manager methods. */
export const VOLUME_API_VERSION = '3.0';

export interface VolumeCreateCastArgs {
  readonly volumeId: string;
  readonly requestSpec: Record<string, unknown>;
  readonly filterProperties: Record<string, unknown>;
}

export interface VolumeRpcApiOptions {
  /** @default 'volume' */
  readonly topic?: string;
}

export class VolumeRpcApi implements VolumeBackendRpc, VolumeSnapshotRpc, VolumeAttachRpc {
  private readonly client: RpcClient;

  constructor(transport: Transport, options: VolumeRpcApiOptions = {}) {
    this.client = new RpcClient(
      transport,
      { topic: options.topic ?? 'volume' },
      { version: VOLUME_API_VERSION },
    );
  }

  private to(host: string): RpcClient {
    if (typeof host !== 'string' || host === '') throw new TypeError('a volume cast needs the volume host');
    return this.client.prepare({ server: backendOf(host) });
  }

  /** Cast `create_volume` to the backend the scheduler chose (`host` is `host@backend#pool`). */
  async createVolume(ctx: VolumeRpcContext, host: string, args: VolumeCreateCastArgs): Promise<void> {
    await this.to(host).cast(new RequestContext(ctx), 'create_volume', { ...args, host });
  }

  async deleteVolume(ctx: VolumeRpcContext, host: string, volumeId: string): Promise<void> {
    await this.to(host).cast(new RequestContext(ctx), 'delete_volume', { volumeId });
  }

  async extendVolume(
    ctx: VolumeRpcContext,
    host: string,
    volumeId: string,
    newSizeGb: number,
    reservations: string[],
  ): Promise<void> {
    await this.to(host).cast(new RequestContext(ctx), 'extend_volume', { volumeId, newSizeGb, reservations });
  }

  /** Cast `create_snapshot` to the host of the snapshot's volume (the snapshot row is `creating`). */
  async createSnapshot(ctx: VolumeRpcContext, host: string, snapshotId: string): Promise<void> {
    await this.to(host).cast(new RequestContext(ctx), 'create_snapshot', { snapshotId });
  }

  /** Cast `delete_snapshot` to the host of the snapshot's volume (the snapshot row is `deleting`). */
  async deleteSnapshot(ctx: VolumeRpcContext, host: string, snapshotId: string): Promise<void> {
    await this.to(host).cast(new RequestContext(ctx), 'delete_snapshot', { snapshotId });
  }

  /** Call `attach_volume` (os-attach); resolves with the attachment's id once the service attached it. */
  async attachVolume(ctx: VolumeRpcContext, host: string, args: AttachVolumeArgs): Promise<string> {
    return this.to(host).call<string>(new RequestContext(ctx), 'attach_volume', { ...args });
  }

  /** Call `detach_volume` (os-detach). */
  async detachVolume(
    ctx: VolumeRpcContext,
    host: string,
    volumeId: string,
    attachmentId: string | null,
  ): Promise<void> {
    await this.to(host).call(new RequestContext(ctx), 'detach_volume', { volumeId, attachmentId });
  }

  /** Call `initialize_connection`: the driver's connection info for the connector. */
  async initializeConnection(
    ctx: VolumeRpcContext,
    host: string,
    volumeId: string,
    connector: unknown,
  ): Promise<ConnectionInfo> {
    return this.to(host).call<ConnectionInfo>(new RequestContext(ctx), 'initialize_connection', {
      volumeId,
      connector,
    });
  }

  /** Call `terminate_connection`. */
  async terminateConnection(
    ctx: VolumeRpcContext,
    host: string,
    volumeId: string,
    connector: unknown,
    force: boolean,
  ): Promise<void> {
    await this.to(host).call(new RequestContext(ctx), 'terminate_connection', { volumeId, connector, force });
  }

  /** Fanout `publish_service_capabilities`: every volume service reports to the schedulers now. */
  async publishServiceCapabilities(ctx: RequestContext): Promise<void> {
    await this.client.prepare({ fanout: true }).cast(ctx, 'publish_service_capabilities', {});
  }
}
