// Hostile clients without the device key, for the abuse test and `bench sync`: connections
// that trickle their headers (slowloris), that announce an 8 MB batch with a forged
// signature and then trickle the body, and that push a body fast after a forged signature.
// Each reconnects when the server closes it, so the pressure holds for as long as it runs.
import { randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';

interface SlowClientsPlan {
  port: number;
  /** A device id the server knows (an attacker learns one from any kiosk). */
  deviceId: string;
  slowHeaders: number;
  slowBodies: number;
  fastBodies: number;
}

interface SlowClients {
  /** Connections opened so far, and answers the server gave them (401s mostly). */
  stats: { connections: number; answers: number; statuses: Record<string, number> };
  stop(): void;
}

function forgedHead(deviceId: string, length: number): string {
  const b64 = (n: number): string => randomBytes(n).toString('base64');
  return (
    `POST /v1/batches HTTP/1.1\r\nHost: ingest\r\nContent-Type: application/vnd.idkiosk.batch\r\nContent-Length: ${length}\r\n` +
    `X-Idk-Device: ${deviceId}\r\nX-Idk-Time: ${Date.now()}\r\nX-Idk-Offset: 0\r\nX-Idk-Body-Sha256: ${b64(32)}\r\nX-Idk-Queue: head=1;oldest=-\r\nX-Idk-Signature: ${b64(64)}\r\n\r\n`
  );
}

export function startSlowClients(p: SlowClientsPlan): SlowClients {
  const stats = { connections: 0, answers: 0, statuses: {} as Record<string, number> };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let running = true;

  const open = (kind: 'headers' | 'slow' | 'fast'): void => {
    if (!running) return;
    stats.connections++;
    const s = connect(p.port, '127.0.0.1');
    sockets.add(s);
    let head = kind === 'headers' ? forgedHead(p.deviceId, 8 * 1024 * 1024) : '';
    const tick = setInterval(
      () => {
        if (s.destroyed || !s.writable) return;
        if (kind === 'headers') {
          // One byte of the headers at a time: they never finish before the server gives up.
          if (head.length > 0) {
            s.write(head.slice(0, 1));
            head = head.slice(1);
          }
        } else s.write(kind === 'slow' ? randomBytes(1) : randomBytes(16 * 1024));
      },
      kind === 'headers' ? 200 : kind === 'slow' ? 1000 : 200,
    );
    timers.add(tick);
    s.on('connect', () => {
      if (kind !== 'headers') s.write(forgedHead(p.deviceId, 8 * 1024 * 1024));
    });
    s.on('data', (d: Buffer) => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'));
      if (m) {
        stats.answers++;
        stats.statuses[m[1]!] = (stats.statuses[m[1]!] ?? 0) + 1;
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearInterval(tick);
      timers.delete(tick);
      sockets.delete(s);
      // Come back half a second later: the attacker keeps its 300 connections up.
      if (running) setTimeout(() => open(kind), 500).unref();
    });
  };
  for (let i = 0; i < p.slowHeaders; i++) open('headers');
  for (let i = 0; i < p.slowBodies; i++) open('slow');
  for (let i = 0; i < p.fastBodies; i++) open('fast');
  return {
    stats,
    stop() {
      running = false;
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
    },
  };
}

/** A process's resident memory in bytes (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}
