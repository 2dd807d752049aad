/** GET /os-availability-zone. */

/** A zone and whether any service in it is up. */
export interface AvailabilityZoneViewSource {
  readonly name: string;
  readonly available: boolean;
}

/** `{"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}}]}`. */
export function availabilityZoneList(zones: readonly AvailabilityZoneViewSource[]): {
  availabilityZoneInfo: { zoneName: string; zoneState: { available: boolean } }[];
} {
  return {
    availabilityZoneInfo: zones.map((z) => ({ zoneName: z.name, zoneState: { available: z.available } })),
  };
}
