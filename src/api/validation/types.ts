/** POST /types (admin) validation, as Cinder's types_manage controller. */
import { SchemaValidator } from './json-schema';
import { FORMATS } from './parameter-types';
import * as s from './schemas';
import { boolParam } from './volumes';

const create = new SchemaValidator(s.volumeTypeCreate, FORMATS);

/** A validated volume-type create request. */
export interface VolumeTypeCreateRequest {
  readonly name: string;
  readonly description: string | null;
  /** Extra specs; a null value is kept (Cinder stores it as given). */
  readonly extraSpecs: Readonly<Record<string, string | null>>;
  readonly isPublic: boolean;
}

/**
 * Validates `{"volume_type": {"name": …, "description": …, "extra_specs": {…}, "os-volume-type-access:is_public": …}}`.
 * @throws SchemaValidationError, InvalidNameError, BadRequestParameterError
 */
export function validateVolumeTypeCreate(body: unknown): VolumeTypeCreateRequest {
  create.validate(body);
  const vt = (body as { volume_type: Record<string, unknown> }).volume_type;
  const specs = (vt.extra_specs ?? {}) as Record<string, string | null>;
  const isPublic = Object.prototype.hasOwnProperty.call(vt, 'os-volume-type-access:is_public')
    ? boolParam('os-volume-type-access:is_public', vt['os-volume-type-access:is_public'])
    : true;
  return {
    name: String(vt.name).trim(),
    description: typeof vt.description === 'string' ? vt.description : null,
    extraSpecs: Object.fromEntries(Object.entries(specs)),
    isPublic,
  };
}
