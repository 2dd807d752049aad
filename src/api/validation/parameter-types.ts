/**
 * Cinder's shared parameter schemas (cinder/api/validation/parameter_types.py) and its format
 * checkers (validators.py), ported so that every message matches.
 */
import { InvalidInputError, InvalidNameError } from '../errors';
import type { FormatChecker, Schema } from './json-schema';
import { pyLen } from './pyrepr';

/** `constants.DB_MAX_INT`. */
export const DB_MAX_INT = 0x7fffffff;

/** Cinder's metadata/extra-spec key rule. */
export const METADATA_KEY_PATTERN = '^[a-zA-Z0-9-_:. /]{1,255}$';
/** Volume-type extra-spec key rule (no '/'). */
export const EXTRA_SPEC_KEY_PATTERN = '^[a-zA-Z0-9-_:. ]{1,255}$';

export const name: Schema = { type: 'string', minLength: 1, maxLength: 255, format: 'name' };
export const nameAllowZeroMinLength: Schema = { type: ['string', 'null'], minLength: 0, maxLength: 255 };
/**
 * Cinder's description: printable characters only (its pattern is a generated list of every printable
 * code point; we check the same rule through {@link FORMATS}'s 'printable' checker).
 */
export const description: Schema = {
  type: ['string', 'null'],
  minLength: 0,
  maxLength: 255,
  format: 'printable',
};

const BOOLEAN_WORDS: readonly unknown[] = [
  true,
  'True',
  'TRUE',
  'true',
  '1',
  'ON',
  'On',
  'on',
  'YES',
  'Yes',
  'yes',
  'y',
  't',
  false,
  'False',
  'FALSE',
  'false',
  '0',
  'OFF',
  'Off',
  'off',
  'NO',
  'No',
  'no',
  'n',
  'f',
];
export const boolean: Schema = { type: ['boolean', 'string'], enum: BOOLEAN_WORDS };
export const optionalBoolean: Schema = { oneOf: [{ type: 'null' }, boolean] };
export const uuid: Schema = { type: 'string', format: 'uuid' };
export const optionalUuid: Schema = { oneOf: [{ type: 'null' }, { type: 'string', format: 'uuid' }] };
export const uuidAllowNull: Schema = { type: ['string', 'null'] };

export const extraSpecs: Schema = {
  type: 'object',
  patternProperties: { [EXTRA_SPEC_KEY_PATTERN]: { type: 'string', maxLength: 255 } },
  additionalProperties: false,
};
export const extraSpecsWithNull: Schema = {
  type: 'object',
  patternProperties: { [EXTRA_SPEC_KEY_PATTERN]: { type: ['string', 'null'], maxLength: 255 } },
  additionalProperties: false,
};
/** Cinder's `EXTRA_SPEC_KEY_PATTERN` without the space: the extra-specs endpoints' keys. */
export const EXTRA_SPEC_NO_SPACES_KEY_PATTERN = '^[a-zA-Z0-9-_:.]{1,255}$';
/** POST/PUT /types/{id}/extra_specs (Cinder's `extra_specs_with_no_spaces_key`): a value may be null. */
export const extraSpecsWithNoSpacesKey: Schema = {
  type: 'object',
  patternProperties: {
    [EXTRA_SPEC_NO_SPACES_KEY_PATTERN]: { type: ['string', 'null'], minLength: 0, maxLength: 255 },
  },
  additionalProperties: false,
};
/** Volume metadata on create: object or null; keys may hold '/'. */
export const metadataAllowsNull: Schema = {
  type: ['object', 'null'],
  patternProperties: { [METADATA_KEY_PATTERN]: { type: 'string', maxLength: 255 } },
  additionalProperties: false,
};
/** Volume metadata where null is not allowed (update, metadata endpoints). */
export const metadata: Schema = {
  type: 'object',
  patternProperties: { [METADATA_KEY_PATTERN]: { type: 'string', maxLength: 255 } },
  additionalProperties: false,
};

export const volumeSize: Schema = {
  type: ['integer', 'string'],
  pattern: '^[0-9]+$',
  minimum: 1,
  maximum: DB_MAX_INT,
};
export const volumeSizeAllowsNull: Schema = {
  type: ['integer', 'string', 'null'],
  pattern: '^[0-9]+$',
  minimum: 1,
  maximum: DB_MAX_INT,
};
export const availabilityZone: Schema = {
  type: ['string', 'null'],
  minLength: 1,
  maxLength: 255,
  format: 'availability_zone',
};

/** oslo `check_string_length` wording, raised as Cinder's InvalidInput. */
export function checkStringLength(
  value: string,
  entity: string,
  minLength: number,
  maxLength: number | null,
): void {
  const length = pyLen(value);
  if (length < minLength)
    throw new InvalidInputError(`${entity} has ${length} characters, less than ${minLength}.`);
  if (maxLength !== null && length > maxLength) {
    throw new InvalidInputError(`${entity} has ${length} characters, more than ${maxLength}.`);
  }
}

function validateStringLength(
  value: unknown,
  entity: string,
  opts: { mandatory: boolean; min: number; max: number; strip: boolean },
): true {
  if (!opts.mandatory && (value === null || value === undefined || value === '')) return true;
  if (opts.mandatory && (value === null || value === undefined || value === '')) {
    throw new InvalidInputError(`The '${entity}' can not be None.`);
  }
  if (typeof value !== 'string') return true;
  checkStringLength(opts.strip ? value.trim() : value, entity, opts.min, opts.max);
  return true;
}

/** Python's `uuidutils.is_uuid_like`: 32 hex digits once braces, 'urn:uuid:' and hyphens are removed. */
export function isUuidLike(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const s = value
    .replace('urn:', '')
    .replace('uuid:', '')
    .replace(/^\{+|\}+$/g, '')
    .replace(/-/g, '')
    .toLowerCase();
  return /^[0-9a-f]{32}$/.test(s);
}

const NON_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/u;

/** The format checkers the schemas above name. */
export const FORMATS: Readonly<Record<string, FormatChecker>> = {
  uuid: isUuidLike,
  name: (v) => {
    if (typeof v !== 'string') return true;
    if (v === '') throw new InvalidNameError("The 'name' can not be None.");
    if (v.trim() === '') throw new InvalidNameError("The 'name' can not be empty.");
    return true;
  },
  name_non_mandatory_remove_white_spaces: (v) =>
    validateStringLength(v, 'name', { mandatory: false, min: 0, max: 255, strip: true }),
  description_non_mandatory_remove_white_spaces: (v) =>
    validateStringLength(v, 'description', { mandatory: false, min: 0, max: 255, strip: true }),
  availability_zone: (v) =>
    v === null
      ? true
      : validateStringLength(v, 'availability_zone', { mandatory: true, min: 1, max: 255, strip: true }),
  printable: (v) => typeof v !== 'string' || !NON_PRINTABLE.test(v),
};
