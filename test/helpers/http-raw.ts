/** HTTP requests without fetch's URL normalisation or buffering, for the server's edge cases. */
import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Request body bytes written before the response arrived. */
  sentBeforeResponse: number;
}

/** Sends `path` exactly as given (no '..' resolution) and, optionally, a body of `bodyBytes` in chunks. */
export function rawRequest(
  base: string,
  options: { method?: string; path: string; headers?: Record<string, string>; bodyBytes?: number; chunk?: Buffer },
): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    let sentAtResponse = 0;
    const req = http.request(
      { host: url.hostname, port: url.port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: false },
      (res) => {
        answered = true;
        sentAtResponse = sent;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), sentBeforeResponse: sentAtResponse }));
        res.on('error', reject);
      },
    );
    // The server may answer (413) and close while we are still writing: not a failure.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const total = options.bodyBytes ?? 0;
    const chunk = options.chunk ?? Buffer.alloc(64 * 1024, 0xab);
    const pump = (): void => {
      while (!answered && sent < total) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    if (total > 0) pump();
    else req.end();
  });
}
