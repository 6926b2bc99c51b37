// A fault-injecting TCP proxy that stands for the weak link between a kiosk and the
// ingest server. It models a serial link per direction (bandwidth shared by all
// connections), one-way latency, TCP connection setup (one round trip before the first
// byte), segment loss as TCP would experience it (the lost segment costs its link time
// twice and arrives a round trip late; later segments wait behind it, as in-order delivery
// requires), and faults at the connection level: resets mid-request, responses cut short,
// connections refused. Node built-ins only, so the benchmark can use it too.
import { type Server, type Socket, connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

interface LinkPlan {
  /** Bytes per second in each direction; 0 means unlimited. */
  bandwidthBps: number;
  /** One-way latency (ms); the round trip is twice this. */
  latencyMs: number;
  /** Probability that a segment is lost and retransmitted. */
  lossRate: number;
  /** Probability, per request, that the connection is reset part-way through the upload. */
  resetRate: number;
  /** Probability, per request, that the response is cut after a few bytes. */
  truncateRate: number;
  /** Probability that a new connection is refused (closed at once). */
  refuseRate: number;
  segmentBytes: number;
}

const PERFECT_LINK: LinkPlan = { bandwidthBps: 0, latencyMs: 0, lossRate: 0, resetRate: 0, truncateRate: 0, refuseRate: 0, segmentBytes: 1460 };

interface ProxyStats {
  connections: number;
  requests: number;
  /** Bytes offered by the client / server. */
  upBytes: number;
  downBytes: number;
  /** Bytes that crossed the emulated link, retransmissions included. */
  wireUp: number;
  wireDown: number;
  lostSegments: number;
  resets: number;
  truncations: number;
  refusals: number;
}

interface Link {
  freeAt: number;
}

/** One direction of one connection: segments queued with their delivery times. */
class Pipe {
  private queue: { data: Buffer; at: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastAt = 0;
  closed = false;
  constructor(
    private readonly out: Socket,
    private readonly proxy: FaultProxy,
    private readonly link: Link,
    private readonly dir: 'up' | 'down',
    private readonly readyAt: number,
  ) {}

  push(chunk: Buffer): void {
    const p = this.proxy.plan;
    const seg = Math.max(1, p.segmentBytes);
    for (let off = 0; off < chunk.length; off += seg) {
      const data = chunk.subarray(off, off + seg);
      const now = performance.now();
      const tx = p.bandwidthBps > 0 ? (data.length / p.bandwidthBps) * 1000 : 0;
      const lost = p.lossRate > 0 && this.proxy.random() < p.lossRate;
      const start = Math.max(now, this.link.freeAt, this.readyAt);
      this.link.freeAt = start + (lost ? 2 * tx : tx);
      const wire = lost ? 2 * data.length : data.length;
      if (this.dir === 'up') this.proxy.stats.wireUp += wire;
      else this.proxy.stats.wireDown += wire;
      if (lost) this.proxy.stats.lostSegments++;
      const at = Math.max(this.lastAt, start + tx + p.latencyMs + (lost ? 2 * p.latencyMs + tx : 0));
      this.lastAt = at;
      this.queue.push({ data, at });
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0 || this.closed) return;
    const wait = Math.max(0, this.queue[0]!.at - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = performance.now();
      while (this.queue.length > 0 && this.queue[0]!.at <= now + 0.5 && !this.closed) {
        const { data } = this.queue.shift()!;
        if (!this.out.destroyed) this.out.write(data);
      }
      this.schedule();
    }, wait);
  }

  /** Ends the far side once everything queued has been delivered. */
  endAfterDrain(): void {
    const check = (): void => {
      if (this.queue.length === 0) this.out.end();
      else setTimeout(check, Math.max(1, this.queue[this.queue.length - 1]!.at - performance.now()));
    };
    check();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.queue = [];
  }
}

export class FaultProxy {
  plan: LinkPlan;
  stats: ProxyStats = { connections: 0, requests: 0, upBytes: 0, downBytes: 0, wireUp: 0, wireDown: 0, lostSegments: 0, resets: 0, truncations: 0, refusals: 0 };
  readonly random: () => number;
  private readonly server: Server;
  private readonly up: Link = { freeAt: 0 };
  private readonly down: Link = { freeAt: 0 };
  private readonly sockets = new Set<Socket>();
  port = 0;

  private constructor(
    private targetPort: number,
    plan: Partial<LinkPlan>,
    random: () => number,
    private readonly targetHost: string,
  ) {
    this.plan = { ...PERFECT_LINK, ...plan };
    this.random = random;
    this.server = createServer((client) => this.accept(client));
  }

  static async start(targetPort: number, plan: Partial<LinkPlan> = {}, opts: { random?: () => number; host?: string } = {}): Promise<FaultProxy> {
    const p = new FaultProxy(targetPort, plan, opts.random ?? Math.random, opts.host ?? '127.0.0.1');
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.port = (p.server.address() as AddressInfo).port;
    return p;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  setPlan(plan: Partial<LinkPlan>): void {
    this.plan = { ...this.plan, ...plan };
  }

  setTarget(port: number): void {
    this.targetPort = port;
  }

  resetStats(): void {
    for (const k of Object.keys(this.stats) as (keyof ProxyStats)[]) this.stats[k] = 0;
  }

  private accept(client: Socket): void {
    this.stats.connections++;
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => undefined);
    if (this.plan.refuseRate > 0 && this.random() < this.plan.refuseRate) {
      this.stats.refusals++;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.on('error', () => undefined);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const readyAt = performance.now() + 2 * this.plan.latencyMs;
    const toServer = new Pipe(upstream, this, this.up, 'up', readyAt);
    const toClient = new Pipe(client, this, this.down, 'down', readyAt);
    let responded = true;
    let resetAt = Infinity;
    let truncateAt = Infinity;
    let sentUp = 0;
    let sentDown = 0;
    const kill = (reset: boolean): void => {
      toServer.close();
      toClient.close();
      if (reset) client.resetAndDestroy();
      else client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (responded) {
        // A new request on this connection: roll the dice for its faults.
        responded = false;
        this.stats.requests++;
        // Within the first 400 bytes: every request (headers + a batch) is longer, so a drawn reset always fires.
        resetAt = this.plan.resetRate > 0 && this.random() < this.plan.resetRate ? sentUp + 1 + Math.floor(this.random() * 400) : Infinity;
        // Within the first 60 bytes: any HTTP response is longer, so a drawn truncation always fires.
        truncateAt = this.plan.truncateRate > 0 && this.random() < this.plan.truncateRate ? sentDown + 1 + Math.floor(this.random() * 60) : Infinity;
      }
      this.stats.upBytes += chunk.length;
      if (sentUp + chunk.length >= resetAt) {
        toServer.push(chunk.subarray(0, resetAt - sentUp));
        this.stats.resets++;
        // Let what was sent reach the server, then cut both sides.
        setTimeout(() => kill(true), this.plan.latencyMs + 5);
        resetAt = Infinity;
        return;
      }
      sentUp += chunk.length;
      toServer.push(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      responded = true;
      this.stats.downBytes += chunk.length;
      if (sentDown + chunk.length >= truncateAt) {
        toClient.push(chunk.subarray(0, truncateAt - sentDown));
        this.stats.truncations++;
        toClient.endAfterDrain();
        upstream.destroy();
        truncateAt = Infinity;
        return;
      }
      sentDown += chunk.length;
      toClient.push(chunk);
    });
    client.on('end', () => toServer.endAfterDrain());
    upstream.on('end', () => toClient.endAfterDrain());
    client.on('close', () => {
      toServer.close();
      upstream.destroy();
    });
    // The server went away (restart, crash, truncation): the client sees the connection
    // end once what was already on the link has arrived.
    upstream.on('close', () => toClient.endAfterDrain());
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
