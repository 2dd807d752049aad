import { Flow, itemRequires, type FlowItem, type FlowLink } from '../flow';
import type { CheckEach, EachNeeds, ProvidedByAll } from '../typing';

/**
 * Runs its items in no particular order (concurrently with the parallel executor). Siblings never see each other's
 * results: each item may only use what is available before the flow. Typed like {@link LinearFlow}.
 */
export class UnorderedFlow<Needs extends object = {}, Avail extends object = Needs, Open extends boolean = {} extends Needs ? true : false> extends Flow<
  Needs,
  Avail
> {
  declare readonly __open?: Open;
  readonly kind = 'unordered' as const;

  /**
   * Adds items. Siblings never see each other, also across `add` calls: in closed flows (declared `Needs`) each item
   * may only need declared names; open flows add every item's needs to the flow's needs. Returns this flow, re-typed.
   */
  add<Items extends readonly FlowItem[]>(
    ...items: Open extends true ? Items : Items & CheckEach<Needs, Items>
  ): Open extends true
    ? UnorderedFlow<Needs & EachNeeds<Needs, Items>, Avail & EachNeeds<Needs, Items> & ProvidedByAll<Items>, true>
    : UnorderedFlow<Needs, Avail & ProvidedByAll<Items>, false> {
    for (const it of items as readonly FlowItem[]) this.children.push(this.checkItem(it));
    return this as never;
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
