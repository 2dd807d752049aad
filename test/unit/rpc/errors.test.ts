import {
  deserializeRemoteError,
  MessagingTimeout,
  RemoteError,
  registerRemoteErrorClass,
  serializeRemoteError,
} from '../../../src/rpc/errors';

class WidgetNotFoundError extends Error {
  readonly code = 'WIDGET_NOT_FOUND';
  constructor(readonly widgetId: string) {
    super(`widget ${widgetId} not found`);
    this.name = 'WidgetNotFoundError';
  }
}
registerRemoteErrorClass(WidgetNotFoundError);

class NeverRegisteredError extends Error {
  constructor(readonly detail: { a: number }) {
    super('boom');
    this.name = 'NeverRegisteredError';
  }
}

describe('remote error mapping', () => {
  it('re-raises a registered class with the remote message, code and fields', () => {
    const wire = JSON.parse(JSON.stringify(serializeRemoteError(new WidgetNotFoundError('w-1'))));

    const err = deserializeRemoteError(wire);

    expect(err).toBeInstanceOf(WidgetNotFoundError);
    expect(err).toMatchObject({
      name: 'WidgetNotFoundError',
      message: 'widget w-1 not found',
      widgetId: 'w-1',
      code: 'WIDGET_NOT_FOUND',
    });
    expect((err as unknown as { remoteTraceback: string }).remoteTraceback).toContain('widget w-1 not found');
  });

  it('falls back to RemoteError naming the unknown class', () => {
    const wire = serializeRemoteError(new NeverRegisteredError({ a: 1 }));

    const err = deserializeRemoteError(wire);

    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({
      remoteName: 'NeverRegisteredError',
      remoteMessage: 'boom',
      remoteFields: { detail: { a: 1 } },
    });
    expect(err.message).toContain('NeverRegisteredError');
  });

  it('keeps the first remote class name when a RemoteError is relayed', () => {
    const relayed = deserializeRemoteError(
      serializeRemoteError(deserializeRemoteError(serializeRemoteError(new NeverRegisteredError({ a: 2 })))),
    );

    expect(relayed).toMatchObject({ remoteName: 'NeverRegisteredError', remoteMessage: 'boom' });
  });

  it('serializes non-Error throws and drops fields that do not survive JSON', () => {
    const e = new Error('x') as Error & { fn?: () => void; big?: bigint; ok?: number };
    e.fn = () => undefined;
    e.big = 1n;
    e.ok = 3;

    expect(serializeRemoteError('plain string')).toMatchObject({ name: 'Error', message: 'plain string' });
    expect(serializeRemoteError({ a: 1 })).toMatchObject({ message: '{"a":1}' });
    expect(serializeRemoteError(e).fields).toEqual({ ok: 3 });
  });

  it('re-raises MessagingTimeout from a nested call with its fields', () => {
    const err = deserializeRemoteError(
      serializeRemoteError(new MessagingTimeout('volume', 'create_volume', 50)),
    );

    expect(err).toBeInstanceOf(MessagingTimeout);
    expect(err).toMatchObject({
      topic: 'volume',
      method: 'create_volume',
      timeoutMs: 50,
      code: 'MESSAGING_TIMEOUT',
    });
    expect(err.message).toContain("'create_volume'");
    expect(err.message).toContain("'volume'");
  });

  it('refuses a second class under a taken name', () => {
    class Other extends Error {}
    expect(() => registerRemoteErrorClass(Other, 'WidgetNotFoundError')).toThrow(TypeError);
    expect(() => registerRemoteErrorClass(WidgetNotFoundError)).not.toThrow();
  });
});
