/** Quota sets (show, usage, defaults, update, delete), quota class sets and limits. */
import { type Router } from 'express';
import { getRequestContext } from '../../context';
import { SchemaValidationError } from '../../errors';
import { enforce, getProjectScope } from '../../policy';
import { queryFlag, quotaResourceNames, validateQuotaSetUpdate } from '../../validation';
import { limitsView, quotaClassSetView, quotaSetView } from '../../views';
import type { VolumeAPI } from '../../../volume/api';
import { emptyAnswer, param } from './route-helpers';

export function quotaRoutes(r: Router, api: VolumeAPI): void {
  const quotaKeys = async (): Promise<string[]> =>
    quotaResourceNames((await api.db.listTypes()).map((t) => t.name));

  r.get('/os-quota-sets/:target/defaults', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:quotas:show', param(req, 'target'));
    const [keys, defaults] = await Promise.all([quotaKeys(), api.quotaDefaults()]);
    res.json(
      quotaSetView(
        param(req, 'target'),
        keys.map((name) => ({ name, limit: defaults[name] ?? -1 })),
      ),
    );
  });

  r.get('/os-quota-sets/:target', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const target = param(req, 'target');
    enforce(ctx, 'volume_extension:quotas:show', target);
    const keys = await quotaKeys();
    if (queryFlag(req.query, 'usage')) {
      const usage = await api.quotaUsage(target);
      res.json(
        quotaSetView(
          target,
          keys.map((name) => ({
            name,
            limit: usage[name]?.limit ?? -1,
            inUse: usage[name]?.inUse ?? 0,
            reserved: usage[name]?.reserved ?? 0,
          })),
          { usage: true },
        ),
      );
      return;
    }
    const limits = await api.quotaSet(target);
    res.json(
      quotaSetView(
        target,
        keys.map((name) => ({ name, limit: limits[name] ?? -1 })),
      ),
    );
  });

  r.put('/os-quota-sets/:target', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const target = param(req, 'target');
    enforce(ctx, 'volume_extension:quotas:update', target);
    const keys = await quotaKeys();
    const limits = validateQuotaSetUpdate(req.body, keys);
    const after = await api.updateQuotaSet(target, limits);
    res.json(
      quotaSetView(
        null,
        keys.map((name) => ({ name, limit: after[name] ?? -1 })),
      ),
    );
  });

  r.delete('/os-quota-sets/:target', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const target = param(req, 'target');
    enforce(ctx, 'volume_extension:quotas:delete', target);
    await api.resetQuotaSet(target);
    emptyAnswer(res, 200);
  });

  r.get('/os-quota-class-sets/:className', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:quota_classes');
    const [keys, limits] = await Promise.all([
      quotaKeys(),
      api.quotas.getClassQuotas(param(req, 'className')),
    ]);
    res.json(
      quotaClassSetView(
        param(req, 'className'),
        keys.map((name) => ({ name, limit: limits[name] ?? -1 })),
      ),
    );
  });

  r.put('/os-quota-class-sets/:className', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:quota_classes');
    const keys = await quotaKeys();
    const body = req.body as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('quota_class_set' in body)) {
      throw new SchemaValidationError("'quota_class_set' is a required property");
    }
    // The same rules as a quota set's body, under the `quota_class_set` key.
    const limits = validateQuotaSetUpdate(
      { quota_set: (body as { quota_class_set: unknown }).quota_class_set },
      keys,
    );
    const after = await api.quotas.setClassLimits(param(req, 'className'), limits);
    res.json({ quota_class_set: Object.fromEntries(keys.map((name) => [name, after[name] ?? -1])) });
  });

  r.get('/limits', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const project = getProjectScope(req, res);
    enforce(ctx, 'limits_extension:used_limits', project);
    const u = await api.quotaUsage(project);
    const pick = (k: string) => ({ limit: u[k]?.limit ?? -1, inUse: u[k]?.inUse ?? 0 });
    res.json(
      limitsView({
        volumes: pick('volumes'),
        snapshots: pick('snapshots'),
        gigabytes: pick('gigabytes'),
        backups: pick('backups'),
        backupGigabytes: pick('backup_gigabytes'),
      }),
    );
  });
}
