/**
 * Request-body schemas, ported from cinder/api/schemas/*.py (Cinder 21). Keyword and property order
 * is evaluation order, so keep it as Cinder has it.
 */
import type { Schema } from './json-schema';
import * as p from './parameter-types';

const volumeCreateProperties: Readonly<Record<string, Schema>> = {
  name: { type: ['string', 'null'], format: 'name_non_mandatory_remove_white_spaces' },
  description: { type: ['string', 'null'], format: 'description_non_mandatory_remove_white_spaces' },
  display_name: { type: ['string', 'null'], format: 'name_non_mandatory_remove_white_spaces' },
  display_description: { type: ['string', 'null'], format: 'description_non_mandatory_remove_white_spaces' },
  // volume_type accepts an id as well as a name, so it is checked lazily.
  volume_type: p.nameAllowZeroMinLength,
  metadata: p.metadataAllowsNull,
  snapshot_id: p.optionalUuid,
  source_volid: p.optionalUuid,
  consistencygroup_id: p.optionalUuid,
  size: p.volumeSizeAllowsNull,
  availability_zone: p.availabilityZone,
  multiattach: p.optionalBoolean,
  image_id: { type: ['string', 'null'], minLength: 0, maxLength: 255 },
  imageRef: { type: ['string', 'null'], minLength: 0, maxLength: 255 },
};

function volumeCreate(extra: Readonly<Record<string, Schema>>, strict: boolean): Schema {
  return {
    type: 'object',
    properties: {
      volume: {
        type: 'object',
        properties: { ...volumeCreateProperties, ...extra },
        additionalProperties: !strict,
      },
      'OS-SCH-HNT:scheduler_hints': { type: ['object', 'null'] },
    },
    required: ['volume'],
    additionalProperties: false,
  };
}

const groupId: Schema = { type: ['string', 'null'], minLength: 0, maxLength: 255 };

/** POST /volumes, 3.0–3.12. Unknown keys inside `volume` are accepted (and ignored). */
export const volumeCreateV30 = volumeCreate({}, false);
/** 3.13–3.46: adds `group_id`. */
export const volumeCreateV313 = volumeCreate({ group_id: groupId }, false);
/** 3.47–3.52: adds `backup_id`. */
export const volumeCreateV347 = volumeCreate({ group_id: groupId, backup_id: p.optionalUuid }, false);
/** 3.53 on: unknown keys inside `volume` are rejected. */
export const volumeCreateV353 = volumeCreate({ group_id: groupId, backup_id: p.optionalUuid }, true);

const volumeUpdateVolume = {
  type: 'object',
  properties: {
    name: { type: ['string', 'null'], format: 'name_non_mandatory_remove_white_spaces' },
    description: { type: ['string', 'null'], format: 'description_non_mandatory_remove_white_spaces' },
    display_name: { type: ['string', 'null'], format: 'name_non_mandatory_remove_white_spaces' },
    display_description: {
      type: ['string', 'null'],
      format: 'description_non_mandatory_remove_white_spaces',
    },
    metadata: p.metadata,
  },
  additionalProperties: false,
} as const satisfies Schema;

/** PUT /volumes/{id}, below 3.53: `{"volume": {}}` is accepted. */
export const volumeUpdateV30: Schema = {
  type: 'object',
  properties: { volume: volumeUpdateVolume },
  required: ['volume'],
  additionalProperties: false,
};
/** 3.53 on: at least one updatable key. */
export const volumeUpdateV353: Schema = {
  type: 'object',
  properties: {
    volume: {
      ...volumeUpdateVolume,
      anyOf: [
        { required: ['name'] },
        { required: ['description'] },
        { required: ['display_name'] },
        { required: ['display_description'] },
        { required: ['metadata'] },
      ],
    },
  },
  required: ['volume'],
  additionalProperties: false,
};

/** POST /volumes/{id}/action `os-extend`. */
export const volumeExtend: Schema = {
  type: 'object',
  properties: {
    'os-extend': {
      type: 'object',
      properties: { new_size: p.volumeSize },
      required: ['new_size'],
      additionalProperties: false,
    },
  },
  required: ['os-extend'],
  additionalProperties: false,
};

const nullableString: Schema = { type: ['string', 'null'] };

/** POST /volumes/{id}/action `os-reset_status` (admin_actions.reset; the status checks follow in code). */
export const volumeResetStatus: Schema = {
  type: 'object',
  properties: {
    'os-reset_status': {
      type: 'object',
      properties: { status: nullableString, attach_status: nullableString, migration_status: nullableString },
      additionalProperties: false,
    },
  },
  required: ['os-reset_status'],
  additionalProperties: false,
};

/** POST /snapshots/{id}/action `os-reset_status` (admin_actions.reset_status_snapshot). */
export const snapshotResetStatus: Schema = {
  type: 'object',
  properties: {
    'os-reset_status': {
      type: 'object',
      properties: { status: { type: 'string' } },
      required: ['status'],
      additionalProperties: false,
    },
  },
  required: ['os-reset_status'],
  additionalProperties: false,
};

/** POST /volumes/{id}/metadata and PUT /volumes/{id}/metadata (replace all). */
export const volumeMetadataCreate: Schema = {
  type: 'object',
  properties: { metadata: p.metadata },
  required: ['metadata'],
  additionalProperties: false,
};

/** PUT /volumes/{id}/metadata/{key}: exactly one item. */
export const volumeMetadataItemUpdate: Schema = {
  type: 'object',
  properties: { meta: { ...p.metadata, minProperties: 1, maxProperties: 1 } },
  required: ['meta'],
  additionalProperties: false,
};

