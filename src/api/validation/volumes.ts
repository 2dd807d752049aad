/**
 * Request validation for the volume endpoints: schema check (Cinder's messages), then the controller
 * normalisation Cinder does before calling the volume API (name/description stripping, legacy
 * `display_*` keys, `image_id` → `imageRef`, size as digit-string, the multiattach refusal).
 * Existence checks (type, AZ, snapshot, source volume) belong to the create flow, not here.
 */
import { BadRequestParameterError, InvalidInputError, NoSuchActionError } from '../errors';
import { MalformedRequestBodyError } from '../faults';
import type { ApiVersion } from '../middleware/microversion';
import { SchemaValidator } from './json-schema';
import { FORMATS } from './parameter-types';
import * as s from './schemas';
import { VOLUME_STATUSES } from '../../volume/statuses';

const v30 = new SchemaValidator(s.volumeCreateV30, FORMATS);
const v313 = new SchemaValidator(s.volumeCreateV313, FORMATS);
const v347 = new SchemaValidator(s.volumeCreateV347, FORMATS);
const v353 = new SchemaValidator(s.volumeCreateV353, FORMATS);
const update30 = new SchemaValidator(s.volumeUpdateV30, FORMATS);
const update353 = new SchemaValidator(s.volumeUpdateV353, FORMATS);
const extend = new SchemaValidator(s.volumeExtend, FORMATS);
const resetStatus = new SchemaValidator(s.volumeResetStatus, FORMATS);
const snapshotResetStatus = new SchemaValidator(s.snapshotResetStatus, FORMATS);
const setBootable = new SchemaValidator(s.volumeSetBootable, FORMATS);
const readonlyUpdate = new SchemaValidator(s.volumeReadonlyUpdate, FORMATS);
const attach = new SchemaValidator(s.volumeAttach, FORMATS);
const detach = new SchemaValidator(s.volumeDetach, FORMATS);
const initializeConnection = new SchemaValidator(s.volumeInitializeConnection, FORMATS);
const terminateConnection = new SchemaValidator(s.volumeTerminateConnection, FORMATS);
const metadataCreate = new SchemaValidator(s.volumeMetadataCreate, FORMATS);
const metadataItem = new SchemaValidator(s.volumeMetadataItemUpdate, FORMATS);

/** A validated POST /volumes body, in the terms the create flow takes. */
export interface VolumeCreateRequest {
  /** GB; null when it is to be inherited from the snapshot / source volume / backup / image. */
  readonly size: number | null;
  readonly name: string | null;
  readonly description: string | null;
  /** Name or id; null means the default type. */
  readonly volumeType: string | null;
  readonly availabilityZone: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly snapshotId: string | null;
  readonly sourceVolid: string | null;
  /** Only read from 3.47 on. */
  readonly backupId: string | null;
  readonly imageRef: string | null;
  readonly consistencygroupId: string | null;
  /** Only read from 3.13 on. */
  readonly groupId: string | null;
  readonly schedulerHints: Readonly<Record<string, unknown>> | null;
}

/** A validated PUT /volumes/{id} body; a key is present only when the request set it. */
export interface VolumeUpdateRequest {
  readonly name?: string | null;
  readonly description?: string | null;
  /** Replaces the whole metadata set. */
  readonly metadata?: Readonly<Record<string, string>>;
}

type Obj = Record<string, unknown>;

function has(o: Obj, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Cinder's `validate_name_and_description`: strings are stripped. */
function stripped(v: unknown): string | null {
  return typeof v === 'string' ? v.trim() : null;
}

function stringMap(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null) return {};
  return Object.fromEntries(Object.entries(v as Obj).map(([k, x]) => [k, String(x)]));
}

const TRUE_WORDS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE_WORDS = new Set(['0', 'f', 'false', 'off', 'n', 'no']);

