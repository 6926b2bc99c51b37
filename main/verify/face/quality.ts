// Quality gates: each turns a measurement into a prompt the person in front of the camera
// (or, for the chip portrait, the clerk) can act on. Limits are set for a 640x480 kiosk camera.
import type { FaceQualityCode, FaceQualityNote } from '../face-result.js';

export const QUALITY_LIMITS = {
  /** Eye-centre distance below which the embedder sees too little detail (ISO/IEC 19794-5 asks 60 for enrolment; 40 still verifies). */
  minInterOcularPx: 40,
  /** Mean luma of the face box. */
  minLuma: 50,
  maxLuma: 200,
  /** Both eyes' lid gap / eye width under this reads as closed. */
  minEyeOpenness: 0.12,
  /** |yaw ratio| above this is a head turned well past 30 degrees. */
  maxYaw: 0.45,
  /** The mesh's own face-presence output. */
  minMeshConfidence: 0.8,
  /** A second face counts when its box is at least this fraction of the main face's width. */
  secondFaceRatio: 0.5,
} as const;

const LIVE: Record<FaceQualityCode, { vi: string; en: string }> = {
  NO_FACE: { vi: 'Không thấy khuôn mặt: hãy đứng trước camera và nhìn thẳng vào ống kính.', en: 'No face found: stand in front of the camera and look straight at it.' },
  SEVERAL_FACES: { vi: 'Có nhiều khuôn mặt trong khung hình: chỉ một người đứng trước camera.', en: 'Several faces in view: only one person in front of the camera, please.' },
  FACE_TOO_SMALL: { vi: 'Khuôn mặt quá nhỏ: hãy tiến lại gần camera hơn.', en: 'Face too small: move closer to the camera.' },
  TOO_DARK: { vi: 'Ảnh quá tối: hãy đứng nơi đủ sáng, không quay lưng về phía cửa sổ.', en: 'Too dark: stand in better light, not with your back to a window.' },
  TOO_BRIGHT: { vi: 'Ảnh quá chói: hãy tránh nguồn sáng chiếu thẳng vào mặt.', en: 'Too bright: avoid a light shining straight at your face.' },
  EYES_CLOSED: { vi: 'Mắt đang nhắm: hãy mở mắt và nhìn vào camera.', en: 'Eyes closed: open your eyes and look at the camera.' },
  LOOK_STRAIGHT: { vi: 'Hãy quay mặt thẳng vào camera.', en: 'Turn your face straight towards the camera.' },
  FACE_UNCLEAR: { vi: 'Khuôn mặt không rõ: bỏ khẩu trang, kính râm hoặc mũ và nhìn vào camera.', en: 'Face not clear: remove mask, sunglasses or hat and look at the camera.' },
};

const DOCUMENT: Partial<Record<FaceQualityCode, { vi: string; en: string }>> = {
  NO_FACE: { vi: 'Không tìm thấy khuôn mặt trong ảnh trên chip: hãy đối chiếu người với thẻ bằng mắt.', en: 'No face found in the chip portrait: compare the person with the card by eye.' },
  SEVERAL_FACES: { vi: 'Ảnh trên chip có nhiều khuôn mặt: hãy đối chiếu người với thẻ bằng mắt.', en: 'The chip portrait shows several faces: compare the person with the card by eye.' },
  FACE_UNCLEAR: { vi: 'Ảnh trên chip không rõ: hãy đối chiếu người với thẻ bằng mắt.', en: 'The chip portrait is not clear enough: compare the person with the card by eye.' },
};

export function note(code: FaceQualityCode, subject: 'live' | 'document', blocking: boolean, value?: number): FaceQualityNote {
  const message = subject === 'document' ? (DOCUMENT[code] ?? DOCUMENT.FACE_UNCLEAR!) : LIVE[code];
  return value === undefined ? { code, subject, blocking, message } : { code, subject, blocking, message, value: Math.round(value * 1000) / 1000 };
}
