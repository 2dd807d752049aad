/**
 * The metadata endpoints of a resource (volumes, snapshots), one implementation for both.
 */
import { createHash } from 'node:crypto';
import { type Request, type Response, type Router } from 'express';
import { toPythonJson } from '../../app';
import { getRequestContext, type RequestContext } from '../../context';
import { enforce, getProjectScope, type PolicyAction } from '../../policy';
import { validateVolumeMetadata, validateVolumeMetadataItem } from '../../validation';
import { volumeMetadataItemView, volumeMetadataView } from '../../views';
import { emptyAnswer, param } from './route-helpers';

/** How one resource's metadata endpoints reach the service, and which policies guard them. */
interface MetadataEndpoints {
  readonly policies: {
    readonly get: PolicyAction;
    readonly create: PolicyAction;
    readonly update: PolicyAction;
    readonly delete: PolicyAction;
  };
  get(ctx: RequestContext, id: string): Promise<Readonly<Record<string, string>>>;
  set(
    ctx: RequestContext,
    id: string,
    metadata: Readonly<Record<string, string>>,
    replace: boolean,
  ): Promise<Readonly<Record<string, string>>>;
  getItem(ctx: RequestContext, id: string, key: string): Promise<string>;
  deleteItem(ctx: RequestContext, id: string, key: string): Promise<void>;
  /**
   * From 3.15 (ETAGS) Cinder answers GET volume metadata with a bare webob.Response carrying an Etag
   * (md5 of the JSON body), so its Content-Type is webob's default, and PUTs honour If-Match (412 when
   * stale). Cinder's snapshot metadata has no ETags.
   */
  readonly etags: boolean;
}

/**
 * The metadata endpoints of a resource (volumes, snapshots), with the volume metadata's behaviour and
 * validation: GET (all), POST (merge), PUT (replace all), GET/PUT/DELETE one key.
 */
export function metadataRoutes(r: Router, path: string, m: MetadataEndpoints): void {
  const etagOf = (metadata: Readonly<Record<string, string>>): string =>
    createHash('md5')
      .update(toPythonJson(volumeMetadataView(metadata)))
      .digest('hex');
  const staleIfMatch = async (req: Request, ctx: RequestContext): Promise<boolean> => {
    const ifMatch = req.headers['if-match'];
    if (!m.etags || !ctx.microversion.atLeast('3.15') || ifMatch === undefined || ifMatch.trim() === '*')
      return false;
    const etag = etagOf(await m.get(ctx, param(req, 'id')));
    const given = ifMatch.split(',').map((t) =>
      t
        .trim()
        .replace(/^W\//, '')
        .replace(/^"(.*)"$/, '$1'),
    );
    return !given.includes(etag);
  };

  r.get(path, async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, m.policies.get, getProjectScope(req, res));
    const metadata = await m.get(ctx, param(req, 'id'));
    if (!m.etags || !ctx.microversion.atLeast('3.15')) {
      res.json(volumeMetadataView(metadata));
      return;
    }
    res.removeHeader('X-Compute-Request-Id');
    res.setHeader('Content-Type', 'text/html; charset=UTF-8');
    res.setHeader('Etag', etagOf(metadata));
    res.status(200).send(Buffer.from(toPythonJson(volumeMetadataView(metadata))));
  });
  const setAll =
    (replace: boolean) =>
    async (req: Request, res: Response): Promise<void> => {
      const ctx = getRequestContext(req, res);
      enforce(ctx, replace ? m.policies.update : m.policies.create, getProjectScope(req, res));
      if (replace && (await staleIfMatch(req, ctx))) {
        emptyAnswer(res, 412);
        return;
      }
      const metadata = validateVolumeMetadata(req.body);
      res.json(volumeMetadataView(await m.set(ctx, param(req, 'id'), metadata, replace)));
    };
  r.post(path, setAll(false));
  r.put(path, setAll(true));
  r.get(`${path}/:key`, async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, m.policies.get, getProjectScope(req, res));
    const key = param(req, 'key');
    res.json(volumeMetadataItemView(key, await m.getItem(ctx, param(req, 'id'), key)));
  });
  r.put(`${path}/:key`, async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, m.policies.update, getProjectScope(req, res));
    if (await staleIfMatch(req, ctx)) {
      emptyAnswer(res, 412);
      return;
    }
    const item = validateVolumeMetadataItem(req.body, param(req, 'key'));
    await m.set(ctx, param(req, 'id'), { [item.key]: item.value }, false);
    res.json(volumeMetadataItemView(item.key, item.value));
  });
  r.delete(`${path}/:key`, async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, m.policies.delete, getProjectScope(req, res));
    await m.deleteItem(ctx, param(req, 'id'), param(req, 'key'));
    emptyAnswer(res, 200, 'webob'); // Cinder returns webob.Response(status_int=200)
  });
}
