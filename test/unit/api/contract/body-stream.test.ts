/** Streamed (chunked) bodies: the size limit holds without a Content-Length, and small ones parse. */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { PROJECT, contractApp } from './contract-app';

let server: Server;
let port: number;

beforeAll(async () => {
  server = contractApp().listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function postChunked(chunks: readonly string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/v3/${PROJECT}/volumes`,
        headers: {
          'X-Auth-Token': `admin:${PROJECT}`,
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Transfer-Encoding': 'chunked',
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('chunked request bodies', () => {
  it('refuses a chunked body over 114688 bytes with the webob 413', async () => {
    const big = `{"volume": {"size": 1, "metadata": {"k": "${'v'.repeat(130000)}"}}}`;

    const res = await postChunked([big.slice(0, 60000), big.slice(60000)]);

    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({
      message: 'Request is too large. Larger than max_request_body_size (114688).<br /><br />\n\n\n',
      code: '413 Request Entity Too Large',
      title: 'Request Entity Too Large',
    });
  });

  it('parses a small chunked body', async () => {
    const res = await postChunked(['{"volume": ', '{"size": 2}}']);

    expect(res.status).toBe(202);
    expect((JSON.parse(res.body) as { volume: { size: number } }).volume.size).toBe(2);
  });

  it('answers an empty chunked body with the specific 400', async () => {
    const res = await postChunked([]);

    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      badRequest: {
        code: 400,
        message: 'The request body is empty; POST on this resource requires a JSON body.',
      },
    });
  });
});
