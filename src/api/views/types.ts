/** Volume type views (GET /types, /types/{id}, POST /types), in Cinder's field order. */
import { USER_VISIBLE_EXTRA_SPECS, isAllowed } from '../policy';

/** A volume type as the views read it (field names follow `VolumeTypeEntity`). */
export interface VolumeTypeViewSource {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly isPublic: boolean;
  readonly qosSpecsId: string | null;
  readonly extraSpecs: Readonly<Record<string, string | null>>;
}

type Caller = { readonly isAdmin: boolean; readonly projectId: string };

/** What the caller may see of a type's specs: all with read_sensitive, else only the user-visible keys. */
export function visibleExtraSpecs(
  caller: Caller,
  specs: Readonly<Record<string, string | null>>,
): Record<string, string | null> {
  return isAllowed(caller, 'volume_extension:types_extra_specs:read_sensitive')
    ? { ...specs }
    : Object.fromEntries(
        USER_VISIBLE_EXTRA_SPECS.filter((k) => Object.prototype.hasOwnProperty.call(specs, k)).map((k) => [
          k,
          specs[k] ?? null,
        ]),
      );
}

/** One type as list and show render it: id, name, is_public, description, [extra_specs, qos_specs_id], os-volume-type-access:is_public. */
export function volumeType(t: VolumeTypeViewSource, caller: Caller): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    is_public: t.isPublic,
    description: t.description,
  };
  if (isAllowed(caller, 'volume_extension:access_types_extra_specs')) {
    // Cinder 21's types view: everyone sees extra_specs, but only the user-visible keys without
    // read_sensitive (backend names and the like stay the operator's).
    out.extra_specs = visibleExtraSpecs(caller, t.extraSpecs);
  }
  if (isAllowed(caller, 'volume_extension:access_types_qos_specs_id')) out.qos_specs_id = t.qosSpecsId;
  out['os-volume-type-access:is_public'] = t.isPublic;
  return out;
}

/** GET /types: `{"volume_types": [...]}`. */
export function volumeTypeList(
  types: readonly VolumeTypeViewSource[],
  caller: Caller,
): { volume_types: Record<string, unknown>[] } {
  return { volume_types: types.map((t) => volumeType(t, caller)) };
}

/** GET /types/{id}: `{"volume_type": {...}}`. */
export function volumeTypeShowView(
  t: VolumeTypeViewSource,
  caller: Caller,
): { volume_type: Record<string, unknown> } {
  return { volume_type: volumeType(t, caller) };
}

/** POST /types (200): Cinder's create answer has its own order and no qos_specs_id. */
export function volumeTypeCreatedView(t: VolumeTypeViewSource): { volume_type: Record<string, unknown> } {
  return {
    volume_type: {
      id: t.id,
      name: t.name,
      is_public: t.isPublic,
      extra_specs: { ...t.extraSpecs },
      description: t.description,
      'os-volume-type-access:is_public': t.isPublic,
    },
  };
}
