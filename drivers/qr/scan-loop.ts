// The camera scanning loop's decisions, with no I/O and no timers of its own: which frames
// to decode and which to drop so the UI stays responsive, when to report a code (once, not
// at 30 fps), and when to show a hint. The renderer feeds it frames from getUserMedia and
// runs the decode in a worker; Node tests and the benchmark feed it directly.
import { type DecodedCode, type QualityHint, type RgbaFrame, BarcodeDecoder, frameStats, luminance, motion, qualityHints } from './decode.js';

interface ScanLoopOptions {
  /** Share of one core the decoder may use on average (0-1); the rest is the UI's. */
  maxDuty?: number;
  /** The same text is reported again only after this long without seeing it. */
  repeatAfterMs?: number;
  /** A hint must persist this long before it is shown, so it does not flicker. */
  hintAfterMs?: number;
  now?: () => number;
}

type ScanEvent = { kind: 'code'; code: DecodedCode } | { kind: 'hints'; hints: QualityHint[] };

interface ScanDecoder {
  decode(frame: RgbaFrame): { code: DecodedCode | null; hints: QualityHint[] };
}

/** The decoder the loop uses by default: zxing, then frame statistics when nothing decodes. */
export class FrameDecoder implements ScanDecoder {
  private readonly barcodes = new BarcodeDecoder();
  private previous: Uint8ClampedArray | undefined;

  decode(frame: RgbaFrame): { code: DecodedCode | null; hints: QualityHint[] } {
    const lum = luminance(frame);
    const prev = this.previous;
    this.previous = lum;
    const code = this.barcodes.decodeLuminance(lum, frame.width, frame.height);
    if (code) return { code, hints: [] };
    return { code: null, hints: qualityHints(frameStats(lum, frame.width, frame.height), prev ? motion(prev, lum) : undefined) };
  }
}

interface LoopStats {
  offered: number;
  decoded: number;
  skipped: number;
  /** Mean decode time over the last frames, ms. */
  meanDecodeMs: number;
}

export class ScanLoop {
  private readonly maxDuty: number;
  private readonly repeatAfterMs: number;
  private readonly hintAfterMs: number;
  private readonly now: () => number;
  private busy = false;
  private nextAllowed = 0;
  private meanMs = 0;
  private lastText: string | undefined;
  private lastSeen = -Infinity;
  private hintKey = '';
  private hintSince = 0;
  private hintShown = '';
  readonly stats: LoopStats = { offered: 0, decoded: 0, skipped: 0, meanDecodeMs: 0 };

  constructor(
    private readonly decoder: ScanDecoder = new FrameDecoder(),
    opts: ScanLoopOptions = {},
  ) {
    this.maxDuty = opts.maxDuty ?? 0.5;
    this.repeatAfterMs = opts.repeatAfterMs ?? 3000;
    this.hintAfterMs = opts.hintAfterMs ?? 600;
    this.now = opts.now ?? (() => performance.now());
  }

  /**
   * Should this frame be decoded? False while a decode runs (a worker still busy) or while
   * the duty budget says rest: after a decode of d ms the loop waits d*(1/duty - 1) ms, so a
   * slow machine skips frames instead of queueing them and the UI never stalls.
   */
  wants(): boolean {
    this.stats.offered++;
    if (this.busy || this.now() < this.nextAllowed) {
      this.stats.skipped++;
      return false;
    }
    return true;
  }

  /** Record one decode's outcome (timed by the caller between `begin` and this call). */
  begin(): number {
    this.busy = true;
    return this.now();
  }

  finish(startedAt: number, result: { code: DecodedCode | null; hints: QualityHint[] }): ScanEvent[] {
    const t = this.now();
    const ms = Math.max(0, t - startedAt);
    this.busy = false;
    this.stats.decoded++;
    this.meanMs = this.stats.decoded === 1 ? ms : this.meanMs * 0.8 + ms * 0.2;
    this.stats.meanDecodeMs = this.meanMs;
    this.nextAllowed = t + ms * (1 / this.maxDuty - 1);
    const events: ScanEvent[] = [];
    if (result.code) {
      const again = result.code.text !== this.lastText || t - this.lastSeen > this.repeatAfterMs;
      this.lastText = result.code.text;
      this.lastSeen = t;
      this.hintKey = this.hintShown = '';
      if (again) events.push({ kind: 'code', code: result.code });
      return events;
    }
    const key = result.hints.join(',');
    if (key !== this.hintKey) {
      this.hintKey = key;
      this.hintSince = t;
    }
    if (key !== this.hintShown && t - this.hintSince >= this.hintAfterMs) {
      this.hintShown = key;
      events.push({ kind: 'hints', hints: result.hints });
    }
    return events;
  }

  /** Offer a frame and decode it synchronously when wanted (Node, tests, benchmark). */
  offer(frame: RgbaFrame): ScanEvent[] {
    if (!this.wants()) return [];
    const started = this.begin();
    let result;
    try {
      result = this.decoder.decode(frame);
    } catch (e) {
      this.busy = false;
      throw e;
    }
    return this.finish(started, result);
  }
}
