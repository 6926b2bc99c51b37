// One complete read of an eMRTD: access control (PACE preferred, BAC as fallback), then
// every data group the chip lists, with progress. Returns the raw files; decoding and
// verification happen above, so a dump and a live read take the same path.
import { StatusError, type Transport } from '../apdu/apdu.js';
import { IdkError, isIdkError } from '../../core/errors.js';
import { activeAuthenticate } from './active-auth.js';
import { parseAtrInfo } from './atr-info.js';
import { bacTerminal, defaultRandom, mrzInformation, type MrzKey, type Random } from './bac.js';
import { parseEfCom } from './ef-com.js';
import { EF_ATR_INFO, EF_CARD_ACCESS, EF_COM, EF_SOD, EMRTD_AID, type FileInfo, dataGroup } from './files.js';
import { type AuthCheck, chipAuthenticate } from './chip-auth.js';
import { type PaceResult, paceCurve, paceTerminal, verifyCamData } from './pace.js';
import { type ChunkPolicy, FileNotFound, type Progress, initialPolicy, readFile } from './read-file.js';
import { type PaceInfo, type SecurityInfo, parseCardAccess, parseDg14 } from './security-infos.js';
import { CardSession, type WireStats } from './session.js';

export type AccessKey = { kind: 'mrz'; key: MrzKey } | { kind: 'can'; can: string };

export type AccessMethod = 'BAC' | 'PACE-GM' | 'PACE-IM' | 'PACE-CAM';

/** Data groups read by default: text, face, and what authenticity needs. DG3/DG4 need EAC. */
const DEFAULT_GROUPS = [1, 2, 11, 12, 13, 14, 15];

export interface ReadDocumentOptions {
  access: AccessKey;
  /** Use PACE when EF.CardAccess offers it (default); false forces BAC. */
  preferPace?: boolean;
  groups?: number[];
  onProgress?: (p: Progress & { done: number; of: number }) => void;
  random?: Random;
  /** Read every file with this many bytes per short READ BINARY, as fixed-chunk readers do (benchmarks). */
  fixedChunk?: number;
  /** Run Chip Authentication when DG14 offers it (default true). */
  chipAuthentication?: boolean;
  /** Run Active Authentication when DG15 is present (default true). */
  activeAuthentication?: boolean;
  /** What earlier attempts on this card already read (drivers/emrtd/resume.ts); absent: read everything. */
  journal?: ReadJournal;
}

/** Hooks through which a resumed read reuses, continues and records files (drivers/emrtd/resume.ts). */
export interface ReadJournal {
  /** The whole file from an earlier attempt, when it may be taken without reading it again. */
  reuse(name: string): Uint8Array | undefined;
  /** The first bytes of a file an earlier attempt was reading when the card left. */
  prefix(name: string): Uint8Array | undefined;
  /** Bytes of `name` received so far in this attempt. */
  progress(name: string, soFar: Uint8Array): void;
  /** `name` is complete; throws when it contradicts an earlier attempt (another card). */
  complete(name: string, bytes: Uint8Array): void;
}

export interface RawDocument {
  access: AccessMethod;
  files: Map<string, Uint8Array>;
  /** Files the chip lists but refused to give (e.g. DG3 without terminal authentication). */
  refused: string[];
  stats: WireStats;
  chunk: ChunkPolicy;
  /** Chip Authentication (or PACE-CAM) against DG14's key; absent when not attempted. */
  chipAuthentication?: AuthCheck;
  /** Active Authentication against DG15's key; absent when not attempted. */
  activeAuthentication?: AuthCheck;
}

export function validateCan(can: string): string {
  if (!/^\d{6}$/.test(can)) {
    throw new IdkError('BAD_ACCESS_KEY', {
      vi: 'CAN phải gồm đúng 6 chữ số (in trên mặt thẻ; với CCCD là 6 số cuối của số định danh).',
      en: 'The CAN must be exactly 6 digits (printed on the card; for a CCCD, the last 6 digits of the ID number).',
    });
  }
  return can;
}

function canNeedsPace(): IdkError {
  return new IdkError('PACE_REQUIRED', {
    vi: 'Thẻ này không hỗ trợ PACE nên không mở được bằng CAN: hãy dùng MRZ (số giấy tờ, ngày sinh, ngày hết hạn).',
    en: 'This chip does not offer PACE, so the CAN cannot open it: use the MRZ (document number, birth and expiry dates).',
  });
}

/** A file that does not exist is not an error; anything else is. */
async function optional<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof FileNotFound) return undefined;
    throw e;
  }
}

