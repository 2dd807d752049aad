/** Volume types (list, show, create, update, delete) and their extra specs (`cinder type-key`). */
import { type Router } from 'express';
import { getRequestContext } from '../../context';
import { enforce } from '../../policy';
import {
  validateVolumeTypeCreate,
  validateVolumeTypeUpdate,
  validateExtraSpecsCreate,
  validateExtraSpecsItem,
} from '../../validation';
import { VolumeTypeExtraSpecsNotFoundError } from '../../../volume/errors';
import { visibleExtraSpecs, volumeTypeCreatedView, volumeTypeList, volumeTypeShowView } from '../../views';
import type { VolumeAPI } from '../../../volume/api';
import { typeView, emptyAnswer, param } from './route-helpers';

export function typeRoutes(r: Router, api: VolumeAPI): void {
  r.get('/types', async (req, res) => {
    const ctx = getRequestContext(req, res);
    res.json(volumeTypeList((await api.listTypes(ctx)).map(typeView), ctx));
  });
  r.get('/types/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    res.json(volumeTypeShowView(typeView(await api.getType(ctx, param(req, 'id'))), ctx));
  });
  r.post('/types', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:type_create');
    const t = validateVolumeTypeCreate(req.body);
    res.json(volumeTypeCreatedView(typeView(await api.createType(t))));
  });
  r.delete('/types/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:type_delete');
    await api.deleteType(param(req, 'id'));
    emptyAnswer(res, 202);
  });
  r.put('/types/:id', async (req, res) => {
    const ctx = getRequestContext(req, res);
    // Cinder's order: the schema, the policy, then the checks on the values.
    const upd = validateVolumeTypeUpdate(req.body, () => enforce(ctx, 'volume_extension:type_update'));
    res.json(volumeTypeShowView(typeView(await api.updateType(param(req, 'id'), upd)), ctx));
  });

  r.get('/types/:id/extra_specs', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:types_extra_specs:index');
    const t = await api.getTypeById(ctx, param(req, 'id'));
    res.json({ extra_specs: visibleExtraSpecs(ctx, t.extra_specs) });
  });
  // Cinder answers the create and the update with the request's own body.
  r.post('/types/:id/extra_specs', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const specs = validateExtraSpecsCreate(req.body);
    enforce(ctx, 'volume_extension:types_extra_specs:create');
    await api.setTypeExtraSpecs(param(req, 'id'), specs);
    res.json({ extra_specs: specs });
  });
  r.get('/types/:id/extra_specs/:key', async (req, res) => {
    const ctx = getRequestContext(req, res);
    enforce(ctx, 'volume_extension:types_extra_specs:show');
    const key = param(req, 'key');
    const specs = visibleExtraSpecs(ctx, (await api.getTypeById(ctx, param(req, 'id'))).extra_specs);
    if (!Object.prototype.hasOwnProperty.call(specs, key))
      throw new VolumeTypeExtraSpecsNotFoundError(param(req, 'id'), key);
    res.json({ [key]: specs[key] ?? null });
  });
  r.put('/types/:id/extra_specs/:key', async (req, res) => {
    const ctx = getRequestContext(req, res);
    const item = validateExtraSpecsItem(req.body);
    enforce(ctx, 'volume_extension:types_extra_specs:update');
    await api.setTypeExtraSpecs(param(req, 'id'), item, param(req, 'key'));
    res.json(item);
  });
  r.delete('/types/:id/extra_specs/:key', async (req, res) => {
    const ctx = getRequestContext(req, res);
    // Cinder's order: the type (404), the policy (403), then the in-use check and the key.
    await api.getTypeById(ctx, param(req, 'id'));
    enforce(ctx, 'volume_extension:types_extra_specs:delete');
    await api.deleteTypeExtraSpec(param(req, 'id'), param(req, 'key'));
    emptyAnswer(res, 202, 'serialized');
  });
}
