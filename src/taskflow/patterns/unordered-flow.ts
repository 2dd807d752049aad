import { Flow, itemRequires, type FlowItem, type FlowLink } from '../flow';
import type { CheckEach, EachNeeds, ProvidedByAll } from '../typing';

/**
 * Runs its items in no particular order (concurrently with the parallel executor). Siblings never see each other's
 * results: each item may only use what is available before the flow. Typed like {@link LinearFlow}.
 */
export class UnorderedFlow<
  Needs extends object = {},
  Avail extends object = Needs,
  Open extends boolean = {} extends Needs ? true : false,
  /** What every item may use: the declared needs plus names the flow's retry provides (fixed at construction). */
  Visible extends object = Avail,
> extends Flow<Needs, Avail> {
  declare readonly __open?: Open;
  readonly kind = 'unordered' as const;

  /**
   * Adds items. Siblings never see each other, also across `add` calls: in closed flows (declared `Needs`) each item
   * may only need declared names (and the retry's, declared as the second type argument); open flows add every
   * item's other needs to the flow's needs. Returns this flow, re-typed.
   */
  add<Items extends readonly FlowItem[]>(
    ...items: Open extends true ? Items : Items & CheckEach<Visible, Items>
  ): Open extends true
    ? UnorderedFlow<
        Needs & EachNeeds<Visible, Items>,
        Avail & EachNeeds<Visible, Items> & ProvidedByAll<Items>,
        true,
        Visible
      >
    : UnorderedFlow<Needs, Avail & ProvidedByAll<Items>, false, Visible> {
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
