import { Task } from '../../taskflow';
import {
  InvalidAvailabilityZoneError,
  InvalidSnapshotError,
  InvalidVolumeError,
  VolumeInvalidInputError,
} from './errors';
import {
  METADATA_KEY_MAX,
  METADATA_VALUE_MAX,
  type AvailabilityZoneLookup,
  type SnapshotRef,
  type SourceVolumeRef,
  type VolumeFlowContext,
  type VolumeTypeLookup,
  type VolumeTypeRef,
} from './types';

export interface ExtractRequestIn {
  context: VolumeFlowContext;
  availability_zone: string | null;
  image_id: string | null;
  metadata: Record<string, string> | null;
  size: number | null;
  snapshot: SnapshotRef | null;
  source_volume: SourceVolumeRef | null;
  volume_type: VolumeTypeRef | null;
  key_manager: unknown;
  backup_source_volume: unknown;
}

export interface ExtractRequestOut {
  availability_zone: string;
  size: number;
  snapshot_id: string | null;
  source_volid: string | null;
  volume_type: VolumeTypeRef;
  volume_type_id: string;
  encryption_key_id: string | null;
  qos_specs: { id: string } | null;
}

const SNAPSHOT_USABLE = new Set(['available']);
const SOURCE_USABLE = new Set(['available', 'in-use']);

/**
 * Validates the create request and works out what Cinder calls the "extracted" values: snapshot, image,
 * source volume and backup are mutually exclusive; the size is a positive integer, inherited from the
 * snapshot or source volume when absent and never smaller than them; the availability zone exists (or is
 * inherited from the snapshot / source volume, else the default); the volume type defaults, and a clone or
 * a volume from a snapshot keeps the type of its origin; metadata keys and values have sane lengths.
 *
 * Reversion strategy: none; it only reads.
 */
export class ExtractRequestTask extends Task<ExtractRequestIn, ExtractRequestOut> {
  constructor(
    private readonly types: VolumeTypeLookup,
    private readonly zones: AvailabilityZoneLookup,
  ) {
    super('volume:create.extract-request', {
      requires: [
        'context',
        'availability_zone',
        'image_id',
        'metadata',
        'size',
        'snapshot',
        'source_volume',
        'volume_type',
        'key_manager',
        'backup_source_volume',
      ],
      provides: [
        'availability_zone',
        'size',
        'snapshot_id',
        'source_volid',
        'volume_type',
        'volume_type_id',
        'encryption_key_id',
        'qos_specs',
      ],
    });
  }

  async execute(args: ExtractRequestIn): Promise<ExtractRequestOut> {
    const { snapshot, source_volume: source, image_id: imageId, backup_source_volume: backup } = args;
    const origins = [snapshot, source, imageId, backup].filter((x) => x !== null && x !== undefined);
    if (origins.length > 1) {
      throw new VolumeInvalidInputError('May specify only one of backup, imageRef, snapshot, source volume');
    }
    if (snapshot !== null && !SNAPSHOT_USABLE.has(snapshot.status)) {
      throw new InvalidSnapshotError(`Originating snapshot status must be one of 'available' values`);
    }
    if (source !== null && !SOURCE_USABLE.has(source.status)) {
      throw new InvalidVolumeError(`Unable to clone volumes that are in an error state`);
    }

    const size = extractSize(args.size, snapshot, source);
    checkMetadata(args.metadata ?? {});

    const volumeType = await this.extractType(args.volume_type, snapshot, source);
    const availabilityZone = await this.extractZone(args.availability_zone, snapshot, source);

    return {
      availability_zone: availabilityZone,
      size,
      snapshot_id: snapshot?.id ?? null,
      source_volid: source?.id ?? null,
      volume_type: volumeType,
      volume_type_id: volumeType.id,
      encryption_key_id: null,
      qos_specs: volumeType.qos_specs_id === null ? null : { id: volumeType.qos_specs_id },
    };
  }

  private async extractType(
    given: VolumeTypeRef | null,
    snapshot: SnapshotRef | null,
    source: SourceVolumeRef | null,
  ): Promise<VolumeTypeRef> {
    if (given !== null) {
      const origin = snapshot?.volume_type_id ?? source?.volume_type_id ?? null;
      if (origin !== null && origin !== given.id && (snapshot !== null || source !== null)) {
        // Cinder refuses a different type for a clone/snapshot-based volume unless the backend can retype.
        throw new VolumeInvalidInputError(
          `Invalid volume_type provided: ${given.id} (requested type must match ${snapshot !== null ? 'the snapshot' : 'the source volume'}'s type)`,
        );
      }
      return given;
    }
    return this.types.defaultType();
  }

  private async extractZone(
    given: string | null,
    snapshot: SnapshotRef | null,
    source: SourceVolumeRef | null,
  ): Promise<string> {
    const inherited = snapshot?.availability_zone ?? source?.availability_zone ?? null;
    const zone = given ?? inherited ?? this.zones.defaultZone;
    const known = await this.zones.zoneNames();
    if (!known.has(zone)) throw new InvalidAvailabilityZoneError(zone);
    if (given !== null && inherited !== null && given !== inherited) {
      throw new VolumeInvalidInputError(
        'Volume must be in the same availability zone as the snapshot or source volume',
      );
    }
    return zone;
  }
}

function extractSize(
  size: number | null,
  snapshot: SnapshotRef | null,
  source: SourceVolumeRef | null,
): number {
  if (size === null) {
    if (snapshot !== null) return snapshot.volume_size;
    if (source !== null) return source.size;
    throw new VolumeInvalidInputError(
      'A volume size is required unless the volume is created from a snapshot, a source volume, a backup or an image.',
    );
  }
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new VolumeInvalidInputError(`Volume size '${String(size)}' must be an integer and greater than 0`);
  }
  if (snapshot !== null && size < snapshot.volume_size) {
    throw new VolumeInvalidInputError(
      `Volume size '${size}'GB cannot be smaller than the snapshot size ${snapshot.volume_size}GB. They must be >= original snapshot size.`,
    );
  }
  if (source !== null && size < source.size) {
    throw new VolumeInvalidInputError(
      `Volume size '${size}'GB cannot be smaller than original volume size  ${source.size}GB. They must be >= original volume size.`,
    );
  }
  return size;
}

function checkMetadata(metadata: Readonly<Record<string, string>>): void {
  const entries = Object.entries(metadata);
  // No item count limit: Cinder accepts any number of items on create (bounded by the body size limit).
  for (const [k, v] of entries) {
    if (k.length === 0) throw new VolumeInvalidInputError('Metadata property key blank.');
    if (k.length > METADATA_KEY_MAX) {
      throw new VolumeInvalidInputError(
        `Metadata property key ${k} greater than ${METADATA_KEY_MAX} characters.`,
      );
    }
    if (typeof v !== 'string' || v.length > METADATA_VALUE_MAX) {
      throw new VolumeInvalidInputError(
        `Metadata property key ${k} value greater than ${METADATA_VALUE_MAX} characters.`,
      );
    }
  }
}
