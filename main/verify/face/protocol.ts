// The messages between the UI side and the face worker. Camera JPEGs (or decoded frames) and
// DG2 bytes go in; only a FaceResult (no image, no embedding) comes back.
import type { Messages } from '../../../core/errors.js';
import type { Frame } from '../../../drivers/camera/frame.js';
import type { FaceResult } from '../face-result.js';

export type FaceRequest =
  /**
   * Live picture against the chip portrait (DG2 image bytes: JPEG or JPEG 2000). The live
   * picture is the camera's JPEG as the page sent it, decoded in the worker so main never
   * spends the decode; or an already decoded frame (evaluation, tests).
   */
  | { id: number; op: 'verify'; live: Uint8Array | Frame; document: Uint8Array; threshold?: number }
  /** Loads the models now rather than at the first verification. */
  | { id: number; op: 'warm-up' };

export type FaceResponse =
  /** `threads`: how many threads tfjs runs on (answered to warm-up). */
  | { id: number; ok: true; result?: FaceResult; threads?: number }
  | { id: number; ok: false; error: { code: string; messages: Messages } };
