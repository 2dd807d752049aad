import { Flow, itemRequires, type FlowItem, type FlowLink } from '../flow';
import type { CheckEach, ProvidedByAll } from '../typing';

/**
 * Runs its items in no particular order (concurrently with the parallel executor). Siblings never see each other's
 * results: each item may only use what is available before the flow. Typed like {@link LinearFlow}.
 */
export class UnorderedFlow<Needs extends object = {}, Avail extends object = Needs> extends Flow<Needs, Avail> {
  readonly kind = 'unordered' as const;

  /** Adds items. Returns this flow, re-typed with what the items provide. */
  add<Items extends readonly FlowItem[]>(...items: Items & CheckEach<Avail, Items>): UnorderedFlow<Needs, Avail & ProvidedByAll<Items>> {
    for (const it of items as readonly FlowItem[]) this.children.push(this.checkItem(it));
    return this as unknown as UnorderedFlow<Needs, Avail & ProvidedByAll<Items>>;
  }

  links(): readonly FlowLink[] {
    return [];
  }

  get requires(): readonly string[] {
    const provided = this.retryProvides();
    const req = this.retryRequires(new Set());
    for (const c of this.children) for (const r of itemRequires(c)) if (!provided.has(r)) req.add(r);
    return [...req];
  }
}
