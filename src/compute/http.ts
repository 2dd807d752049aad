/**
 * The compute resources of the HTTP API, in Nova's shapes, served by the api service next to the
 * volume resources (same noauth token, same request ids and fault bodies):
 *
 *   POST /v3/{project_id}/servers          {"server": {"name", "vcpus", "ram", "disk"}} → 202 {"server"}
 *   GET  /v3/{project_id}/servers[/detail] (?all_tenants=1 for an admin)
 *   GET  /v3/{project_id}/servers/{id}
 *   GET  /v3/{project_id}/os-hypervisors[/detail]  (admin)
 *
 * Nova has flavors; this control plane has none, so a server states its size (a flavor's vcpus,
 * ram in MB and disk in GB) in the request and shows it back under `flavor`.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { DataSource } from 'typeorm';
import { getRequestContext } from '../api/context';
import { PolicyNotAuthorizedError } from '../api/errors';
import { BadRequestError, ItemNotFoundError } from '../api/faults';
import { getProjectScope, projectScope } from '../api/policy';
import { ObjectEnvironment } from '../objects/environment';
import { InstanceNotFoundError, ObjectActionError } from '../objects/errors';
import type { Instance } from '../objects/instance';
import { ObjectSerializer } from '../objects/serializer';
import { RpcClient } from '../rpc/client';
import { RequestContext } from '../rpc/context';
import type { Transport } from '../rpc/transport';
import { DbServiceRecordStore } from '../service/db-service-record-store';
import { ServiceGroup } from '../service/service-group';
import { ComputeApi, type HypervisorSummary } from './api';

/** Nova's vm_state → API status (nova.api.openstack.common._STATE_MAP, the states we have). */
const STATUS: Readonly<Record<string, string>> = {
  building: 'BUILD',
  active: 'ACTIVE',
  error: 'ERROR',
  deleted: 'DELETED',
};

export function serverStatus(vmState: string | null): string {
  return vmState === null ? 'UNKNOWN' : (STATUS[vmState] ?? vmState.toUpperCase());
}

function iso(d: Date | null): string | null {
  return d === null ? null : `${d.toISOString().slice(0, 19)}Z`;
}

/** A server as Nova's detail view shows it (the fields we keep). */
export function serverDetail(i: Instance): Record<string, unknown> {
  return {
    id: i.uuid,
    name: i.displayName ?? '',
    status: serverStatus(i.vmState),
    tenant_id: i.projectId,
    user_id: i.userId,
    flavor: { vcpus: i.vcpus, ram: i.memoryMb, disk: i.rootGb },
    created: iso(i.createdAt),
    updated: iso(i.updatedAt ?? i.createdAt),
    'OS-EXT-SRV-ATTR:host': i.host,
    'OS-EXT-SRV-ATTR:hypervisor_hostname': i.node,
    'OS-EXT-STS:vm_state': i.vmState,
    'OS-EXT-STS:task_state': i.taskState,
    'OS-EXT-AZ:availability_zone': i.availabilityZone ?? 'nova',
  };
}

/** The nova-compute service of a host as os-hypervisors reports it; unknown when it has no record. */
export interface ComputeServiceState {
  readonly up: boolean;
  readonly disabled: boolean;
}

/** A hypervisor as Nova's os-hypervisors/detail shows it (2.1): state from heartbeats, status from disabled. */
export function hypervisorDetail(
  h: HypervisorSummary,
  service: ComputeServiceState | undefined,
): Record<string, unknown> {
  return {
    id: h.id,
    hypervisor_hostname: h.hypervisorHostname,
    hypervisor_type: 'fake',
    state: service?.up === true ? 'up' : 'down',
    status: service?.disabled === true ? 'disabled' : 'enabled',
    service: { host: h.host },
    vcpus: h.vcpus,
    vcpus_used: h.vcpusUsed,
    memory_mb: h.memoryMb,
    memory_mb_used: h.memoryMbUsed,
    local_gb: h.localGb,
    local_gb_used: h.localGbUsed,
    free_ram_mb: h.freeRamMb,
    free_disk_gb: h.freeDiskGb,
    running_vms: h.runningVms,
  };
}

/** What POST /servers accepts. @throws BadRequestError naming the first bad field */
export function parseServerCreate(body: unknown): {
  name: string | undefined;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
} {
  const server = (body as { server?: unknown } | null)?.server;
  if (server === null || typeof server !== 'object' || Array.isArray(server)) {
    throw new BadRequestError("Invalid input for field/attribute server: a 'server' object is required.");
  }
  const s = server as Record<string, unknown>;
  const int = (key: string, min: number): number => {
    const v = s[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new BadRequestError(`Invalid input for field/attribute ${key}: must be an integer >= ${min}.`);
    }
    return v;
  };
  const name = s['name'];
  if (name !== undefined && (typeof name !== 'string' || name.length > 255)) {
    throw new BadRequestError(
      'Invalid input for field/attribute name: must be a string of at most 255 characters.',
    );
  }
  return { name, vcpus: int('vcpus', 1), memoryMb: int('ram', 1), rootGb: int('disk', 0) };
}

function rpcContext(req: Request, res: Response): RequestContext {
  const c = getRequestContext(req, res);
  return new RequestContext({
    requestId: c.requestId,
    userId: c.userId,
    projectId: c.projectId,
    isAdmin: c.isAdmin,
    roles: [...c.roles],
  });
}

