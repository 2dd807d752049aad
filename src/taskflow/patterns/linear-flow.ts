import { Flow, itemProvides, itemRequires, type FlowItem, type FlowLink } from '../flow';
import type { CheckSequence, ProvidedByAll, SequenceNeeds } from '../typing';

/**
 * Runs its items one after another, in the order added. Each item sees what earlier items provide.
 *
 * Typed wiring (chain the `add` calls, or pass several items to one `add`):
 * - closed: `new LinearFlow<{ sizeGb: number }>('f').add(a).add(b)` declares what comes from outside; `add` fails
 *   to compile when an item needs a name that neither the declaration nor an earlier item provides, and the engine
 *   store must be exactly `{ sizeGb: number }`.
 * - open: `new LinearFlow('f').add(a).add(b)` infers what the flow needs from outside (names no earlier item
 *   provides); `new Engine(flow, { store })` then fails to compile unless the store has all of them.
 * - names a retry controller provides are declared as the second type argument:
 *   `new LinearFlow<{}, { attempt: number }>('f', new Times(3, { provides: 'attempt' }))`.
 */
export class LinearFlow<
  Needs extends object = {},
  Avail extends object = Needs,
  Open extends boolean = {} extends Needs ? true : false,
> extends Flow<Needs, Avail> {
  declare readonly __open?: Open;
  readonly kind = 'linear' as const;

  /** Appends items (tasks or flows) in order. Returns this flow, re-typed with what the items need and provide. */
  add<Items extends readonly FlowItem[]>(
    ...items: Open extends true ? Items : Items & CheckSequence<Avail, Items>
  ): Open extends true
    ? LinearFlow<
        Needs & SequenceNeeds<Avail, Items>,
        Avail & SequenceNeeds<Avail, Items> & ProvidedByAll<Items>,
        true
      >
    : LinearFlow<Needs, Avail & ProvidedByAll<Items>, false> {
    for (const it of items as readonly FlowItem[]) this.children.push(this.checkItem(it));
    return this as never;
  }

  links(): readonly FlowLink[] {
    const out: FlowLink[] = [];
    for (let i = 1; i < this.children.length; i++)
      out.push({ from: this.children[i - 1]!, to: this.children[i]! });
    return out;
  }

  get requires(): readonly string[] {
    const provided = this.retryProvides();
    const req = this.retryRequires(new Set());
    for (const c of this.children) {
      for (const r of itemRequires(c)) if (!provided.has(r)) req.add(r);
      for (const p of itemProvides(c)) provided.add(p);
    }
    return [...req];
  }
}
