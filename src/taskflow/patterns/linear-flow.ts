import { Flow, itemProvides, itemRequires, type FlowItem, type FlowLink } from '../flow';
import type { CheckSequence, ProvidedByAll } from '../typing';

/**
 * Runs its items one after another, in the order added. Each item sees what earlier items provide.
 * Typed: `new LinearFlow<{ sizeGb: number }>('f').add(a).add(b)` — `add` fails to compile when an item needs a
 * name that neither `Needs` nor an earlier item provides (chain the calls, or pass several items to one `add`).
 */
export class LinearFlow<Needs extends object = {}, Avail extends object = Needs> extends Flow<Needs, Avail> {
  readonly kind = 'linear' as const;

  /** Appends items (tasks or flows) in order. Returns this flow, re-typed with what the items provide. */
  add<Items extends readonly FlowItem[]>(...items: Items & CheckSequence<Avail, Items>): LinearFlow<Needs, Avail & ProvidedByAll<Items>> {
    for (const it of items as readonly FlowItem[]) this.children.push(this.checkItem(it));
    return this as unknown as LinearFlow<Needs, Avail & ProvidedByAll<Items>>;
  }

  links(): readonly FlowLink[] {
    const out: FlowLink[] = [];
    for (let i = 1; i < this.children.length; i++) out.push({ from: this.children[i - 1]!, to: this.children[i]! });
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
