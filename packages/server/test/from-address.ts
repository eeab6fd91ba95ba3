import { request } from 'node:http';

/** A JSON POST sent from a chosen loopback address (127.0.0.0/8), so tests can play many clients. */
export function postFrom(
  url: string,
  path: string,
  body: unknown,
  localAddress: string,
): Promise<{ status: number; body: unknown; retryAfter: string | undefined }> {
  const target = new URL(path, url);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const h = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? undefined : (JSON.parse(text) as unknown),
            retryAfter: typeof h === 'string' ? h : undefined,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
