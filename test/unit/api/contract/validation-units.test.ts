/** Validation building blocks: Python reprs, error classes and their fields, the microversion parser. */
import {
  InvalidAPIVersionHeaderError,
  InvalidAPIVersionString,
  InvalidGlobalAPIVersion,
  InvalidInputError,
  MalformedRequestUrlError,
  PolicyNotAuthorizedError,
  SchemaValidationError,
} from '../../../../src/api/errors';
import { ApiVersion, negotiateVersion } from '../../../../src/api/middleware/microversion';
import { parseNoAuthToken } from '../../../../src/api/middleware/noauth';
import { enforce, isAllowed, resolveProjectScope } from '../../../../src/api/policy';
import { isUuidLike, pyRepr, validateVolumeCreate } from '../../../../src/api/validation';
import { pyIntFromStr, pyNumber } from '../../../../src/api/validation/pyrepr';

describe('Python reprs', () => {
  it.each<[unknown, string]>([
    [{ size: 1, foo: 'bar' }, "{'size': 1, 'foo': 'bar'}"],
    [[1, true, false, null], '[1, True, False, None]'],
    ["it's", '"it\'s"'],
    ['a"b\'c', "'a\"b\\'c'"],
    ['line\nnext\x00', "'line\\nnext\\x00'"],
    [1.5, '1.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [2 ** 64, '18446744073709551616'],
    [1.5e-5, '1.5e-05'],
    ['é', "'é'"],
  ])('repr(%j) is %s', (value, expected) => {
    expect(pyRepr(value)).toBe(expected);
  });

  it('formats floats as Python does around the exponent switch', () => {
    expect(pyNumber(123456.789)).toBe('123456.789');
    expect(pyNumber(1.25e-7)).toBe('1.25e-07');
    expect(pyNumber(0.0001)).toBe('0.0001');
  });

  it('parses integers as int(str(x)) does', () => {
    expect(pyIntFromStr(' 42 ')).toBe(42);
    expect(pyIntFromStr('1_000')).toBe(1000);
    expect(pyIntFromStr('-3')).toBe(-3);
    expect(pyIntFromStr('1.5')).toBeNull();
    expect(pyIntFromStr(true)).toBeNull();
    expect(pyIntFromStr(null)).toBeNull();
  });
});

describe('validation errors carry fields', () => {
  const v30 = ApiVersion.parse('3.0');

  it('names the field of a schema failure', () => {
    expect(() => validateVolumeCreate({ volume: { size: 0 } }, v30)).toThrow(SchemaValidationError);
    try {
      validateVolumeCreate({ volume: { size: 0 } }, v30);
    } catch (e) {
      expect(e).toMatchObject({
        code: 'SCHEMA_VALIDATION_FAILED',
        field: 'size',
        name: 'SchemaValidationError',
      });
    }
  });

  it('raises InvalidInputError with its reason for a name too long', () => {
    expect(() => validateVolumeCreate({ volume: { size: 1, name: 'x'.repeat(300) } }, v30)).toThrow(
      InvalidInputError,
    );
    try {
      validateVolumeCreate({ volume: { size: 1, name: 'x'.repeat(300) } }, v30);
    } catch (e) {
      expect(e).toMatchObject({ reason: 'name has 300 characters, more than 255.' });
    }
  });

  it('counts code points, not UTF-16 units, against maxLength', () => {
    const emoji255 = '😀'.repeat(255);

    expect(validateVolumeCreate({ volume: { size: 1, name: emoji255 } }, v30).name).toBe(emoji255);
  });

  it('inherits the size when a source is named', () => {
    const r = validateVolumeCreate({ volume: { snapshot_id: 'c9ea7a6a-2455-4acb-b562-895fb2ea5df2' } }, v30);

    expect(r).toMatchObject({
      size: null,
      snapshotId: 'c9ea7a6a-2455-4acb-b562-895fb2ea5df2',
      volumeType: null,
      metadata: {},
    });
  });

  it('reads backup_id only from 3.47 and group_id only from 3.13', () => {
    const body = { volume: { size: 1, backup_id: 'c9ea7a6a-2455-4acb-b562-895fb2ea5df2', group_id: 'g' } };

    expect(validateVolumeCreate(body, v30)).toMatchObject({ backupId: null, groupId: null });
    expect(validateVolumeCreate(body, ApiVersion.parse('3.47'))).toMatchObject({
      backupId: 'c9ea7a6a-2455-4acb-b562-895fb2ea5df2',
      groupId: 'g',
    });
  });

  it('accepts uuids the way oslo does (braces, urn, no hyphens, any case)', () => {
    expect(isUuidLike('C9EA7A6A-2455-4ACB-B562-895FB2EA5DF2')).toBe(true);
    expect(isUuidLike('{c9ea7a6a24554acbb562895fb2ea5df2}')).toBe(true);
    expect(isUuidLike('urn:uuid:c9ea7a6a-2455-4acb-b562-895fb2ea5df2')).toBe(true);
    expect(isUuidLike('c9ea7a6a-2455-4acb-b562-895fb2ea5df')).toBe(false);
  });
});

describe('microversion parsing', () => {
  it('parses, compares and prints versions', () => {
    expect(ApiVersion.parse('3.53').atLeast('3.9')).toBe(true);
    expect(ApiVersion.parse('3.9').atLeast('3.53')).toBe(false);
    expect(ApiVersion.parse('3.0').toString()).toBe('3.0');
  });

  it('raises errors with fields', () => {
    expect(() => negotiateVersion('volume 03.1')).toThrow(InvalidAPIVersionString);
    expect(() => negotiateVersion('volume 3.99')).toThrow(
      expect.objectContaining({ requested: '3.99', maxVersion: '3.70' }) as Error,
    );
    expect(() => negotiateVersion('volume 3.99')).toThrow(InvalidGlobalAPIVersion);
    expect(() => negotiateVersion('identity 3.0')).toThrow(InvalidAPIVersionHeaderError);
    expect(negotiateVersion('VOLUME 3.5').toString()).toBe('3.5');
  });
});

describe('policy', () => {
  const member = { isAdmin: false, projectId: 'p1' };
  const admin = { isAdmin: true, projectId: 'p1' };

  it('keeps members to their own project and admin-only actions to admins', () => {
    expect(isAllowed(member, 'volume:get', 'p1')).toBe(true);
    expect(isAllowed(member, 'volume:get', 'p2')).toBe(false);
    expect(isAllowed(admin, 'volume:get', 'p2')).toBe(true);
    expect(() => enforce(member, 'volume_extension:services:index')).toThrow(PolicyNotAuthorizedError);
    expect(() => enforce(admin, 'volume_extension:services:index')).not.toThrow();
  });

  it('resolves the project of a URL', () => {
    expect(resolveProjectScope(member, undefined)).toBe('p1');
    expect(resolveProjectScope(admin, 'p2')).toBe('p2');
    expect(() => resolveProjectScope(member, 'p2')).toThrow(MalformedRequestUrlError);
  });

  it('parses noauth tokens', () => {
    expect(parseNoAuthToken('admin:p1')).toEqual({
      userId: 'admin',
      projectId: 'p1',
      isAdmin: true,
      roles: ['admin', 'member', 'reader'],
    });
    expect(parseNoAuthToken('alice')).toMatchObject({ userId: 'alice', projectId: 'alice', isAdmin: false });
    expect(parseNoAuthToken('ops:p9', ['ops'])).toMatchObject({ isAdmin: true });
  });
});
