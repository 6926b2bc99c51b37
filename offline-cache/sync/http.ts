// One HTTP exchange with a deadline, for the sync client. Every way a weak link can fail
// (refused, reset, hung up mid-response, stalled) becomes a rejected promise.
import { type Agent, request } from 'node:http';

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export function httpExchange(
  url: string,
  opts: { method: string; headers?: Record<string, string>; body?: Uint8Array; timeoutMs: number; agent?: Agent },
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err: Error | null, reply?: HttpReply): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(reply!);
    };
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body) headers['content-length'] = String(opts.body.length);
    const req = request(url, { method: opts.method, headers, agent: opts.agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        if (!res.complete) return finish(new Error('response truncated'));
        finish(null, { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString('utf8') });
      });
      res.on('aborted', () => finish(new Error('response aborted')));
      res.on('error', (e) => finish(e));
      res.on('close', () => {
        if (!res.complete) finish(new Error('response truncated'));
      });
    });
    const timer = setTimeout(() => finish(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('error', (e) => finish(e));
    req.end(opts.body);
  });
}
