/**
 * The conductor's manager: owns database access on behalf of services that have none (compute).
 * It serves the object endpoint ({@link ConductorObjectEndpoint}) next to its own methods; run it
 * with `serializer: new ObjectSerializer(env)` so objects arriving over RPC are bound to the
 * conductor's database environment.
 */
import type { RequestContext } from '../rpc/context';
import { Manager, type ManagerOptions } from '../service/manager';
import type { ObjectEnvironment } from '../objects/environment';
import { ComputeTaskEndpoint, type ComputeTaskOptions } from './compute-task';
import { ConductorObjectEndpoint } from './object-endpoint';

export interface ConductorManagerOptions extends ManagerOptions {
  /** Direct database access (ObjectEnvironment.direct). */
  readonly objectEnv: ObjectEnvironment;
  /** Serve `build_instances` too (scheduler and compute clients). */
  readonly computeTask?: Omit<ComputeTaskOptions, 'objectEnv'>;
}

export class ConductorManager extends Manager {
  override readonly rpcApiVersion = '3.0';
  /** Its own RPC method; object actions and build_instances are its additional endpoints'. */
  readonly rpcMethods = ['ping'] as const;
  readonly objectEnv: ObjectEnvironment;

  constructor(options: ConductorManagerOptions) {
    super({ serviceName: 'conductor', ...options });
    if (!options.objectEnv.dbAllowed) throw new TypeError('the conductor needs direct database access');
    this.objectEnv = options.objectEnv;
    this.additionalEndpoints.push(new ConductorObjectEndpoint(options.objectEnv));
    if (options.computeTask !== undefined) {
      this.additionalEndpoints.push(
        new ComputeTaskEndpoint({
          ...options.computeTask,
          objectEnv: options.objectEnv,
          ...(options.logger !== undefined ? { logger: options.logger } : {}),
        }),
      );
    }
  }

  /** Nova's BaseAPI.ping: a compute starting up asks until the conductor answers (wait_until_ready). */
  ping(_ctx: RequestContext, args: Record<string, unknown>): { service: string; arg: unknown } {
    return { service: 'conductor', arg: args['arg'] ?? null };
  }
}
