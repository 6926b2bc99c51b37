// The fingerprint step of a verification: what it reports and stores. It carries the method,
// the score, the threshold it was held against, the decision and quality notes, never the
// image or the template (a template is biometric data: it stays on the sensor or with the
// caller).
import { IdkError, isIdkError } from '../../core/errors.js';
import type { CaptureOptions, R30xSensor } from '../../drivers/fingerprint/r30x-sensor.js';

type FingerprintMethod = 'sensor-1:1-template' | 'sensor-1:1-library' | 'sensor-1:n-library';

/** A quality note the UI turns into a prompt; codes are the drivers' error codes. */
interface QualityNote {
  code: string;
  vi: string;
  en: string;
}

export interface FingerprintResult {
  modality: 'fingerprint';
  method: FingerprintMethod;
  /** The matcher's score on its own scale (the sensor's for on-sensor matching); null when no comparison ran. */
  score: number | null;
  threshold: number;
  /** match / no-match; 'inconclusive' when no usable capture was made (the notes say why). */
  decision: 'match' | 'no-match' | 'inconclusive';
  /** Who scored: e.g. 'R30x on-sensor matcher, security level 3'. */
  matcher: string;
  quality: QualityNote[];
  /** Library page matched (1:N only): an index on the sensor, not biometric data. */
  page?: number;
}

/**
 * R30x modules pass a Match/Search at their own threshold (about 50 at the factory security
 * level 3, per vendor manuals); we hold the score against ours, never lower than the sensor's.
 */
const DEFAULT_SENSOR_THRESHOLD = 50;

/** Capture-quality failures: the step is inconclusive and the person can act on the prompt. */
const QUALITY_CODES = new Set(['FP_NO_FINGER', 'FP_CAPTURE_TIMEOUT', 'FP_IMAGE_FAIL', 'FP_IMAGE_MESSY', 'FP_FEW_FEATURES', 'FP_NO_VALID_IMAGE']);

function note(e: IdkError): QualityNote {
  return { code: e.code, vi: e.messages.vi, en: e.messages.en };
}

function decide(matched: boolean, score: number, threshold: number): 'match' | 'no-match' {
  return matched && score >= threshold ? 'match' : 'no-match';
}

async function run(method: FingerprintMethod, threshold: number, matcher: string, f: () => Promise<{ matched: boolean; score: number; page?: number }>): Promise<FingerprintResult> {
  try {
    const r = await f();
    return { modality: 'fingerprint', method, score: r.score, threshold, decision: decide(r.matched, r.score, threshold), matcher, quality: [], ...(r.page === undefined ? {} : { page: r.page }) };
  } catch (e) {
    // Capture problems are a result (ask again); a broken sensor or link is an error.
    if (isIdkError(e) && QUALITY_CODES.has(e.code)) return { modality: 'fingerprint', method, score: null, threshold, decision: 'inconclusive', matcher, quality: [note(e)] };
    throw e;
  }
}

async function matcherName(sensor: R30xSensor): Promise<string> {
  const p = await sensor.readSysPara();
  return `R30x on-sensor matcher, security level ${p.securityLevel}`;
}

interface StepOptions extends CaptureOptions {
  threshold?: number;
}

/** The live finger against a template (from a card or a database), matched on the sensor. */
export async function verifyFingerAgainstTemplate(sensor: R30xSensor, template: Uint8Array, opts: StepOptions = {}): Promise<FingerprintResult> {
  const threshold = opts.threshold ?? DEFAULT_SENSOR_THRESHOLD;
  return run('sensor-1:1-template', threshold, await matcherName(sensor), () => sensor.verifyTemplate(template, opts));
}

/** The live finger against the model enrolled at `page` on the sensor. */
export async function verifyFingerAgainstPage(sensor: R30xSensor, page: number, opts: StepOptions = {}): Promise<FingerprintResult> {
  const threshold = opts.threshold ?? DEFAULT_SENSOR_THRESHOLD;
  return run('sensor-1:1-library', threshold, await matcherName(sensor), () => sensor.verifyPage(page, opts));
}

/** The live finger searched in the sensor's library. */
export async function identifyFinger(sensor: R30xSensor, opts: StepOptions = {}): Promise<FingerprintResult> {
  const threshold = opts.threshold ?? DEFAULT_SENSOR_THRESHOLD;
  return run('sensor-1:n-library', threshold, await matcherName(sensor), async () => {
    const hit = await sensor.identify(opts);
    return hit ? { matched: true, score: hit.score, page: hit.page } : { matched: false, score: 0 };
  });
}

/** Throws when a result object would leak anything beyond the allowed fields (a guard for the event writer). */
export function assertNoBiometric(r: FingerprintResult): void {
  const allowed = new Set(['modality', 'method', 'score', 'threshold', 'decision', 'matcher', 'quality', 'page']);
  for (const k of Object.keys(r)) {
    if (!allowed.has(k)) throw new IdkError('FP_RESULT_LEAK', { vi: `Kết quả vân tay chứa trường không được phép "${k}".`, en: `The fingerprint result holds a forbidden field "${k}".` });
  }
  for (const v of Object.values(r)) if (v instanceof Uint8Array) throw new IdkError('FP_RESULT_LEAK', { vi: 'Kết quả vân tay chứa dữ liệu sinh trắc.', en: 'The fingerprint result holds biometric bytes.' });
}
