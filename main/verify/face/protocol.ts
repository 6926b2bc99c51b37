// The messages between the UI side and the face worker. Frames and DG2 bytes go in; only a
// FaceResult (no image, no embedding) comes back.
import type { Messages } from '../../../core/errors.js';
import type { Frame } from '../../../drivers/camera/frame.js';
import type { FaceResult } from '../face-result.js';

export type FaceRequest =
  /** Live frame against the chip portrait (DG2 image bytes: JPEG or JPEG 2000). */
  | { id: number; op: 'verify'; live: Frame; document: Uint8Array; threshold?: number }
  /** Loads the models now rather than at the first verification. */
  | { id: number; op: 'warm-up' };

export type FaceResponse =
  | { id: number; ok: true; result?: FaceResult }
  | { id: number; ok: false; error: { code: string; messages: Messages } };
