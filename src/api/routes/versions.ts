import type { Request, RequestHandler } from 'express';

/** The microversion range served (Cinder Zed). */
export const MIN_API_VERSION = '3.0';
export const MAX_API_VERSION = '3.70';

/** One entry of the versions document, exactly as Cinder 21 sends it (key order included). */
export interface VersionEntry {
  readonly id: string;
  readonly status: string;
  readonly version: string;
  readonly min_version: string;
  readonly updated: string;
  readonly links: readonly Readonly<Record<string, string>>[];
  readonly 'media-types': readonly Readonly<Record<string, string>>[];
}

/** `{"versions": [...]}` with the self link under `baseUrl` (e.g. `http://127.0.0.1:8776`). */
export function versionsDocument(baseUrl: string): { versions: VersionEntry[] } {
  return {
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: MAX_API_VERSION,
        min_version: MIN_API_VERSION,
        updated: '2022-08-31T00:00:00Z',
        links: [
          { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
          { rel: 'self', href: `${baseUrl}/v3/` },
        ],
        'media-types': [
          { base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' },
        ],
      },
    ],
  };
}

/** `http://host:port` as the client addressed us (the Host header), like webob's `host_url`. */
export function baseUrlOf(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** `GET /`: 300 Multiple Choices with the versions document. */
export function listVersions(): RequestHandler {
  return (req, res) => {
    res.status(300).json(versionsDocument(baseUrlOf(req)));
  };
}

/** `GET /v3/`: 200 with the same document. */
export function showV3Version(): RequestHandler {
  return (req, res) => {
    res.status(200).json(versionsDocument(baseUrlOf(req)));
  };
}
