// Every failure a clerk can meet is a value with a stable code and a message in
// Vietnamese and English; `message` is the English text so logs and stack traces stay
// readable, and the UI picks the language it needs.

export type Lang = 'vi' | 'en';

export interface Messages {
  vi: string;
  en: string;
}

export class IdkError extends Error {
  override readonly name = 'IdkError';
  constructor(
    readonly code: string,
    readonly messages: Messages,
    options?: { cause?: unknown; detail?: Record<string, unknown> },
  ) {
    super(messages.en, options?.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options?.detail;
  }
  readonly detail: Record<string, unknown> | undefined;

  text(lang: Lang): string {
    return this.messages[lang];
  }
}

export function isIdkError(e: unknown, code?: string): e is IdkError {
  return e instanceof IdkError && (code === undefined || e.code === code);
}

/** Malformed bytes from a chip or file: one code for the whole family, the detail says where. */
export function malformed(what: string, detail?: Record<string, unknown>): IdkError {
  return new IdkError(
    'MALFORMED_DATA',
    {
      vi: `Dữ liệu trên chip không hợp lệ (${what}): thẻ có thể bị hỏng hoặc giả mạo.`,
      en: `The chip returned malformed data (${what}): the card may be damaged or forged.`,
    },
    detail === undefined ? undefined : { detail },
  );
}
