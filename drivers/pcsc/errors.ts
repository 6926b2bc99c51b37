// Every PC/SC failure a clerk can meet, as an IdkError with a stable code and text in
// Vietnamese and English that says what to do. The binding reports failures as bare
// pcsc-lite messages ("Card was removed"), so the mapping goes by message text.
import { IdkError } from '../../core/errors.js';

/** How far a read got when it stopped: what the clerk is told and what resume continues from. */
interface ReadProgress {
  /** Files read completely. */
  files?: string[];
  /** The file being read when the card left, and how much of it had arrived. */
  file?: string;
  bytes?: number;
  total?: number;
  apdus?: number;
}

function pcscdNotRunning(cause?: unknown): IdkError {
  return new IdkError(
    'PCSCD_NOT_RUNNING',
    {
      vi: 'Dịch vụ đầu đọc thẻ (pcscd) không chạy: hãy khởi động nó bằng "systemctl start pcscd.socket" (hoặc chạy "pcscd"), rồi thử lại.',
      en: 'The smart-card service (pcscd) is not running: start it with "systemctl start pcscd.socket" (or run "pcscd"), then try again.',
    },
    { cause, detail: { start: ['systemctl start pcscd.socket', 'pcscd'] } },
  );
}

export function libraryMissing(cause?: unknown): IdkError {
  return new IdkError(
    'PCSC_LIBRARY_MISSING',
    {
      vi: 'Thiếu thư viện PC/SC trên máy này: cài gói "pcscd" và "libpcsclite1" (Debian/Ubuntu), rồi thử lại.',
      en: 'The PC/SC library is missing on this machine: install the "pcscd" and "libpcsclite1" packages (Debian/Ubuntu), then try again.',
    },
    { cause },
  );
}

/**
 * The Node binding (npm `smartcard`) is not built: its build needs the PC/SC headers, which a
 * machine without libpcsclite-dev lacks, so `npm ci` left it out (docs/readers.md). One line
 * naming the system package and the command that builds it again.
 */
export function bindingMissing(rebuild: string, cause?: unknown): IdkError {
  return new IdkError(
    'PCSC_BINDING_MISSING',
    {
      vi: `Chưa dựng thành phần PC/SC cho Node (gói npm "smartcard"), nên chưa đọc được đầu đọc thẻ: cài gói "libpcsclite-dev" và "pcscd" (apt-get install libpcsclite-dev pcscd), rồi chạy "${rebuild}" trong thư mục idkiosk.`,
      en: `The PC/SC binding for Node (npm package "smartcard") is not built, so no card reader can be used: install the "libpcsclite-dev" and "pcscd" packages (apt-get install libpcsclite-dev pcscd), then run "${rebuild}" in the idkiosk folder.`,
    },
    { cause, detail: { packages: ['libpcsclite-dev', 'pcscd'], rebuild } },
  );
}

function readerList(readers: string[]): { vi: string; en: string } {
  if (readers.length === 0) return { vi: '', en: '' };
  const list = readers.map((r) => `"${r}"`).join(', ');
  return { vi: ` Đầu đọc hiện có: ${list}.`, en: ` Readers present: ${list}.` };
}

export function noReader(wanted?: string, readers: string[] = []): IdkError {
  const l = readerList(readers);
  if (wanted !== undefined) {
    return new IdkError(
      'NO_READER',
      {
        vi: `Không thấy đầu đọc "${wanted}": kiểm tra dây cắm USB và tên đầu đọc (idkiosk readers).${l.vi}`,
        en: `Reader "${wanted}" not found: check its USB cable and the reader name (idkiosk readers).${l.en}`,
      },
      { detail: { wanted, readers } },
    );
  }
  return new IdkError(
    'NO_READER',
    {
      vi: 'Không có đầu đọc thẻ nào được kết nối: cắm đầu đọc vào cổng USB rồi thử lại.',
      en: 'No card reader is connected: plug the reader into a USB port and try again.',
    },
    { detail: { readers } },
  );
}

export function readerUnplugged(reader: string, progress?: ReadProgress): IdkError {
  return new IdkError(
    'READER_UNPLUGGED',
    {
      vi: `Đầu đọc "${reader}" bị rút ra hoặc mất kết nối: cắm lại rồi đọc lại thẻ.`,
      en: `Reader "${reader}" was unplugged or lost its connection: plug it in again and read the card again.`,
    },
    { detail: { reader, ...progress } },
  );
}

function readerBusy(reader: string): IdkError {
  return new IdkError(
    'READER_BUSY',
    {
      vi: `Một chương trình khác đang dùng đầu đọc "${reader}": đóng chương trình đó (hoặc chờ nó đọc xong) rồi thử lại.`,
      en: `Another program is using reader "${reader}": close it (or wait until it finishes) and try again.`,
    },
    { detail: { reader } },
  );
}

