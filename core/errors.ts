// Every failure a clerk can meet is a value with a stable code and a message in
// Vietnamese and English; `message` is the English text so logs and stack traces stay
// readable, and the UI picks the language it needs.

import { type ErrorCode, isErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';
export type Lang = 'vi' | 'en';

export interface Messages {
  vi: string;
  en: string;
}

export class IdkError extends Error {
  override readonly name = 'IdkError';
  constructor(
    readonly code: ErrorCode,
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

export function isIdkError(e: unknown, code?: ErrorCode): e is IdkError {
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

/** The command line is wrong: one line the user can act on. */
export function usageError(en: string, vi: string): IdkError {
  return new IdkError('BAD_ARGUMENTS', { vi, en });
}

/**
 * An error that crossed a boundary as data (a worker thread, the wire): its code when this
 * version knows it, else INTERNAL with the foreign code kept in the detail.
 */
export function errorFromData(e: { code: string; messages: Messages }): IdkError {
  return isErrorCode(e.code) ? new IdkError(e.code, e.messages) : new IdkError('INTERNAL', e.messages, { detail: { code: e.code } });
}

/** An error as data (a code and both messages), for the API and the screen; anything unexpected is INTERNAL. */
interface ErrorData {
  code: string;
  messages: Messages;
}

export function errorData(e: unknown): ErrorData {
  if (isIdkError(e)) return { code: e.code, messages: { ...e.messages } };
  return {
    code: 'INTERNAL',
    messages: {
      vi: 'Lỗi không mong đợi trong phần mềm: hãy thử lại; nếu lặp lại, báo cho bộ phận kỹ thuật.',
      en: 'Unexpected software error: try again; if it repeats, tell technical support.',
    },
  };
}
