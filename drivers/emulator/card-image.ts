// What a software chip serves: the elementary files exactly as on a chip, plus what
// only the chip knows (its access secrets, private keys) and how it behaves.

export interface ChipProfile {
  /** Answers extended-length APDUs and announces it in EF.ATR/INFO. */
  extendedLength: boolean;
  /** Largest plaintext bytes one READ BINARY returns. */
  maxChunk: number;
  /** Largest response APDU (data + SW) with extended length. */
  maxResponse: number;
  bac: boolean;
  pace: boolean;
  /** Some CCCD chips refuse SELECT of the master file (DESIGN.md field quirk). */
  refuseMfSelect: boolean;
}

interface CardSecrets {
  /** Card Access Number, printed on the card (CCCD: last 6 digits of the ID number). */
  can?: string;
  /** PKCS#8 DER of the Active Authentication key (DG15 holds its public half). */
  activeAuthenticationKey?: Uint8Array;
  /** The Chip Authentication private scalar, big-endian (DG14 holds its public half and curve). */
  chipAuthenticationKey?: Uint8Array;
}

export interface CardImage {
  /** Keyed by LDS name: 'EF.COM', 'DG1', 'EF.SOD', 'EF.CardAccess', 'EF.ATR/INFO'. */
  files: Map<string, Uint8Array>;
  secrets: CardSecrets;
  profile: ChipProfile;
}

export const DEFAULT_PROFILE: ChipProfile = {
  extendedLength: false,
  maxChunk: 0x7fff,
  maxResponse: 65538,
  bac: true,
  pace: true,
  refuseMfSelect: false,
};

/** Contactless timing for benchmarks: fixed cost per APDU plus bytes at the bit rate. */
export interface LatencyModel {
  perApduMs: number;
  bitsPerSecond: number;
}

/** ISO/IEC 14443 at 424 kbit/s with a few ms of chip processing per command. */
export const DEFAULT_LATENCY: LatencyModel = { perApduMs: 5, bitsPerSecond: 424_000 };

export function modelledMs(model: LatencyModel, commandBytes: number, responseBytes: number): number {
  // ISO 14443-3 frames each byte as 9 bits plus per-frame SOF/EOF/CRC; ~10 bits a byte.
  return model.perApduMs + ((commandBytes + responseBytes + 4) * 10 * 1000) / model.bitsPerSecond;
}