export function noCard(reader: string, readers: string[] = []): IdkError {
  const l = readerList(readers);
  return new IdkError(
    'NO_CARD',
    {
      vi: `Chưa có thẻ trên đầu đọc "${reader}": đặt thẻ lên đầu đọc và giữ yên.${l.vi}`,
      en: `No card on reader "${reader}": place the card on the reader and hold it still.${l.en}`,
    },
    { detail: { reader, readers } },
  );
}

function progressText(p: ReadProgress | undefined): { vi: string; en: string } {
  if (!p) return { vi: '', en: '' };
  const parts = { vi: [] as string[], en: [] as string[] };
  if (p.files && p.files.length > 0) {
    parts.vi.push(`đã đọc xong ${p.files.length} tệp (${p.files.join(', ')})`);
    parts.en.push(`${p.files.length} files read (${p.files.join(', ')})`);
  }
  if (p.file !== undefined && p.bytes !== undefined) {
    const of = p.total !== undefined ? `/${p.total}` : '';
    parts.vi.push(`${p.file} dừng ở ${p.bytes}${of} byte`);
    parts.en.push(`${p.file} stopped at ${p.bytes}${of} bytes`);
  }
  if (parts.en.length === 0) return { vi: '', en: '' };
  return { vi: ` (${parts.vi.join('; ')})`, en: ` (${parts.en.join('; ')})` };
}

/** Same code as the software chip's removal, so a clerk sees one message whatever the reader. */
export function cardRemovedDuringRead(progress?: ReadProgress, cause?: unknown): IdkError {
  const t = progressText(progress);
  return new IdkError(
    'CARD_REMOVED',
    {
      vi: `Thẻ bị nhấc ra khi đang đọc${t.vi}: hãy đặt lại thẻ lên đầu đọc và giữ yên.`,
      en: `The card was removed during reading${t.en}: place it on the reader again and hold it still.`,
    },
    { cause, detail: { ...progress } },
  );
}

function cardReset(reader: string): IdkError {
  return new IdkError(
    'CARD_RESET',
    {
      vi: `Thẻ trên đầu đọc "${reader}" vừa bị khởi động lại (do chương trình khác hoặc do đầu đọc): hãy đọc lại.`,
      en: `The card on reader "${reader}" was reset (by another program or by the reader): read it again.`,
    },
    { detail: { reader } },
  );
}

export function cardMute(reader: string, why: string): IdkError {
  return new IdkError(
    'CARD_MUTE',
    {
      vi: `Thẻ trên đầu đọc "${reader}" không trả lời: nhấc thẻ ra, đặt lại ngay giữa đầu đọc và giữ yên; nếu vẫn lỗi, chip có thể bị hỏng.`,
      en: `The card on reader "${reader}" does not answer: lift it, place it again in the middle of the reader and hold it still; if this persists the chip may be damaged.`,
    },
    { detail: { reader, why } },
  );
}

export function unsupportedCard(reader: string, why: string): IdkError {
  return new IdkError(
    'UNSUPPORTED_CARD',
    {
      vi: `Thẻ trên đầu đọc "${reader}" không phải loại đọc được (không phải CCCD gắn chip hay hộ chiếu điện tử, hoặc đặt sai mặt).`,
      en: `The card on reader "${reader}" cannot be read here (not a chip ID card or e-passport, or placed the wrong way).`,
    },
    { detail: { reader, why } },
  );
}

function otherFailure(message: string, cause: unknown): IdkError {
  return new IdkError(
    'PCSC_FAILURE',
    {
      vi: `Lỗi đầu đọc thẻ (${message}): rút và cắm lại đầu đọc; nếu vẫn lỗi, khởi động lại dịch vụ pcscd.`,
      en: `Card reader failure (${message}): unplug and plug the reader in again; if this persists, restart the pcscd service.`,
    },
    { cause, detail: { message } },
  );
}

/** Where the failure happened, for the message and the detail. */
interface FailureContext {
  reader?: string;
  readers?: string[];
  progress?: ReadProgress;
}

/** pcsc-lite's messages (as the binding words them) to our codes. */
export function pcscError(e: unknown, ctx: FailureContext = {}): IdkError {
  if (e instanceof IdkError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const reader = ctx.reader ?? '?';
  switch (message) {
    case 'PC/SC service not running':
    case 'PC/SC service stopped':
      return pcscdNotRunning(e);
    case 'No readers available':
      return noReader(ctx.reader, ctx.readers);
    case 'Unknown reader':
    case 'Reader unavailable':
      return ctx.progress ? readerUnplugged(reader, ctx.progress) : noReader(ctx.reader, ctx.readers);
    case 'No smart card present':
      return noCard(reader, ctx.readers);
    case 'Card was removed':
      return cardRemovedDuringRead(ctx.progress, e);
    case 'Card was reset':
      return cardReset(reader);
    case 'Card is unresponsive':
    case 'Card is unpowered':
    case 'Operation timed out':
      return cardMute(reader, message);
    case 'Card is not supported':
    case 'Invalid ATR':
    case 'Protocol mismatch':
    case 'Unknown card type':
      return unsupportedCard(reader, message);
    case 'Sharing violation':
      return readerBusy(reader);
    default:
      return otherFailure(message, e);
  }
}
