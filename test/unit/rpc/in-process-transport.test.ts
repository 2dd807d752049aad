import { InProcessTransport } from '../../../src/rpc/in-process-transport';
import { MessagingTimeout } from '../../../src/rpc/errors';
import type { RpcMessage } from '../../../src/rpc/transport';
import { message, newTopic, transportContract } from '../../contracts/transport.contract';

transportContract('in-process', async () => new InProcessTransport());

describe('InProcessTransport specifics', () => {
  it('uses the default timeout when the caller gives none', async () => {
    const transport = new InProcessTransport({ defaultTimeoutMs: 50 });
    const topic = newTopic();
    await transport.listen({ topic, server: 'h' }, () => new Promise(() => undefined));

    await expect(transport.call({ topic }, message('slow'))).rejects.toBeInstanceOf(MessagingTimeout);
    await transport.close();
  });

  it('refuses a fanout call and a malformed envelope', async () => {
    const transport = new InProcessTransport();
    const topic = newTopic();
    await transport.listen({ topic, server: 'h' }, async () => 1);

    await expect(transport.call({ topic, fanout: true }, message('m'))).rejects.toThrow('cannot fan out');
    await expect(transport.cast({ topic }, { ...message('m'), envelopeVersion: 2 as 1 })).rejects.toThrow(
      'envelope',
    );
    await expect(transport.cast({ topic: 'a.b' }, message('m'))).rejects.toThrow('invalid topic');
    await transport.close();
  });

  it('fans out an independent JSON copy to each server, and refuses what JSON cannot carry even with no listener', async () => {
    const transport = new InProcessTransport();
    const topic = newTopic();
    const got: RpcMessage[] = [];
    await transport.listen({ topic, server: 'a', fanout: true }, async (m) => void got.push(m));
    await transport.listen({ topic, server: 'b', fanout: true }, async (m) => void got.push(m));
    const sent = message('update', { when: new Date(0), nested: { n: 1 } });

    await transport.cast({ topic, fanout: true }, sent);
    await new Promise((resolve) => setImmediate(resolve));

    expect(got).toHaveLength(2);
    expect(got[0]!.args).toEqual({ when: '1970-01-01T00:00:00.000Z', nested: { n: 1 } });
    expect(got[0]!.args['nested']).not.toBe(got[1]!.args['nested']);
    expect(got[0]!.args['nested']).not.toBe(sent.args['nested']);
    await expect(
      transport.cast({ topic: newTopic(), fanout: true }, message('m', { n: 1n })),
    ).rejects.toThrow('cannot be serialized');
    await transport.close();
  });

  it('hands a message queued for a listener that closed before delivery to another listener', async () => {
    const transport = new InProcessTransport();
    const topic = newTopic();
    const got: string[] = [];
    const a = await transport.listen({ topic, server: 'a' }, async () => void got.push('a'));
    await transport.listen({ topic, server: 'b' }, async () => void got.push('b'));

    const call = transport.call({ topic }, message('m'), { timeoutMs: 1000 }); // round-robin picks a
    await a.close();
    await call;

    expect(got).toEqual(['b']);
    await transport.close();
  });
});