/** PUT /os-quota-sets/{project}: keys and values are checked by the 'quota_set' format. */
export const quotaSetUpdate: Schema = {
  type: 'object',
  properties: { quota_set: { type: 'object', minProperties: 1, format: 'quota_set' } },
  required: ['quota_set'],
  additionalProperties: false,
};

/** POST /types (admin). */
export const volumeTypeCreate: Schema = {
  type: 'object',
  properties: {
    volume_type: {
      type: 'object',
      properties: {
        name: p.name,
        description: p.description,
        extra_specs: p.extraSpecsWithNull,
        'os-volume-type-access:is_public': p.boolean,
      },
      required: ['name'],
      additionalProperties: false,
    },
  },
  required: ['volume_type'],
  additionalProperties: false,
};

/** PUT /types/{id} (admin; types_manage `_update`): the checks on the values follow in code. */
export const volumeTypeUpdate: Schema = {
  type: 'object',
  properties: {
    volume_type: {
      type: 'object',
      properties: { name: p.nameAllowZeroMinLength, description: p.description, is_public: p.boolean },
      additionalProperties: false,
    },
  },
  required: ['volume_type'],
  additionalProperties: false,
};

/** POST /types/{id}/extra_specs (admin). */
export const typeExtraSpecsCreate: Schema = {
  type: 'object',
  properties: { extra_specs: p.extraSpecsWithNoSpacesKey },
  required: ['extra_specs'],
  additionalProperties: false,
};

/** PUT /types/{id}/extra_specs/{key} (admin): the body is the one spec itself, `{"<key>": "<value>"}`. */
export const typeExtraSpecsUpdate: Schema = {
  ...p.extraSpecsWithNoSpacesKey,
  minProperties: 1,
  maxProperties: 1,
};

/** POST /volumes/{id}/action `os-set_bootable`. */
export const volumeSetBootable: Schema = {
  type: 'object',
  properties: {
    'os-set_bootable': {
      type: 'object',
      properties: { bootable: p.boolean },
      required: ['bootable'],
      additionalProperties: false,
    },
  },
  required: ['os-set_bootable'],
  additionalProperties: false,
};

/** POST /volumes/{id}/action `os-attach` (an instance or a host, a mountpoint, a mode). */
export const volumeAttach: Schema = {
  type: 'object',
  properties: {
    'os-attach': {
      type: 'object',
      properties: {
        instance_uuid: p.uuid,
        mountpoint: { type: 'string', minLength: 1, maxLength: 255 },
        host_name: { type: 'string', maxLength: 255 },
        mode: { type: 'string', enum: ['rw', 'ro'] },
      },
      required: ['mountpoint'],
      anyOf: [{ required: ['instance_uuid'] }, { required: ['host_name'] }],
      additionalProperties: false,
    },
  },
  required: ['os-attach'],
  additionalProperties: false,
};

/** POST /volumes/{id}/action `os-detach` (null allowed for backward compatibility, as Cinder). */
export const volumeDetach: Schema = {
  type: 'object',
  properties: {
    'os-detach': {
      type: ['object', 'null'],
      properties: { attachment_id: p.uuidAllowNull },
      additionalProperties: false,
    },
  },
  required: ['os-detach'],
  additionalProperties: false,
};

/** POST /volumes/{id}/action `os-initialize_connection`. */
export const volumeInitializeConnection: Schema = {
  type: 'object',
  properties: {
    'os-initialize_connection': {
      type: 'object',
      properties: { connector: { type: ['object', 'string'] } },
      required: ['connector'],
      additionalProperties: false,
    },
  },
  required: ['os-initialize_connection'],
  additionalProperties: false,
};

/** POST /volumes/{id}/action `os-terminate_connection`. */
export const volumeTerminateConnection: Schema = {
  type: 'object',
  properties: {
    'os-terminate_connection': {
      type: 'object',
      properties: { connector: { type: ['string', 'object', 'null'] } },
      required: ['connector'],
      additionalProperties: false,
    },
  },
  required: ['os-terminate_connection'],
  additionalProperties: false,
};

/** POST /volumes/{id}/action `os-update_readonly_flag`. */
export const volumeReadonlyUpdate: Schema = {
  type: 'object',
  properties: {
    'os-update_readonly_flag': {
      type: 'object',
      properties: { readonly: p.boolean },
      required: ['readonly'],
      additionalProperties: false,
    },
  },
  required: ['os-update_readonly_flag'],
  additionalProperties: false,
};

/** POST /snapshots. */
/** PUT /snapshots/{id} (Cinder's snapshots.update): at least one of the name/description keys. */
export const snapshotUpdate: Schema = {
  type: 'object',
  properties: {
    snapshot: {
      type: 'object',
      properties: {
        name: p.nameAllowZeroMinLength,
        description: p.description,
        display_name: p.nameAllowZeroMinLength,
        display_description: p.description,
      },
      additionalProperties: false,
      anyOf: [
        { required: ['name'] },
        { required: ['description'] },
        { required: ['display_name'] },
        { required: ['display_description'] },
      ],
    },
  },
  required: ['snapshot'],
  additionalProperties: false,
};

export const snapshotCreate: Schema = {
  type: 'object',
  properties: {
    snapshot: {
      type: 'object',
      properties: {
        name: p.nameAllowZeroMinLength,
        display_name: p.nameAllowZeroMinLength,
        description: p.description,
        volume_id: p.uuidAllowNull,
        force: p.boolean,
        metadata: p.metadataAllowsNull,
      },
      required: ['volume_id'],
      additionalProperties: false,
    },
  },
  required: ['snapshot'],
  additionalProperties: false,
};
