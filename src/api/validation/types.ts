/** POST /types (admin) validation, as Cinder's types_manage controller. */
import { SchemaValidator } from './json-schema';
import { FORMATS } from './parameter-types';
import * as s from './schemas';
import { BadRequestParameterError } from '../errors';
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

const update = new SchemaValidator(s.volumeTypeUpdate, FORMATS);
const specsCreate = new SchemaValidator(s.typeExtraSpecsCreate, FORMATS);
const specsUpdate = new SchemaValidator(s.typeExtraSpecsUpdate, FORMATS);

/** A validated PUT /types/{id}: only the fields to change are present. */
export interface VolumeTypeUpdateRequest {
  readonly name?: string;
  readonly description?: string;
  readonly isPublic?: boolean;
}

/**
 * Validates `{"volume_type": {"name"?, "description"?, "is_public"?}}` as Cinder's types_manage `_update`:
 * null means "no change", and at least one field must change. `afterSchema` runs between the schema and
 * those checks (the policy, in Cinder's order).
 *
 * Beyond Cinder: an empty name gets the same 400 as a blank one (Cinder renames the type to "").
 * @throws SchemaValidationError, BadRequestParameterError
 */
export function validateVolumeTypeUpdate(
  body: unknown,
  afterSchema: () => void = () => undefined,
): VolumeTypeUpdateRequest {
  update.validate(body);
  afterSchema();
  const vt = (body as { volume_type: Record<string, unknown> }).volume_type;
  const name = typeof vt.name === 'string' ? vt.name : undefined;
  const description = typeof vt.description === 'string' ? vt.description : undefined;
  const isPublic =
    vt.is_public === undefined || vt.is_public === null ? undefined : boolParam('is_public', vt.is_public);
  if (name !== undefined && name.trim() === '') {
    throw new BadRequestParameterError('name', 'Volume type name can not be empty.');
  }
  if (name === undefined && description === undefined && isPublic === undefined) {
    throw new BadRequestParameterError(
      'volume_type',
      'Specify volume type name, description, is_public or a combination thereof.',
    );
  }
  return {
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(isPublic !== undefined ? { isPublic } : {}),
  };
}

/** Validates `{"extra_specs": {"<key>": "<value>" | null, …}}` (POST /types/{id}/extra_specs). */
export function validateExtraSpecsCreate(body: unknown): Readonly<Record<string, string | null>> {
  specsCreate.validate(body);
  return { ...(body as { extra_specs: Record<string, string | null> }).extra_specs };
}

/**
 * Validates the body of PUT /types/{id}/extra_specs/{key}: exactly one spec, `{"<key>": "<value>"}`.
 * Whether it names the URL's key is the service's check, after the type's (Cinder's order).
 */
export function validateExtraSpecsItem(body: unknown): Readonly<Record<string, string | null>> {
  specsUpdate.validate(body);
  return { ...(body as Record<string, string | null>) };
}
