/**
 * Periodic tasks (oslo.service periodic_task): methods marked with {@link periodicTask} run every
 * `spacing` seconds from a manager's {@link PeriodicTasks.runPeriodicTasks}, which a dynamic looping
 * call invokes and which returns how long to idle until the next task is due.
 *
 * Semantics kept from oslo:
 * - `spacing` 0 (the default) means {@link DEFAULT_INTERVAL} (60 s); a negative spacing or
 *   `enabled: false` disables the task (logged once when the manager is built);
 * - without `runImmediately` the first run is one spacing after the manager is created;
 * - after a run the next is due on the spacing grid measured from the last run, plus a 0–5 %
 *   jitter rounded down to whole seconds (so spacings under 20 s get none);
 * - `externalProcessOk` tasks are skipped when the service is not configured to run external tasks;
 * - each subclass gets a copy of its parent's registry: declaring a task in a subclass never
 *   changes the parent's tasks.
 * Times are in seconds, like the OpenStack options they mirror.
 */
import type { RequestContext } from '../rpc/context';
import { nullLogger, type Logger } from '../rpc/logger';

/** oslo DEFAULT_INTERVAL: the spacing of a task declared without one, and the longest idle. */
export const DEFAULT_INTERVAL = 60;

export interface PeriodicTaskOptions {
  /** Seconds between runs; 0 means {@link DEFAULT_INTERVAL}; negative disables. @default 0 */
  readonly spacing?: number;
  /** First run on the first runner pass instead of one spacing after start. @default false */
  readonly runImmediately?: boolean;
  /** @default true */
  readonly enabled?: boolean;
  /** Task name in logs and in the registry. @default the method name */
  readonly name?: string;
  /** May run in an external process; skipped unless `runExternalPeriodicTasks`. @default false */
  readonly externalProcessOk?: boolean;
}

/** A declared task as the registry keeps it. */
export interface PeriodicTaskSpec {
  readonly name: string;
  /** Method called on the instance; overriding it in a subclass changes what runs. */
  readonly methodName: string;
  /** Effective spacing in seconds (0 already replaced by the default). */
  readonly spacing: number;
  readonly runImmediately: boolean;
  readonly externalProcessOk: boolean;
}

interface Declaration {
  readonly methodName: string;
  readonly options: PeriodicTaskOptions;
}

interface ResolvedRegistry {
  readonly tasks: readonly PeriodicTaskSpec[];
  /** Declarations left out, with why (logged when an instance is built). */
  readonly skipped: ReadonlyArray<{ name: string; reason: 'negative spacing' | 'disabled' }>;
}

/** Declarations made directly on each prototype (not inherited). */
const declarations = new WeakMap<object, Declaration[]>();
/** Resolved registries per prototype; cleared when anything is registered. */
let resolvedCache = new WeakMap<object, ResolvedRegistry>();

function validateOptions(methodName: string, options: PeriodicTaskOptions): void {
  if (options.spacing !== undefined && !Number.isFinite(options.spacing)) {
    throw new TypeError(`periodic task '${methodName}': spacing must be a finite number of seconds`);
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new TypeError(`periodic task '${methodName}': name must be a non-empty string`);
  }
}

function declare(proto: object, methodName: string, options: PeriodicTaskOptions): void {
  validateOptions(methodName, options);
  const own = declarations.get(proto) ?? [];
  const name = options.name ?? methodName;
  const kept = own.filter((d) => (d.options.name ?? d.methodName) !== name);
  kept.push({ methodName, options: { ...options } });
  declarations.set(proto, kept);
  resolvedCache = new WeakMap();
}

type MethodDecorator = (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor) => void;

/**
 * Marks a method `(ctx: RequestContext) => unknown | Promise<unknown>` as a periodic task.
 * Usable bare (`@periodicTask`) or with options (`@periodicTask({ spacing: 10 })`).
 *
 * @example
 * class VolumeManager extends Manager {
 *   @periodicTask({ spacing: 60, runImmediately: true })
 *   async publishServiceCapabilities(ctx: RequestContext): Promise<void> { … }
 * }
 */
