/**
 * Request validation for the attachments API (Cinder's `cinder/api/schemas/attachments.py`): create
 * (`mode` from 3.54) and update, then the controller's defaults.
 */
import type { ApiVersion } from '../middleware/microversion';
import { SchemaValidator, type Schema } from './json-schema';
import { FORMATS } from './parameter-types';
import * as p from './parameter-types';

function createSchema(withMode: boolean): Schema {
  return {
    type: 'object',
    properties: {
      attachment: {
        type: 'object',
        properties: {
          instance_uuid: p.uuid,
          connector: { type: ['object', 'null'] },
          volume_uuid: p.uuid,
          ...(withMode ? { mode: { type: 'string', enum: ['rw', 'ro'] } } : {}),
        },
        required: ['volume_uuid'],
        additionalProperties: false,
      },
    },
    required: ['attachment'],
    additionalProperties: false,
  };
}

const create = new SchemaValidator(createSchema(false), FORMATS);
const create354 = new SchemaValidator(createSchema(true), FORMATS);
const update = new SchemaValidator(
  {
    type: 'object',
    properties: {
      attachment: {
        type: 'object',
        properties: { connector: { type: 'object', minProperties: 1 } },
        required: ['connector'],
        additionalProperties: false,
      },
    },
    required: ['attachment'],
    additionalProperties: false,
  },
  FORMATS,
);

/** A validated POST /attachments body. */
export interface AttachmentCreateRequest {
  readonly volumeUuid: string;
  readonly instanceUuid: string | null;
  readonly connector: Record<string, unknown> | null;
  /** `rw`, `ro`, or Cinder's `'null'` (no mode given: the connector's decides). */
  readonly mode: string;
}

type Obj = Record<string, unknown>;

/** Validates `{"attachment": {"volume_uuid": …, "instance_uuid": …, "connector": …, "mode": …}}`. */
export function validateAttachmentCreate(body: unknown, version: ApiVersion): AttachmentCreateRequest {
  (version.atLeast('3.54') ? create354 : create).validate(body);
  const a = (body as { attachment: Obj }).attachment;
  const connector = a.connector;
  return {
    volumeUuid: String(a.volume_uuid),
    instanceUuid: typeof a.instance_uuid === 'string' ? a.instance_uuid : null,
    connector: typeof connector === 'object' && connector !== null ? (connector as Obj) : null,
    mode: typeof a.mode === 'string' ? a.mode : 'null',
  };
}

/** Validates `{"attachment": {"connector": {…}}}` (a non-empty object). @returns the connector */
export function validateAttachmentUpdate(body: unknown): Record<string, unknown> {
  update.validate(body);
  return (body as { attachment: { connector: Obj } }).attachment.connector;
}