/** Cinder's `utils.get_bool_param`: true/false, or a 400 for anything that is not a boolean word. */
export function boolParam(name: string, value: unknown): boolean {
  const text =
    value === true
      ? 'true'
      : value === false
        ? 'false'
        : value === null
          ? 'none'
          : String(value).toLowerCase();
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  const shown = value === null ? 'None' : value === true ? 'True' : value === false ? 'False' : String(value);
  throw new BadRequestParameterError(name, `Value '${shown}' for '${name}' is not a boolean.`);
}

/** The schema POST /volumes uses at this microversion. */
function createValidator(version: ApiVersion): SchemaValidator {
  if (version.atLeast('3.53')) return v353;
  if (version.atLeast('3.47')) return v347;
  if (version.atLeast('3.13')) return v313;
  return v30;
}

/**
 * Validates and normalises a POST /volumes body.
 *
 * Beyond Cinder: a create that gives no size and nothing to inherit one from gets a specific 400
 * (Cinder answers a generic "The server could not comply…" 400 for `{"volume": {}}` and `size: null`).
 * @throws SchemaValidationError, InvalidInputError, InvalidNameError, BadRequestParameterError
 */
export function validateVolumeCreate(body: unknown, version: ApiVersion): VolumeCreateRequest {
  createValidator(version).validate(body);
  const root = body as Obj;
  const vol = root.volume as Obj;

  if (has(vol, 'multiattach') && boolParam('multiattach', vol.multiattach)) {
    throw new BadRequestParameterError(
      'multiattach',
      'multiattach parameter has been removed. The default behavior is to use multiattach enabled volume ' +
        'types. Contact your administrator to create a multiattach enabled volume type and use it to create ' +
        'multiattach volumes.',
    );
  }

  const name = has(vol, 'name') ? stripped(vol.name) : stripped(vol.display_name);
  const description = has(vol, 'description') ? stripped(vol.description) : stripped(vol.display_description);
  const imageRef = has(vol, 'image_id') ? str(vol.image_id) : str(vol.imageRef);
  const size = vol.size === null || vol.size === undefined ? null : Number(vol.size);
  const snapshotId = str(vol.snapshot_id);
  const sourceVolid = str(vol.source_volid);
  const backupId = version.atLeast('3.47') ? str(vol.backup_id) : null;

  if (
    size === null &&
    snapshotId === null &&
    sourceVolid === null &&
    backupId === null &&
    imageRef === null
  ) {
    throw new InvalidInputError(
      'A volume size is required unless the volume is created from a snapshot, a source volume, a backup or an image.',
    );
  }

  const volumeType = str(vol.volume_type);
  const hints = root['OS-SCH-HNT:scheduler_hints'];
  return {
    size,
    name,
    description,
    volumeType: volumeType === '' ? null : volumeType,
    availabilityZone: str(vol.availability_zone),
    metadata: stringMap(vol.metadata),
    snapshotId,
    sourceVolid,
    backupId,
    imageRef,
    consistencygroupId: str(vol.consistencygroup_id),
    groupId: version.atLeast('3.13') ? str(vol.group_id) : null,
    schedulerHints: typeof hints === 'object' && hints !== null ? (hints as Obj) : null,
  };
}

/**
 * Validates and normalises a PUT /volumes/{id} body (`name` wins over `display_name`, both stripped).
 * @throws SchemaValidationError, InvalidInputError
 */
export function validateVolumeUpdate(body: unknown, version: ApiVersion): VolumeUpdateRequest {
  (version.atLeast('3.53') ? update353 : update30).validate(body);
  const vol = (body as Obj).volume as Obj;
  const out: { name?: string | null; description?: string | null; metadata?: Record<string, string> } = {};
  if (has(vol, 'name')) out.name = stripped(vol.name);
  else if (has(vol, 'display_name')) out.name = stripped(vol.display_name);
  if (has(vol, 'description')) out.description = stripped(vol.description);
  else if (has(vol, 'display_description')) out.description = stripped(vol.display_description);
  if (has(vol, 'metadata')) out.metadata = stringMap(vol.metadata);
  return out;
}