export function periodicTask(options?: PeriodicTaskOptions): MethodDecorator;
export function periodicTask(
  target: object,
  propertyKey: string | symbol,
  descriptor: PropertyDescriptor,
): void;
export function periodicTask(
  arg0?: PeriodicTaskOptions | object,
  propertyKey?: string | symbol,
  descriptor?: PropertyDescriptor,
): MethodDecorator | void {
  const make =
    (options: PeriodicTaskOptions): MethodDecorator =>
    (target, key, desc) => {
      if (typeof key !== 'string') throw new TypeError('periodic tasks must have string method names');
      if (typeof desc.value !== 'function')
        throw new TypeError(`periodic task '${key}' must decorate a method`);
      declare(target, key, options);
    };
  if (propertyKey !== undefined && descriptor !== undefined && arg0 !== undefined) {
    make({})(arg0, propertyKey, descriptor);
    return;
  }
  return make((arg0 as PeriodicTaskOptions | undefined) ?? {});
}

/**
 * The decorator-free equivalent: declare `methodName` of `cls` periodic. Affects `cls` and its
 * subclasses, never its parents.
 */
export function registerPeriodicTask(
  cls: abstract new (...args: never[]) => unknown,
  methodName: string,
  options: PeriodicTaskOptions = {},
): void {
  const proto = cls.prototype as object;
  if (typeof (proto as Record<string, unknown>)[methodName] !== 'function') {
    throw new TypeError(`${cls.name}.${methodName} is not a method`);
  }
  declare(proto, methodName, options);
}

function resolve(proto: object | null): ResolvedRegistry {
  if (proto === null || proto === Object.prototype) return { tasks: [], skipped: [] };
  const cached = resolvedCache.get(proto);
  if (cached !== undefined) return cached;
  const parent = resolve(Object.getPrototypeOf(proto) as object | null);
  // Copy the parent's registry so this class's declarations never reach it.
  const tasks = new Map<string, PeriodicTaskSpec>(parent.tasks.map((t) => [t.name, t]));
  const skipped = [...parent.skipped];
  for (const d of declarations.get(proto) ?? []) {
    const name = d.options.name ?? d.methodName;
    const spacing = d.options.spacing ?? 0;
    if (spacing < 0 || d.options.enabled === false) {
      tasks.delete(name);
      skipped.push({ name, reason: spacing < 0 ? 'negative spacing' : 'disabled' });
      continue;
    }
    tasks.set(name, {
      name,
      methodName: d.methodName,
      spacing: spacing === 0 ? DEFAULT_INTERVAL : spacing,
      runImmediately: d.options.runImmediately ?? false,
      externalProcessOk: d.options.externalProcessOk ?? false,
    });
  }
  const result = { tasks: [...tasks.values()], skipped };
  resolvedCache.set(proto, result);
  return result;
}

/** The periodic tasks a class declares or inherits, in declaration order (parents first). */
export function periodicTasksOf(
  cls: abstract new (...args: never[]) => unknown,
): readonly PeriodicTaskSpec[] {
  return resolve(cls.prototype as object).tasks;
}

export interface PeriodicTasksOptions {
  readonly logger?: Logger;
  /** Run tasks declared `externalProcessOk`. @default true (oslo run_external_periodic_tasks) */
  readonly runExternalPeriodicTasks?: boolean;
  /** Source of the jitter, [0, 1). @default Math.random */
  readonly random?: () => number;
}

export interface RunPeriodicTasksOptions {
  /** Rethrow the first task error instead of logging it and going on. @default false */
  readonly raiseOnError?: boolean;
}

type TaskFn = (ctx: RequestContext) => unknown;

interface InstanceTask extends PeriodicTaskSpec {
  /** For tasks added to one instance with {@link PeriodicTasks.addPeriodicTask}. */
  readonly fn?: TaskFn;
}

const nowSeconds = (): number => Date.now() / 1000;

/**
 * oslo `_nearest_boundary`: the next "last run" on the spacing grid anchored at the previous run,
 * plus a jitter of 0–5 % of the spacing rounded down to whole seconds.
 */
export function nearestBoundary(
  lastRun: number | null,
  spacing: number,
  now: number,
  random: () => number,
): number {
  if (lastRun === null) return now;
  const offset = (now - lastRun) % spacing;
  const jitter = Math.floor(spacing * (random() / 20));
  return now - offset + jitter;
}

