import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who acted when the proxy's front takes no token: not the credential the
 * client sends the upstream (never written to the trail), but a short
 * fingerprint of it, enough to tell principals apart.
 */
export function fingerprint(authorization: string | undefined): string | null {
  if (!authorization) return null;
  return `credential:${createHash('sha256').update(authorization, 'utf8').digest('hex').slice(0, 12)}`;
}

/** The whole body, or 'too large' as soon as it passes `maxBytes` (the rest is never read). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too large'> {
  if (Number(req.headers['content-length']) > maxBytes) return Promise.resolve('too large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        return resolve('too large');
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
