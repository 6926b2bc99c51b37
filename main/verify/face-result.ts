// What a face check leaves behind: enough to audit the decision (method, matcher, score,
// threshold, decision, quality notes, whether liveness was checked) and nothing from which
// a face could be rebuilt: no image, no landmarks, no embedding.
import type { Messages } from '../../core/errors.js';

type FaceDecision =
  /** Same person: score at or above the threshold. */
  | 'match'
  /** Different person: score below the threshold. */
  | 'no-match'
  /** The live capture was not usable; the notes say what the person should do. */
  | 'retry'
  /** The chip portrait was not usable; the clerk checks the holder by eye. */
  | 'not-compared';

export type FaceQualityCode =
  | 'NO_FACE'
  | 'SEVERAL_FACES'
  | 'FACE_TOO_SMALL'
  | 'TOO_DARK'
  | 'TOO_BRIGHT'
  | 'EYES_CLOSED'
  | 'LOOK_STRAIGHT'
  | 'FACE_UNCLEAR';

export interface FaceQualityNote {
  code: FaceQualityCode;
  /** Which image the note is about. */
  subject: 'live' | 'document';
  /** True when the note stopped the comparison. */
  blocking: boolean;
  /** A prompt the person (live) or the clerk (document) can act on. */
  message: Messages;
  /** The measured value behind the note (pixels, luma, ratio), for tuning; never image data. */
  value?: number;
}

export interface FaceResult {
  method: 'face';
  /** Which models decided, so a stored event stays interpretable after an upgrade. */
  matcher: string;
  /** Cosine similarity of the two embeddings (-1..1, higher = more alike); null when not compared. */
  score: number | null;
  threshold: number;
  decision: FaceDecision;
  quality: FaceQualityNote[];
  liveness: { checked: false; message: Messages };
  /** Wall time of the live side (detect, mesh, align, embed) and the comparison, in ms. */
  ms: number;
}

export const NO_LIVENESS: FaceResult['liveness'] = {
  checked: false,
  message: {
    vi: 'Chưa kiểm tra người thật (chống giả mạo bằng ảnh): nhân viên cần quan sát trực tiếp người xuất trình thẻ.',
    en: 'No liveness check was made (a photo held to the camera is not detected): staff must watch the person presenting the card.',
  },
};
