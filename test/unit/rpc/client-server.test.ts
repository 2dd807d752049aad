import { RpcClient } from '../../../src/rpc/client';
import { RequestContext } from '../../../src/rpc/context';
import {
  InvalidRpcMessageError,
  MessagingTimeout,
  NoSuchMethodError,
  UnsupportedVersionError,
} from '../../../src/rpc/errors';
import { InProcessTransport } from '../../../src/rpc/in-process-transport';
import {
  IncompatibleObjectVersionError,
  ObjectRegistry,
  VersionedObjectSerializer,
  type VersionedObjectPrimitive,
} from '../../../src/rpc/serializer';
import { markRpcBoundary, RpcServer } from '../../../src/rpc/server';
import { waitFor } from '../../contracts/transport.contract';

class BaseApi {
  internal(): string {
    return 'must not be reachable';
  }
}
markRpcBoundary(BaseApi.prototype);

class VolumeApi extends BaseApi {
  readonly rpcApiVersion = '3.2';
  readonly calls: Array<{ method: string; ctx: RequestContext; args: Record<string, unknown> }> = [];
  constructor(readonly host: string) {
    super();
  }
  async create_volume(
    ctx: RequestContext,
    args: Record<string, unknown>,
  ): Promise<{ host: string; id: unknown }> {
    this.calls.push({ method: 'create_volume', ctx, args });
    return { host: this.host, id: args['volumeId'] };
  }
  whoami(ctx: RequestContext): Record<string, unknown> {
    return { ...ctx.toDict() };
  }
  fail(): never {
    throw new RangeError('size out of range');
  }
  _private(): string {
    return 'secret';
  }
}

class ExtraApi {
  readonly rpcApiVersion = '1.0';
  ping(): string {
    return 'pong';
  }
}

describe('RpcClient and RpcServer', () => {
  let transport: InProcessTransport;
  const ctx = new RequestContext({
    userId: 'u1',
    projectId: 'p1',
    roles: ['member', 'reader'],
    requestId: 'req-abc',
  });

  beforeEach(() => {
    transport = new InProcessTransport();
  });
  afterEach(async () => {
    await transport.close();
  });

  async function serve(host: string, ...endpoints: object[]): Promise<RpcServer> {
    const server = new RpcServer(transport, { topic: 'volume', server: host }, endpoints);
    await server.start();
    return server;
  }

  it('dispatches a call to the endpoint method with the context and args', async () => {
    const api = new VolumeApi('h1');
    await serve('h1', api);
    const client = new RpcClient(transport, { topic: 'volume' }, { version: '3.0' });

    const result = await client.call(ctx, 'create_volume', { volumeId: 'v-1', sizeGb: 1 });

    expect(result).toEqual({ host: 'h1', id: 'v-1' });
    expect(api.calls[0]!.args).toEqual({ volumeId: 'v-1', sizeGb: 1 });
    expect(api.calls[0]!.ctx).toBeInstanceOf(RequestContext);
    expect(api.calls[0]!.ctx.toDict()).toEqual(ctx.toDict());
  });

  it('carries request id, user, project, roles and admin flag across', async () => {
    await serve('h1', new VolumeApi('h1'));
    const client = new RpcClient(transport, { topic: 'volume' }, { version: '3.2' });

    const seen = await client.call(ctx.elevated(), 'whoami');

    expect(seen).toMatchObject({ requestId: 'req-abc', userId: 'u1', projectId: 'p1', isAdmin: true });
    expect((seen as { roles: string[] }).roles.sort()).toEqual(['admin', 'member', 'reader']);
  });

  it('accepts an older minor version and refuses a newer minor or another major', async () => {
    await serve('h1', new VolumeApi('h1'));
    const client = new RpcClient(transport, { topic: 'volume' });

    await expect(client.prepare({ version: '3.1' }).call(ctx, 'whoami')).resolves.toBeDefined();
    await expect(client.prepare({ version: '3.3' }).call(ctx, 'whoami')).rejects.toBeInstanceOf(
      UnsupportedVersionError,
    );
    await expect(client.prepare({ version: '2.0' }).call(ctx, 'whoami')).rejects.toMatchObject({
      requestedVersion: '2.0',
      serverVersion: '3.2',
      method: 'whoami',
    });
  });

  it('picks the endpoint that has the method at a compatible version', async () => {
    await serve('h1', new VolumeApi('h1'), new ExtraApi());

    await expect(
      new RpcClient(transport, { topic: 'volume' }, { version: '1.0' }).call(ctx, 'ping'),
    ).resolves.toBe('pong');
    await expect(
      new RpcClient(transport, { topic: 'volume' }, { version: '3.0' }).call(ctx, 'ping'),
    ).rejects.toBeInstanceOf(UnsupportedVersionError);
  });

  it('refuses unknown, private, builtin and base-class methods with NoSuchMethodError', async () => {
    await serve('h1', new VolumeApi('h1'));
    const client = new RpcClient(transport, { topic: 'volume' }, { version: '3.0' });

    for (const method of [
      'nope',
      '_private',
      'constructor',
      'toString',
      'hasOwnProperty',
      'internal',
      'calls',
      'host',
    ]) {
      await expect(client.call(ctx, method)).rejects.toBeInstanceOf(NoSuchMethodError);
    }
  });

  it('re-raises the remote error to the caller', async () => {
    await serve('h1', new VolumeApi('h1'));
    const client = new RpcClient(transport, { topic: 'volume' }, { version: '3.0' });

    await expect(client.call(ctx, 'fail')).rejects.toMatchObject({
      remoteName: 'RangeError',
      remoteMessage: 'size out of range',
    });
  });

  it('routes prepare({server}) to that host and prepare({fanout}) to all', async () => {
    const a = new VolumeApi('a');
    const b = new VolumeApi('b');
    await serve('a', a);
    await serve('b', b);
    const client = new RpcClient(transport, { topic: 'volume' }, { version: '3.0' });

    const r = await client.prepare({ server: 'b' }).call(ctx, 'create_volume', { volumeId: 'x' });
    await client.prepare({ fanout: true }).cast(ctx, 'create_volume', { volumeId: 'all' });
    await waitFor(() => a.calls.length === 1 && b.calls.length === 2);

    expect(r).toEqual({ host: 'b', id: 'x' });
    expect(a.calls.map((c) => c.args['volumeId'])).toEqual(['all']);
    expect(client.target).toEqual({ topic: 'volume', version: '3.0' });
    await expect(client.prepare({ fanout: true }).call(ctx, 'whoami')).rejects.toBeInstanceOf(
      InvalidRpcMessageError,
    );
  });

  it('applies the prepared timeout', async () => {
    class Slow {
      hang(): Promise<never> {
        return new Promise(() => undefined);
      }
    }
    const server = new RpcServer(transport, { topic: 'slow', server: 'h' }, [new Slow()]);
    await server.start();

    const err = await new RpcClient(transport, { topic: 'slow' })
      .prepare({ timeoutMs: 60 })
      .call(ctx, 'hang')
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(MessagingTimeout);
    expect(err).toMatchObject({ topic: 'slow', method: 'hang', timeoutMs: 60 });
  });

  it('stops serving after stop() and cannot be restarted', async () => {
    const server = await serve('h1', new VolumeApi('h1'));
    const client = new RpcClient(transport, { topic: 'volume' }, { version: '3.0' });

    await server.stop();
    await server.stop();

    await expect(client.call(ctx, 'whoami')).rejects.toThrow('no server listens');
    await expect(server.start()).rejects.toThrow('stopped');
  });

  it('checks versions and canSendVersion against the cap', () => {
    expect(() => new RpcClient(transport, { topic: 't' }, { version: '3' })).toThrow(InvalidRpcMessageError);
    const client = new RpcClient(transport, { topic: 't' }, { version: '3.0', versionCap: '3.4' });

    expect(client.canSendVersion('3.4')).toBe(true);
    expect(client.canSendVersion('3.5')).toBe(false);
    expect(client.canSendVersion('4.0')).toBe(false);
  });

  it('rejects a malformed context from the wire', () => {
    expect(() => RequestContext.fromDict({ roles: 'admin' })).toThrow(InvalidRpcMessageError);
    expect(() => RequestContext.fromDict({ isAdmin: 'yes' })).toThrow(InvalidRpcMessageError);
    expect(RequestContext.fromDict({}).requestId).toMatch(/^req-[0-9a-f-]{36}$/);
  });
});