/**
 * Splits a POST /volumes/{id}/action body into its action name and arguments. Cinder requires
 * exactly one top-level key ("Malformed request body" otherwise).
 */
export function parseActionBody(body: unknown): { readonly action: string; readonly args: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MalformedRequestBodyError();
  }
  const keys = Object.keys(body);
  if (keys.length !== 1) throw new MalformedRequestBodyError();
  const action = keys[0] as string;
  return { action, args: (body as Obj)[action] };
}

/** The volume actions this API implements. */
export const VOLUME_ACTIONS = [
  'os-extend',
  'os-reset_status',
  'os-force_delete',
  'os-set_bootable',
  'os-update_readonly_flag',
  'os-reserve',
  'os-unreserve',
  'os-begin_detaching',
  'os-roll_detaching',
  'os-attach',
  'os-detach',
  'os-initialize_connection',
  'os-terminate_connection',
] as const;
export type VolumeActionName = (typeof VOLUME_ACTIONS)[number];

/** Throws Cinder's 400 "There is no such action: <name>" for an action this API does not implement. */
export function assertKnownAction(action: string): asserts action is VolumeActionName {
  if (!(VOLUME_ACTIONS as readonly string[]).includes(action)) throw new NoSuchActionError(action);
}

/**
 * Validates an `os-extend` action body (the whole body, `{"os-extend": {"new_size": 2}}`).
 * @returns the new size in GB
 */
export function validateVolumeExtend(body: unknown): { readonly newSize: number } {
  extend.validate(body);
  return { newSize: Number(((body as Obj)['os-extend'] as Obj).new_size) };
}

/** Validates `{"os-set_bootable": {"bootable": …}}`. @returns the flag */
export function validateVolumeSetBootable(body: unknown): boolean {
  setBootable.validate(body);
  return boolParam('bootable', ((body as Obj)['os-set_bootable'] as Obj).bootable);
}

/** A validated `os-attach`: to an instance or (legacy) a host. */
export interface VolumeAttachRequest {
  readonly instanceUuid: string | null;
  readonly hostName: string | null;
  readonly mountpoint: string;
  readonly mode: 'rw' | 'ro';
}

/** Validates `{"os-attach": {"instance_uuid" | "host_name", "mountpoint", "mode"?}}`. */
export function validateVolumeAttach(body: unknown): VolumeAttachRequest {
  attach.validate(body);
  const a = (body as Obj)['os-attach'] as Obj;
  return {
    instanceUuid: str(a.instance_uuid),
    hostName: str(a.host_name),
    mountpoint: a.mountpoint as string,
    mode: a.mode === 'ro' ? 'ro' : 'rw',
  };
}

/** Validates `{"os-detach": {"attachment_id"?} | null}`. @returns the attachment id, or null */
export function validateVolumeDetach(body: unknown): string | null {
  detach.validate(body);
  const d = (body as Obj)['os-detach'];
  return d === null ? null : str((d as Obj).attachment_id);
}

/**
 * Validates `{"os-initialize_connection": {"connector": …}}` or `{"os-terminate_connection": …}`.
 * @returns the connector, as sent (an object, a string, or null for a terminate)
 */
export function validateVolumeConnection(
  body: unknown,
  action: 'os-initialize_connection' | 'os-terminate_connection',
): unknown {
  (action === 'os-initialize_connection' ? initializeConnection : terminateConnection).validate(body);
  return ((body as Obj)[action] as Obj).connector;
}

/** Validates `{"os-update_readonly_flag": {"readonly": …}}`. @returns the flag */
export function validateVolumeReadonlyUpdate(body: unknown): boolean {
  readonlyUpdate.validate(body);
  return boolParam('readonly', ((body as Obj)['os-update_readonly_flag'] as Obj).readonly);
}

/**
 * Validates `{"metadata": {...}}` (POST and PUT /volumes/{id}/metadata, and the same on
 * /snapshots/{id}/metadata).
 */
