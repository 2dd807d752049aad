/**
 * Compile-time wiring checks (STYLE.md §3). Tasks carry phantom `__in` (argument object) and `__prov` (names they
 * make available) types; flows carry `__in` (names they need from outside) and `__prov` (names available after them).
 */

/** Keys of T that are not optional. */
export type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];

/** What an atom or flow needs (its phantom `__in`), `{}` when untyped. */
export type NeedsOf<T> = T extends { readonly __in?: infer I }
  ? unknown extends I
    ? {}
    : NonNullable<I>
  : {};
/** What an atom or flow makes available (its phantom `__prov`), `{}` when untyped. */
export type ProvOf<T> = T extends { readonly __prov?: infer P }
  ? unknown extends P
    ? {}
    : NonNullable<P>
  : {};

/** Required names of T that `Avail` lacks. */
export type MissingNames<Avail, T> = Exclude<RequiredKeys<NeedsOf<T>>, keyof Avail>;

/** T itself when everything it needs is in `Avail`; otherwise T plus an impossible property naming what is missing. */
export type Satisfied<Avail, T> = [MissingNames<Avail, T>] extends [never]
  ? T
  : T & { readonly 'error: requires names nothing earlier provides': MissingNames<Avail, T> };

/** Checks a sequence where each item may use what earlier items of the sequence provide (linear flows). */
export type CheckSequence<Avail, Items extends readonly unknown[]> = Items extends readonly [
  infer H,
  ...infer R,
]
  ? [Satisfied<Avail, H>, ...CheckSequence<Avail & ProvOf<H>, R>]
  : [];

/** Checks items that may only use `Avail` (unordered flows: siblings are invisible to each other). */
export type CheckEach<Avail, Items extends readonly unknown[]> = {
  [K in keyof Items]: Satisfied<Avail, Items[K]>;
};

/** Intersection of what all items provide. */
export type ProvidedByAll<Items extends readonly unknown[]> = Items extends readonly [infer H, ...infer R]
  ? ProvOf<H> & ProvidedByAll<R>
  : {};

/** Flattens an intersection for readable hover types. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The part of T's needs that `Avail` lacks (optional keys stay optional). */
export type MissingPart<Avail, T> = Pick<NeedsOf<T>, Exclude<keyof NeedsOf<T>, keyof Avail>>;

/** Open flows: what a sequence of items needs from outside (each item may use what earlier ones provide). */
export type SequenceNeeds<Avail, Items extends readonly unknown[]> = Items extends readonly [
  infer H,
  ...infer R,
]
  ? MissingPart<Avail, H> & SequenceNeeds<Avail & MissingPart<Avail, H> & ProvOf<H>, R>
  : {};

/** Open flows: what items that cannot see each other need from outside. */
export type EachNeeds<Avail, Items extends readonly unknown[]> = Items extends readonly [infer H, ...infer R]
  ? MissingPart<Avail, H> & EachNeeds<Avail, R>
  : {};

/** Whether a flow is open (its needs are inferred) rather than closed (declared with a type argument). */
export type IsOpen<F> = F extends { readonly __open?: infer O } ? (O extends false ? false : true) : true;

/** The store an engine for flow F must be given: exactly the declared needs (closed), or at least the inferred ones (open). */
export type StoreFor<F> =
  IsOpen<F> extends true ? NeedsOf<F> & Readonly<Record<string, unknown>> : NeedsOf<F>;
