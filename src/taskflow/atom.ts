/** Options shared by tasks and retry controllers (TaskFlow's Atom constructor arguments). */
export interface AtomOptions {
  /** Names of the arguments `execute` receives (looked up in storage, after `rebind`). */
  requires?: readonly string[];
  /** Arguments passed only when some visible provider (or the store) has them. */
  optional?: readonly string[];
  /** One name: the whole result is stored under it. A list: the result is an object and each name is taken from its key. */
  provides?: string | readonly string[];
  /** Map argument name → stored name, or a list (i-th required argument → i-th name). */
  rebind?: Readonly<Record<string, string>> | readonly string[];
  /** Fixed values for this atom's arguments; win over the store and over providers. */
  inject?: Readonly<Record<string, unknown>>;
}

/** Common base of {@link Task} and {@link Retry}: a named unit with declared requirements and provisions. */
export abstract class Atom {
  /** Unique within a flow; persisted (treat like a column name). */
  readonly name: string;
  requires: readonly string[];
  optional: readonly string[];
  provides: string | readonly string[] | undefined;
  rebind: Readonly<Record<string, string>> | readonly string[] | undefined;
  inject: Readonly<Record<string, unknown>> | undefined;
  /** Higher runs first when several atoms are ready at once. @default 0 */
  priority = 0;

  constructor(name: string, options: AtomOptions = {}) {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('an atom needs a non-empty name');
    this.name = name;
    this.requires = options.requires ?? [];
    this.optional = options.optional ?? [];
    this.provides = options.provides;
    this.rebind = options.rebind;
    this.inject = options.inject;
  }

  /** Names this atom provides (normalised to a list). */
  get providedNames(): readonly string[] {
    const p = this.provides;
    if (p === undefined || p === null) return [];
    return typeof p === 'string' ? [p] : p;
  }

  /** Argument name → stored name it is read from (requires, optional and rebind combined). */
  argMapping(): Map<string, string> {
    const m = new Map<string, string>();
    for (const r of this.requires) m.set(r, r);
    for (const o of this.optional) m.set(o, o);
    const rb = this.rebind;
    if (Array.isArray(rb)) {
      const req = this.requires;
      (rb as readonly string[]).forEach((stored, i) => {
        const arg = req[i];
        if (arg === undefined)
          throw new TypeError(`atom '${this.name}': rebind list is longer than its requires`);
        m.set(arg, stored);
      });
    } else if (rb) {
      for (const [arg, stored] of Object.entries(rb as Record<string, string>)) m.set(arg, stored);
    }
    return m;
  }

  /**
   * Arguments that are really optional: listed in `optional` and neither in `requires` nor rebound by a map
   * (TaskFlow adds rebind entries to the required mapping).
   */
  effectiveOptional(): Set<string> {
    const opt = new Set(this.optional);
    for (const r of this.requires) opt.delete(r);
    const rb = this.rebind;
    if (rb && !Array.isArray(rb)) for (const k of Object.keys(rb)) opt.delete(k);
    return opt;
  }

  /** Stored names this atom needs (required args after rebind, not optional ones). */
  get requiredNames(): readonly string[] {
    const opt = this.effectiveOptional();
    const out: string[] = [];
    for (const [arg, stored] of this.argMapping()) if (!opt.has(arg)) out.push(stored);
    return out;
  }

  toString(): string {
    return `${this.constructor.name}(${this.name})`;
  }
}
