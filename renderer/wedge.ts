// Keyboard-wedge scanners type the code as keystrokes. People type at 100-300 ms a key and
// unevenly; a scanner types a whole code in a burst at a few ms a key, usually ending with
// Enter. This classifier tells the two apart from key timing alone so the UI can keep a
// scanned code out of whatever form field has focus. Pure (no DOM): wedge-capture.ts feeds
// it the page's key events. It lives in renderer/ because only the page sees the keystrokes.

export interface KeyStroke {
  /** The character typed (one code point), or 'Enter' / 'Tab'. */
  key: string;
  /** Event time in ms (KeyboardEvent.timeStamp). */
  t: number;
}

export interface WedgeOptions {
  /** Fewest characters a scanned code has (a CCCD QR has over 100; 1D codes 8 or more). */
  minLength?: number;
  /** Largest gap between keys of one burst, ms. */
  maxGapMs?: number;
  /** Largest median gap of a burst, ms (scanners: 1-20 ms; fast typists rarely under 60). */
  maxMedianGapMs?: number;
}

type WedgeVerdict = 'scanner' | 'human';

export const WEDGE_DEFAULTS: Required<WedgeOptions> = { minLength: 8, maxGapMs: 50, maxMedianGapMs: 25 };

/** Classifies one burst of keystrokes (without its terminating Enter). */
export function classifyBurst(keys: KeyStroke[], opts: WedgeOptions = {}): WedgeVerdict {
  const o = { ...WEDGE_DEFAULTS, ...opts };
  if (keys.length < o.minLength) return 'human';
  const gaps: number[] = [];
  for (let i = 1; i < keys.length; i++) gaps.push(keys[i]!.t - keys[i - 1]!.t);
  if (gaps.some((g) => g < 0 || g > o.maxGapMs)) return 'human';
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]! <= o.maxMedianGapMs ? 'scanner' : 'human';
}

type WedgeEvent = { kind: 'scan'; text: string } | { kind: 'typed'; keys: KeyStroke[] };

/**
 * Streaming form: keys are held while they could still be a scan and released as typed
 * keys as soon as they cannot (a slow gap), so a person typing sees at most one short
 * delay; a burst ended by Enter (or by silence, via `idle`) becomes one scan.
 */
export class WedgeDetector {
  private held: KeyStroke[] = [];
  private readonly o: Required<WedgeOptions>;

  constructor(opts: WedgeOptions = {}) {
    this.o = { ...WEDGE_DEFAULTS, ...opts };
  }

  key(k: KeyStroke): WedgeEvent[] {
    const out: WedgeEvent[] = [];
    const last = this.held[this.held.length - 1];
    if (last && k.t - last.t > this.o.maxGapMs) out.push(...this.release());
    if (k.key === 'Enter' || k.key === 'Tab') {
      const burst = this.held;
      this.held = [];
      if (burst.length > 0 && classifyBurst(burst, this.o) === 'scanner') out.push({ kind: 'scan', text: burst.map((x) => x.key).join('') });
      else out.push({ kind: 'typed', keys: [...burst, k] });
      return out;
    }
    this.held.push(k);
    return out;
  }

  /** Call when no key came for maxGapMs: a burst without Enter ends here. */
  idle(): WedgeEvent[] {
    return this.release();
  }

  private release(): WedgeEvent[] {
    const burst = this.held;
    this.held = [];
    if (burst.length === 0) return [];
    if (classifyBurst(burst, this.o) === 'scanner') return [{ kind: 'scan', text: burst.map((x) => x.key).join('') }];
    return [{ kind: 'typed', keys: burst }];
  }
}
