// UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, then randomness. Ids sort by time,
// which keeps the store's id index append-mostly. Within one millisecond the 12-bit
// rand_a field is a counter (RFC 9562 §6.2, method 1) so ids from one process stay ordered.
import { randomBytes } from './platform-crypto.js';

let lastMs = -1;
let counter = 0;

export function uuidv7(now: number = Date.now()): string {
  const b = randomBytes(16);
  let ms = Math.max(0, Math.floor(now));
  if (ms <= lastMs) {
    counter++;
    if (counter > 0xfff) {
      // Counter exhausted: borrow the next millisecond rather than break the order.
      lastMs++;
      counter = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    counter = b[6]! & 0x07; // a random start that leaves room to count
  }
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = 0x70 | ((counter >> 8) & 0x0f);
  b[7] = counter & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function uuidv7Time(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
