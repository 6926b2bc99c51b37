// One complete read of an eMRTD: access control (PACE preferred, BAC as fallback), then
// every data group the chip lists, with progress. Returns the raw files; decoding and
// verification happen above, so a dump and a live read take the same path.
import { StatusError, type Transport } from '../apdu/apdu.js';
import { IdkError, isIdkError } from '../apdu/errors.js';
import { parseAtrInfo } from './atr-info.js';
import { bacTerminal, defaultRandom, mrzInformation, type MrzKey, type Random } from './bac.js';
import { parseEfCom } from './ef-com.js';
import { EF_ATR_INFO, EF_CARD_ACCESS, EF_COM, EF_SOD, EMRTD_AID, type FileInfo, dataGroup } from './files.js';
import { paceTerminal } from './pace.js';
import { type ChunkPolicy, FileNotFound, type Progress, initialPolicy, readFile } from './read-file.js';
import { parseCardAccess } from './security-infos.js';
import { CardSession, type WireStats } from './session.js';

export type AccessKey = { kind: 'mrz'; key: MrzKey } | { kind: 'can'; can: string };

export type AccessMethod = 'BAC' | 'PACE-GM' | 'PACE-IM' | 'PACE-CAM';

/** Data groups read by default: text, face, and what authenticity needs. DG3/DG4 need EAC. */
export const DEFAULT_GROUPS = [1, 2, 11, 12, 13, 14, 15];

export interface ReadDocumentOptions {
  access: AccessKey;
  /** Use PACE when EF.CardAccess offers it (default); false forces BAC. */
  preferPace?: boolean;
  groups?: number[];
  onProgress?: (p: Progress & { done: number; of: number }) => void;
  random?: Random;
  /** Read every file with this many bytes per short READ BINARY, as fixed-chunk readers do (benchmarks). */
  fixedChunk?: number;
}

export interface RawDocument {
  access: AccessMethod;
  files: Map<string, Uint8Array>;
  /** Files the chip lists but refused to give (e.g. DG3 without terminal authentication). */
  refused: string[];
  stats: WireStats;
  chunk: ChunkPolicy;
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
  if (paceInfo && paceInfo.kind === 'pace' && opts.preferPace !== false) {
    const password =
      opts.access.kind === 'can' ? { kind: 'can' as const, can: opts.access.can } : { kind: 'mrz' as const, mrzInfo: mrzInformation(opts.access.key) };
    const result = await paceTerminal((c) => session.send(c), { password, info: paceInfo, random });
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
      const bytes = await readFile(session, f, policy, {
        onProgress: (p) => opts.onProgress?.({ ...p, done: i, of: order.length }),
      });
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
  return { access, files, refused, stats: { ...session.stats }, chunk: policy };
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
