// Where the LDS keeps things (Doc 9303 Part 10 §3-4): file identifiers, short EF
// identifiers and the tag that opens each file.

export const EMRTD_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01);

type FileName = 'EF.COM' | 'EF.SOD' | 'EF.CardAccess' | 'EF.ATR/INFO' | `DG${number}`;

export interface FileInfo {
  name: FileName;
  fid: number;
  /** Tag of the file's outer TLV; EF.CardAccess and EF.ATR/INFO have none of their own. */
  tag?: number;
  /** In the eMRTD application (true) or the master file (false). */
  inApplication: boolean;
}

const DG_TAGS: Record<number, number> = {
  1: 0x61, 2: 0x75, 3: 0x63, 4: 0x76, 5: 0x65, 6: 0x66, 7: 0x67, 8: 0x68,
  9: 0x69, 10: 0x6a, 11: 0x6b, 12: 0x6c, 13: 0x6d, 14: 0x6e, 15: 0x6f, 16: 0x70,
};

export function dataGroup(n: number): FileInfo {
  const tag = DG_TAGS[n];
  if (tag === undefined) throw new RangeError(`no data group ${n}`);
  return { name: `DG${n}`, fid: 0x0100 + n, tag, inApplication: true };
}

export const EF_COM: FileInfo = { name: 'EF.COM', fid: 0x011e, tag: 0x60, inApplication: true };
export const EF_SOD: FileInfo = { name: 'EF.SOD', fid: 0x011d, tag: 0x77, inApplication: true };
export const EF_CARD_ACCESS: FileInfo = { name: 'EF.CardAccess', fid: 0x011c, inApplication: false };
export const EF_ATR_INFO: FileInfo = { name: 'EF.ATR/INFO', fid: 0x2f01, inApplication: false };

export function dgNumberForTag(tag: number): number | undefined {
  for (const [n, t] of Object.entries(DG_TAGS)) if (t === tag) return Number(n);
  return undefined;
}

/** Every file a card folder may hold, by its file name in the folder (DESIGN.md). */
export function allFiles(): FileInfo[] {
  const out: FileInfo[] = [EF_COM, EF_SOD, EF_CARD_ACCESS, EF_ATR_INFO];
  for (let n = 1; n <= 16; n++) out.push(dataGroup(n));
  return out;
}

export function fileByName(name: string): FileInfo | undefined {
  return allFiles().find((f) => f.name === name);
}

export function fileByFid(fid: number): FileInfo | undefined {
  return allFiles().find((f) => f.fid === fid);
}

/** Folder file name: `DG1.bin`, `EF.COM.bin`; `/` in EF.ATR/INFO becomes `_`. */
export function folderFileName(f: FileInfo): string {
  return `${f.name.replace('/', '_')}.bin`;
}
