/** Volume list query parsing: filters per role, Cinder's metadata literal, all_tenants and with_count. */
import { BadRequestParameterError, InvalidInputError } from '../../../../src/api/errors';
import { ApiVersion } from '../../../../src/api/middleware/microversion';
import { parseMetadataFilter, parseVolumeListQuery } from '../../../../src/api/validation';

const admin = { isAdmin: true, microversion: ApiVersion.parse('3.0') };
const member = { isAdmin: false, microversion: ApiVersion.parse('3.45') };

describe('parseVolumeListQuery', () => {
  it('maps name to display_name and keeps the documented filters', () => {
    const q = parseVolumeListQuery(
      { name: 'vol-named', status: 'available', bootable: 'False', limit: '2' },
      member,
    );

    expect(q.filters).toEqual({ display_name: 'vol-named', status: 'available', bootable: false });
    expect(q.pagination).toMatchObject({ limit: 2, limitGiven: true, marker: null, offset: 0 });
    expect(q.sort).toEqual({ keys: ['created_at'], dirs: ['desc'] });
    expect(q.matchesNothing).toBe(false);
  });

  it("drops a member's unknown filter (refuses it from 3.33) but lets an admin's match nothing, as Cinder", () => {
    const member30 = { ...member, microversion: ApiVersion.parse('3.32') };
    expect(parseVolumeListQuery({ bogus_filter: '1' }, member30)).toMatchObject({
      filters: {},
      matchesNothing: false,
    });
    expect(() => parseVolumeListQuery({ bogus_filter: '1', other: 'x' }, member)).toThrow(
      new BadRequestParameterError(
        'bogus_filter,other',
        'Invalid filters bogus_filter,other are found in query options.',
      ),
    );
    expect(parseVolumeListQuery({ bogus_filter: '1' }, admin)).toMatchObject({ matchesNothing: true });
    expect(parseVolumeListQuery({ host: 'h@b#p' }, admin)).toMatchObject({
      filters: { host: 'h@b#p' },
      matchesNothing: false,
    });
    expect(parseVolumeListQuery({ host: 'h@b#p' }, member30)).toMatchObject({ filters: {} });
  });

  it('honours all_tenants for admins only, and with_count from 3.45', () => {
    expect(parseVolumeListQuery({ all_tenants: '1' }, admin).allTenants).toBe(true);
    expect(parseVolumeListQuery({ all_tenants: '1' }, { ...member, isAdmin: false }).allTenants).toBe(false);
    expect(parseVolumeListQuery({ with_count: 'true' }, member).withCount).toBe(true);
    expect(parseVolumeListQuery({ with_count: 'true' }, admin).withCount).toBe(false);
  });

  it('parses the metadata filter', () => {
    expect(parseVolumeListQuery({ metadata: "{'env':'test'}" }, member).metadata).toEqual({ env: 'test' });
  });

  it('passes pagination and sort errors on', () => {
    expect(() => parseVolumeListQuery({ limit: 'x' }, member)).toThrow(BadRequestParameterError);
    expect(() => parseVolumeListQuery({ sort: 'size:up' }, member)).toThrow(InvalidInputError);
  });
});

describe('parseMetadataFilter', () => {
  it.each<[string, Record<string, string>]>([
    ["{'env':'test'}", { env: 'test' }],
    ["{'env': 'test', 'owner': \"cli\"}", { env: 'test', owner: 'cli' }],
    ['{"a": "b"}', { a: 'b' }],
    ['{}', {}],
    ["{'it\\'s': 'x'}", { "it's": 'x' }],
  ])('parses %s', (text, expected) => {
    expect(parseMetadataFilter(text)).toEqual(expected);
  });

  it.each(['env=test', "{'env': 1}", "{'env'}", "['a']", "{'a': 'b' 'c': 'd'}"])('refuses %s', (text) => {
    expect(() => parseMetadataFilter(text)).toThrow(InvalidInputError);
  });
});
