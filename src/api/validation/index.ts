/** Request validation for the API: one function per body, Cinder's messages throughout. */
export * from './volumes';
export * from './quota-sets';
export * from './types';
export * from './snapshots';
export * from './query';
export * from './attachments';
export {
  SchemaValidator,
  type Schema,
  type SchemaError,
  type FormatChecker,
  type JsonType,
} from './json-schema';
export { FORMATS, DB_MAX_INT, isUuidLike, checkStringLength } from './parameter-types';
export { pyRepr, pyStr, pyStrOf } from './pyrepr';