export function validateVolumeMetadata(body: unknown): Readonly<Record<string, string>> {
  metadataCreate.validate(body);
  return stringMap((body as Obj).metadata);
}

/**
 * Validates `{"meta": {"<key>": "<value>"}}` for PUT /volumes/{id}/metadata/{key}; the one key must be
 * the key in the URI ("Request body and URI mismatch").
 */
export function validateVolumeMetadataItem(
  body: unknown,
  key: string,
): { readonly key: string; readonly value: string } {
  metadataItem.validate(body);
  const meta = (body as Obj).meta as Obj;
  if (!has(meta, key)) throw new BadRequestParameterError('meta', 'Request body and URI mismatch');
  return { key, value: String(meta[key]) };
}

const ATTACH_STATUSES = ['attached', 'detached'] as const;
const MIGRATION_STATUSES = ['migrating', 'error', 'success', 'completing', 'none', 'starting'] as const;
/** Cinder's `SnapshotStatus.ALL`. */
const SNAPSHOT_STATUSES = [
  'error',
  'available',
  'creating',
  'deleting',
  'deleted',
  'updating',
  'error_deleting',
  'unmanaging',
  'backing-up',
  'restoring',
] as const;

/** Python's repr of a tuple (or list) of strings, as Cinder's messages print them. */
function pyStrings(values: readonly string[], list = false): string {
  const inner = values.map((v) => `'${v}'`).join(', ');
  return list ? `[${inner}]` : `(${inner})`;
}

/** What `os-reset_status` sets on a volume (lower-cased; migration status `none` clears it). */
export interface VolumeResetStatus {
  readonly status?: string;
  readonly attachStatus?: string;
  readonly migrationStatus?: string | null;
}

/**
 * Validates `{"os-reset_status": {"status"?, "attach_status"?, "migration_status"?}}` as Cinder's
 * admin_actions schema and format checkers do (their InvalidParameterValue messages, 400).
 */
export function validateVolumeResetStatus(body: unknown): VolumeResetStatus {
  resetStatus.validate(body);
  const args = (body as Obj)['os-reset_status'] as Obj;
  const str = (k: string): string | null =>
    typeof args[k] === 'string' && args[k] !== '' ? (args[k] as string) : null;
  const [status, attach, migration] = [str('status'), str('attach_status'), str('migration_status')];
  if (status === null && attach === null && migration === null) {
    throw new BadRequestParameterError(
      'os-reset_status',
      "Must specify 'status', 'attach_status' or 'migration_status' for update.",
    );
  }
  const check = (value: string | null, valid: readonly string[], what: string, list = false): void => {
    if (value !== null && !valid.includes(value.toLowerCase())) {
      throw new BadRequestParameterError(
        what,
        `${what}: ${value} is invalid, valid statuses are: ${pyStrings(valid, list)}.`,
      );
    }
  };
  check(status, VOLUME_STATUSES, 'Volume status');
  check(attach, ATTACH_STATUSES, 'Volume attach status', true);
  check(migration, MIGRATION_STATUSES, 'Volume migration status');
  return {
    ...(status !== null ? { status: status.toLowerCase() } : {}),
    ...(attach !== null ? { attachStatus: attach.toLowerCase() } : {}),
    ...(migration !== null
      ? { migrationStatus: migration.toLowerCase() === 'none' ? null : migration.toLowerCase() }
      : {}),
  };
}

/** Validates `{"os-reset_status": {"status": …}}` for a snapshot. @returns the status, lower-cased */
export function validateSnapshotResetStatus(body: unknown): string {
  snapshotResetStatus.validate(body);
  const status = ((body as Obj)['os-reset_status'] as Obj).status as string;
  if (status === '' || !(SNAPSHOT_STATUSES as readonly string[]).includes(status.toLowerCase())) {
    throw new BadRequestParameterError(
      'status',
      `Snapshot status: ${status} is invalid, valid statuses are: ${pyStrings(SNAPSHOT_STATUSES)}.`,
    );
  }
  return status.toLowerCase();
}
