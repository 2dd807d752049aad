/**
 * Instance lifecycle notifications, as Nova's legacy (unversioned) notifications name and shape
 * them: `compute.instance.create.start` when a compute begins a build, `.end` once the instance is
 * ACTIVE, `.error` (priority ERROR) when the build failed on that host — each attempt of a
 * rescheduled build reports its own start and error. Published by `compute.<host>` through the
 * shared {@link EventNotifier} on topic `notifications`.
 */
import type { Instance } from '../objects/instance';
import type { EventNotifier, Notification } from '../rpc/notifier';
import type { RequestContext } from '../rpc/context';

export const INSTANCE_CREATE_START = 'compute.instance.create.start';
export const INSTANCE_CREATE_END = 'compute.instance.create.end';
export const INSTANCE_CREATE_ERROR = 'compute.instance.create.error';

function iso(d: Date | null | undefined): string {
  return d == null ? '' : d.toISOString();
}

/** Nova's `info_from_instance`, trimmed to what an instance row holds. */
export function instanceUsagePayload(
  i: Instance,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const set = (name: string): boolean => i.objAttrIsSet(name);
  return {
    tenant_id: i.projectId,
    user_id: i.userId,
    instance_id: i.uuid,
    display_name: set('displayName') ? i.displayName : null,
    host: set('host') ? i.host : null,
    node: set('node') ? i.node : null,
    vcpus: i.vcpus,
    memory_mb: i.memoryMb,
    root_gb: i.rootGb,
    disk_gb: i.rootGb,
    state: set('vmState') ? i.vmState : null,
    state_description: set('taskState') ? (i.taskState ?? '') : '',
    availability_zone: set('availabilityZone') ? i.availabilityZone : null,
    created_at: set('createdAt') ? iso(i.createdAt) : '',
    ...extra,
  };
}

/** Nova's `exception_to_dict`: what an `.error` payload adds. */
export function faultPayload(err: unknown): Record<string, unknown> {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return {
    message: e.message,
    exception: e.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
  };
}

/** Sends the instance notifications of one compute; without a notifier it does nothing. */
export class InstanceNotifier {
  constructor(private readonly notifier: EventNotifier | undefined) {}

  async createStart(ctx: RequestContext, i: Instance): Promise<Notification | undefined> {
    return this.notifier?.notify(ctx, INSTANCE_CREATE_START, instanceUsagePayload(i));
  }

  async createEnd(ctx: RequestContext, i: Instance): Promise<Notification | undefined> {
    return this.notifier?.notify(ctx, INSTANCE_CREATE_END, instanceUsagePayload(i, { message: 'Success' }));
  }

  async createError(ctx: RequestContext, i: Instance, err: unknown): Promise<Notification | undefined> {
    return this.notifier?.notify(
      ctx,
      INSTANCE_CREATE_ERROR,
      instanceUsagePayload(i, faultPayload(err)),
      'ERROR',
    );
  }
}