export async function readDocument(transport: Transport, opts: ReadDocumentOptions): Promise<RawDocument> {
  const session = new CardSession(transport);
  const random = opts.random ?? defaultRandom;
  const files = new Map<string, Uint8Array>();
  if (opts.access.kind === 'can') validateCan(opts.access.can);
  if (opts.access.kind === 'mrz') mrzInformation(opts.access.key);

  // Free-read files of the master file first: the PACE offer and the chip's buffer sizes.
  const plainPolicy = initialPolicy(session, undefined);
  const cardAccess = await optional(() => readFile(session, EF_CARD_ACCESS, plainPolicy));
  if (cardAccess) files.set(EF_CARD_ACCESS.name, cardAccess);
  const atrInfo = await optional(() => readFile(session, EF_ATR_INFO, plainPolicy, { unframed: true }));
  if (atrInfo) files.set(EF_ATR_INFO.name, atrInfo);
  const extended = atrInfo ? parseAtrInfo(atrInfo).extendedLength : undefined;

  const paceInfo = cardAccess ? parseCardAccess(cardAccess).find((i) => i.kind === 'pace') : undefined;
  let access: AccessMethod;
  let pace: PaceResult | undefined;
  if (paceInfo && paceInfo.kind === 'pace' && opts.preferPace !== false) {
    const password =
      opts.access.kind === 'can' ? { kind: 'can' as const, can: opts.access.can } : { kind: 'mrz' as const, mrzInfo: mrzInformation(opts.access.key) };
    const result = await paceTerminal((c) => session.send(c), { password, info: paceInfo, random });
    pace = result;
    session.sm = result.sm;
    access = `PACE-${result.mapping}`;
    await selectApplication(session);
  } else {
    if (opts.access.kind !== 'mrz') throw canNeedsPace();
    await selectApplication(session);
    session.sm = await bacTerminal((c) => session.send(c), opts.access.key, random);
    access = 'BAC';
  }

  const policy = opts.fixedChunk ? { chunk: opts.fixedChunk, extended: false } : initialPolicy(session, extended);
  const com = await readFile(session, EF_COM, policy);
  opts.journal?.complete(EF_COM.name, com);
  files.set(EF_COM.name, com);
  const listed = parseEfCom(com).dataGroups;
  const wanted = (opts.groups ?? DEFAULT_GROUPS).filter((n) => listed.includes(n));
  // Text first so a person sees the name while the photo streams; the photo, the largest, last.
  const order: FileInfo[] = [
    ...wanted.filter((n) => n !== 2).map(dataGroup),
    EF_SOD,
    ...(wanted.includes(2) ? [dataGroup(2)] : []),
  ];
  const refused: string[] = [];
  for (const [i, f] of order.entries()) {
    try {
      const reused = opts.journal?.reuse(f.name);
      if (reused) {
        files.set(f.name, reused);
        continue;
      }
      const bytes = await readFile(session, f, policy, {
        onProgress: (p) => opts.onProgress?.({ ...p, done: i, of: order.length }),
        prefix: opts.journal?.prefix(f.name),
        onChunk: opts.journal && ((b) => opts.journal!.progress(f.name, b)),
      });
      opts.journal?.complete(f.name, bytes);
      files.set(f.name, bytes);
    } catch (e) {
      if (e instanceof FileNotFound) continue;
      if (isIdkError(e, 'CARD_STATUS') && (e.detail?.sw === '6982' || e.detail?.sw === '6985')) {
        refused.push(f.name);
        continue;
      }
      throw e;
    }
  }
  const doc: RawDocument = { access, files, refused, stats: { ...session.stats }, chunk: policy };
  await antiCloning(session, doc, { ...opts, random, pace, paceInfo: paceInfo?.kind === 'pace' ? paceInfo : undefined });
  doc.stats = { ...session.stats };
  return doc;
}

/**
 * Active Authentication first, then Chip Authentication: CA switches the session's keys,
 * so a chip that fails it leaves no usable session, and AA must not depend on that.
 */
async function antiCloning(
  session: CardSession,
  doc: RawDocument,
  opts: ReadDocumentOptions & { random: Random; pace?: PaceResult; paceInfo?: PaceInfo },
): Promise<void> {
  const dg14 = doc.files.get('DG14');
  const dg15 = doc.files.get('DG15');
  let infos: SecurityInfo[] | undefined;
  let dg14Problem: string | undefined;
  if (dg14) {
    try {
      infos = parseDg14(dg14);
    } catch (e) {
      if (!isIdkError(e)) throw e;
      dg14Problem = `DG14 unreadable: ${e.messages.en}`;
    }
  }
  if (dg15 && opts.activeAuthentication !== false) {
    doc.activeAuthentication = await activeAuthenticate(session, dg15, infos, { random: opts.random });
  }
  if (opts.chipAuthentication === false || !dg14) return;
  if (!infos) {
    doc.chipAuthentication = { outcome: 'invalid', reason: dg14Problem };
    return;
  }
  if (opts.pace?.cam && opts.paceInfo) {
    doc.chipAuthentication = camCheck(opts.pace, opts.paceInfo, infos);
    return;
  }
  doc.chipAuthentication = await chipAuthenticate(session, infos, { random: opts.random });
}

/** PACE-CAM already carried the chip's proof (Part 11 §4.4.3.5.2): check it against DG14's key. */
function camCheck(pace: PaceResult, info: PaceInfo, infos: SecurityInfo[]): AuthCheck {
  const curve = paceCurve(info.parameterId);
  const keys = infos.filter((i) => i.kind === 'chip-authentication-public-key');
  for (const k of keys) {
    try {
      if (verifyCamData(curve, pace.cam!.chipAuthenticationData, pace.cam!.mappingPublicKey, k.publicKey)) return { outcome: 'valid', protocol: pace.cardAccessOid };
    } catch {
      // A key on another curve cannot be the CAM key; try the next.
    }
  }
  return { outcome: 'invalid', reason: 'the PACE-CAM proof does not match the DG14 chip authentication key', protocol: pace.cardAccessOid };
}

export async function selectApplication(session: CardSession): Promise<void> {
  const r = await session.send({ cla: 0, ins: 0xa4, p1: 0x04, p2: 0x0c, data: EMRTD_AID });
  if (r.sw === 0x6a82) {
    throw new IdkError('NOT_AN_EMRTD', {
      vi: 'Thẻ này không phải CCCD gắn chip hay hộ chiếu điện tử (không có ứng dụng ICAO).',
      en: 'This card is not a chip ID card or e-passport (no ICAO application).',
    });
  }
  if (r.sw !== 0x9000) throw new StatusError(r.sw, 'SELECT eMRTD application');
}