describe('VersionedObjectSerializer across RPC', () => {
  class Widget {
    constructor(
      readonly id: string,
      readonly size: number,
    ) {}
    toPrimitive(): VersionedObjectPrimitive {
      return { 'obj.name': 'Widget', 'obj.version': '1.2', 'obj.data': { id: this.id, size: this.size } };
    }
  }

  it('sends objects with type name and version and rebuilds them on both sides', async () => {
    const registry = new ObjectRegistry();
    registry.register('Widget', {
      version: '1.3',
      fromPrimitive: (p) => new Widget(String(p['obj.data']['id']), Number(p['obj.data']['size'])),
    });
    const serializer = new VersionedObjectSerializer(registry);
    const transport = new InProcessTransport();
    let received: unknown;
    const server = new RpcServer(
      transport,
      { topic: 'objs', server: 'h' },
      [
        {
          grow(_ctx: RequestContext, args: Record<string, unknown>): Widget {
            received = args['widget'];
            const w = args['widget'] as Widget;
            return new Widget(w.id, w.size + 1);
          },
        },
      ],
      { serializer },
    );
    await server.start();
    const client = new RpcClient(transport, { topic: 'objs' }, { serializer });

    const result = await client.call(new RequestContext(), 'grow', { widget: new Widget('w1', 1) });

    expect(received).toBeInstanceOf(Widget);
    expect(result).toBeInstanceOf(Widget);
    expect(result).toEqual(new Widget('w1', 2));
    await transport.close();
  });

  it('refuses an unknown type or a newer version', () => {
    const registry = new ObjectRegistry();
    registry.register('Widget', { version: '1.1', fromPrimitive: () => ({}) });
    const s = new VersionedObjectSerializer(registry);
    const ctx = new RequestContext();

    expect(() =>
      s.deserializeEntity(ctx, { 'obj.name': 'Gadget', 'obj.version': '1.0', 'obj.data': {} }),
    ).toThrow(IncompatibleObjectVersionError);
    expect(() =>
      s.deserializeEntity(ctx, [{ 'obj.name': 'Widget', 'obj.version': '1.2', 'obj.data': {} }]),
    ).toThrow('newer than');
    expect(
      s.deserializeEntity(ctx, { a: [{ 'obj.name': 'Widget', 'obj.version': '1.0', 'obj.data': {} }] }),
    ).toEqual({ a: [{}] });
  });
});