function allTenants(req: Request): boolean {
  const v = req.query['all_tenants'];
  return typeof v === 'string' && !['0', 'false', 'False', 'off'].includes(v);
}

/** Object-layer errors as API faults (the fault table knows the API's classes). */
async function mapErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InstanceNotFoundError)
      throw new ItemNotFoundError(`Instance ${err.instanceUuid} could not be found.`);
    if (err instanceof ObjectActionError) throw new BadRequestError(err.reason);
    throw err;
  }
}

export interface ComputeRoutesOptions {
  /** The nova-compute service of a host (os-hypervisors `state` and `status`). @default every host up and enabled */
  readonly computeService?: (host: string) => Promise<ComputeServiceState | undefined>;
}

function routes(api: ComputeApi, options: ComputeRoutesOptions): Router {
  const r = express.Router({ mergeParams: true });
  // Per route, not r.use: under `/:projectId` an unmatched path (a project-less `/servers/detail` read
  // as project "servers") must fall through to the project-less mount, not fail the scope check.
  const scoped = projectScope();

  const list = (detail: boolean) => async (req: Request, res: Response) => {
    const ctx = getRequestContext(req, res);
    const everyProject = ctx.isAdmin && allTenants(req);
    const instances = await api.listInstances(
      rpcContext(req, res),
      everyProject ? null : getProjectScope(req, res),
    );
    res.json({
      servers: instances.map((i) => (detail ? serverDetail(i) : { id: i.uuid, name: i.displayName ?? '' })),
    });
  };
  r.get('/servers', scoped, list(false));
  r.get('/servers/detail', scoped, list(true));

  r.post('/servers', scoped, async (req, res) => {
    const spec = parseServerCreate(req.body);
    const instance = await mapErrors(() =>
      api.createInstance(rpcContext(req, res), {
        vcpus: spec.vcpus,
        memoryMb: spec.memoryMb,
        rootGb: spec.rootGb,
        ...(spec.name !== undefined ? { displayName: spec.name } : {}),
      }),
    );
    res.status(202).json({ server: serverDetail(instance) });
  });

  r.get('/servers/:serverId', scoped, async (req, res) => {
    const ctx = getRequestContext(req, res);
    const id = String(req.params['serverId']);
    const instance = await mapErrors(() => api.getInstance(rpcContext(req, res), id));
    // Another project's server does not exist for a non-admin (Nova answers 404 too).
    if (!ctx.isAdmin && instance.projectId !== ctx.projectId)
      throw new ItemNotFoundError(`Instance ${id} could not be found.`);
    res.json({ server: serverDetail(instance) });
  });

  const hypervisors = (detail: boolean) => async (req: Request, res: Response) => {
    const ctx = getRequestContext(req, res);
    if (!ctx.isAdmin) throw new PolicyNotAuthorizedError('os_compute_api:os-hypervisors:list');
    const nodes = await api.listHypervisors(rpcContext(req, res));
    const out: Record<string, unknown>[] = [];
    for (const n of nodes) {
      const service =
        options.computeService === undefined
          ? { up: true, disabled: false }
          : await options.computeService(n.host);
      const full = hypervisorDetail(n, service);
      out.push(
        detail
          ? full
          : {
              id: full['id'],
              hypervisor_hostname: full['hypervisor_hostname'],
              state: full['state'],
              status: full['status'],
            },
      );
    }
    res.json({ hypervisors: out });
  };
  r.get('/os-hypervisors', scoped, hypervisors(false));
  r.get('/os-hypervisors/detail', scoped, hypervisors(true));
  return r;
}

/**
 * Mounts the compute resources on the /v3 router. Mount it after the volume resources (whose
 * middlewares — noauth, microversion, JSON body — it relies on); both live under `/:projectId` and
 * project-less, as Cinder's do.
 */
export function computeV3Routes(api: ComputeApi, options: ComputeRoutesOptions = {}): (v3: Router) => void {
  return (v3) => {
    const r = routes(api, options);
    v3.use('/:projectId', r);
    v3.use('/', r);
  };
}

/** The api service's builder: ComputeApi on the process's database, builds cast to the conductor. */
export async function computeApiV3(
  resources: { dataSource(): Promise<DataSource>; transport(): Promise<Transport> },
  options: {
    /** For os-hypervisors' state (the compute services' heartbeats). @default 10 / 60 */
    readonly reportInterval?: number;
    readonly serviceDownTime?: number;
    /** @default 'conductor' */
    readonly conductorTopic?: string;
  } = {},
): Promise<(v3: Router) => void> {
  const [ds, transport] = await Promise.all([resources.dataSource(), resources.transport()]);
  const env = ObjectEnvironment.direct('nova-api', ds);
  const conductor = new RpcClient(
    transport,
    { topic: options.conductorTopic ?? 'conductor' },
    { version: '3.0', serializer: new ObjectSerializer(env) },
  );
  const group = new ServiceGroup(new DbServiceRecordStore(ds), {
    ...(options.reportInterval !== undefined ? { reportInterval: options.reportInterval } : {}),
    ...(options.serviceDownTime !== undefined ? { serviceDownTime: options.serviceDownTime } : {}),
  });
  return computeV3Routes(new ComputeApi(env, conductor), {
    computeService: async (host) => (await group.listWithState({ host, binary: 'nova-compute' }))[0],
  });
}
