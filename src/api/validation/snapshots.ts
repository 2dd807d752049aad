/** POST /snapshots validation, as Cinder's snapshots controller. */
import { InvalidInputError } from '../errors';
import { SchemaValidator } from './json-schema';
import { FORMATS } from './parameter-types';
import * as s from './schemas';
import { boolParam } from './volumes';

const create = new SchemaValidator(s.snapshotCreate, FORMATS);
const update = new SchemaValidator(s.snapshotUpdate, FORMATS);

/** A validated snapshot create request. */
export interface SnapshotCreateRequest {
  readonly volumeId: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly force: boolean;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Validates `{"snapshot": {"volume_id": …, "name": …, "description": …, "force": …, "metadata": {…}}}`.
 * A null `volume_id` gets a specific 400 (Cinder looks up volume "None" and answers 404).
 * @throws SchemaValidationError, InvalidInputError, BadRequestParameterError
 */
export function validateSnapshotCreate(body: unknown): SnapshotCreateRequest {
  create.validate(body);
  const snap = (body as { snapshot: Record<string, unknown> }).snapshot;
  if (snap.volume_id === null)
    throw new InvalidInputError("'volume_id' must name the volume to snapshot; it can not be null.");
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(snap, k);
  const strip = (v: unknown): string | null => (typeof v === 'string' ? v.trim() : null);
  const meta = snap.metadata;
  return {
    volumeId: String(snap.volume_id),
    name: has('name') ? strip(snap.name) : strip(snap.display_name),
    description: strip(snap.description),
    force: has('force') ? boolParam('force', snap.force) : false,
    metadata:
      typeof meta === 'object' && meta !== null
        ? Object.fromEntries(Object.entries(meta as Record<string, string>))
        : {},
  };
}

/** A validated snapshot update: the fields given (whitespace stripped, `display_*` folded in). */
export interface SnapshotUpdateRequest {
  readonly name?: string | null;
  readonly description?: string | null;
}

/** Validates `{"snapshot": {"name"?, "description"?, "display_name"?, "display_description"?}}` (PUT). */
export function validateSnapshotUpdate(body: unknown): SnapshotUpdateRequest {
  update.validate(body);
  const snap = (body as { snapshot: Record<string, unknown> }).snapshot;
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(snap, k);
  const strip = (v: unknown): string | null => (typeof v === 'string' ? v.trim() : null);
  // Cinder pops `name` into `display_name` after the legacy key, so `name` wins when both are given.
  const name = has('name') ? strip(snap.name) : has('display_name') ? strip(snap.display_name) : undefined;
  const description = has('description')
    ? strip(snap.description)
    : has('display_description')
      ? strip(snap.display_description)
      : undefined;
  return { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) };
}