/** Base of anything with periodic tasks (the Manager). */
export class PeriodicTasks {
  private readonly periodicTasksList: InstanceTask[];
  private readonly periodicLastRun = new Map<string, number | null>();
  private readonly periodicLog: Logger;
  private readonly runExternal: boolean;
  private readonly random: () => number;

  constructor(options: PeriodicTasksOptions = {}) {
    this.periodicLog = (options.logger ?? nullLogger).child({ component: 'periodic' });
    this.runExternal = options.runExternalPeriodicTasks ?? true;
    this.random = options.random ?? Math.random;
    const registry = resolve(Object.getPrototypeOf(this) as object);
    for (const s of registry.skipped) {
      this.periodicLog.info(
        `skipping periodic task because it is ${s.reason === 'disabled' ? 'disabled' : 'given a negative interval'}`,
        {
          task: s.name,
        },
      );
    }
    this.periodicTasksList = registry.tasks.map((t) => ({ ...t }));
    const created = nowSeconds();
    for (const t of this.periodicTasksList)
      this.periodicLastRun.set(t.name, t.runImmediately ? null : created);
  }

  /** Add a task to this instance only (its class and other instances are unchanged). Returns whether it was enabled. */
  addPeriodicTask(fn: TaskFn, options: PeriodicTaskOptions & { readonly name: string }): boolean {
    validateOptions(options.name, options);
    const spacing = options.spacing ?? 0;
    if (spacing < 0 || options.enabled === false) {
      this.periodicLog.info('skipping periodic task', {
        task: options.name,
        reason: spacing < 0 ? 'negative spacing' : 'disabled',
      });
      return false;
    }
    const task: InstanceTask = {
      name: options.name,
      methodName: options.name,
      spacing: spacing === 0 ? DEFAULT_INTERVAL : spacing,
      runImmediately: options.runImmediately ?? false,
      externalProcessOk: options.externalProcessOk ?? false,
      fn,
    };
    const i = this.periodicTasksList.findIndex((t) => t.name === task.name);
    if (i >= 0) this.periodicTasksList.splice(i, 1, task);
    else this.periodicTasksList.push(task);
    this.periodicLastRun.set(task.name, task.runImmediately ? null : nowSeconds());
    return true;
  }

  /** The enabled tasks of this instance with their effective spacing. */
  get periodicTaskSpecs(): readonly PeriodicTaskSpec[] {
    return this.periodicTasksList.map(({ name, methodName, spacing, runImmediately, externalProcessOk }) => ({
      name,
      methodName,
      spacing,
      runImmediately,
      externalProcessOk,
    }));
  }

  /** When each task last ran (seconds since the epoch), null if never and due at once. */
  periodicLastRunOf(name: string): number | null | undefined {
    return this.periodicLastRun.get(name);
  }

  /**
   * Run every task that is due, one after another; return the seconds to idle until the next one
   * is due (at most {@link DEFAULT_INTERVAL}). A failing task is logged and the others still run,
   * unless `raiseOnError`.
   */
  async runPeriodicTasks(ctx: RequestContext, options: RunPeriodicTasksOptions = {}): Promise<number> {
    let idleFor = DEFAULT_INTERVAL;
    const className = this.constructor.name;
    for (const task of [...this.periodicTasksList]) {
      if (task.externalProcessOk && !this.runExternal) continue;
      const fullName = `${className}.${task.name}`;
      const spacing = task.spacing;
      const lastRun = this.periodicLastRun.get(task.name) ?? null;
      idleFor = Math.min(idleFor, spacing);
      if (lastRun !== null) {
        const delta = lastRun + spacing - nowSeconds();
        if (delta > 0) {
          idleFor = Math.min(idleFor, delta);
          continue;
        }
      }
      this.periodicLog.debug('running periodic task', { task: fullName });
      this.periodicLastRun.set(task.name, nearestBoundary(lastRun, spacing, nowSeconds(), this.random));
      try {
        const fn =
          task.fn ?? ((this as unknown as Record<string, unknown>)[task.methodName] as TaskFn | undefined);
        if (typeof fn !== 'function')
          throw new TypeError(`periodic task ${fullName} has no method '${task.methodName}'`);
        await fn.call(this, ctx);
      } catch (err) {
        if (options.raiseOnError === true) throw err;
        this.periodicLog.error('error during periodic task', { task: fullName, err });
      }
    }
    return idleFor;
  }
}
