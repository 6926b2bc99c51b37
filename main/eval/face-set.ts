// The face evaluation set, built only from pictures that ship inside npm packages (never
// scraped people, never real cards): the demo photos of @vladmandic/face-api and the
// face-match screenshot of @vladmandic/human. Each face becomes a 640x480 "live" frame and a
// chip-like portrait (240x320, JPEG 2000 at about 15 KB inside a JP2 file, decoded back).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { cropFrame, type Frame, placeOnCanvas, type Rect, resizeFrame } from '../../drivers/camera/frame.js';
import { decodeImage } from '../../drivers/camera/image.js';
import { decodeJpeg } from '../../drivers/camera/jpeg.js';
import { encodeJpeg2000, wrapJp2 } from '../../drivers/camera/jpeg2000.js';
import type { FaceNetworks } from '../verify/face/networks.js';

export interface EvalFace {
  /** Stable name: source image and face number. */
  id: string;
  /** Identity label; faces of one person share it. */
  person: string;
  live: Frame;
  /** The JP2 bytes as a chip would hold them, and their decode. */
  chipBytes: Uint8Array;
  chip: Frame;
}

function packageFile(pkg: string, file: string): string {
  const require = createRequire(import.meta.url);
  for (const base of require.resolve.paths(pkg) ?? []) {
    const p = join(base, pkg, file);
    if (existsSync(p)) return p;
  }
  throw new Error(`${pkg}/${file} not installed`);
}

const FACE_API_SAMPLES = [1, 2, 3, 4, 5, 6].map((i) => `demo/sample${i}.jpg`);
const FACEMATCH_SCREENSHOT = 'assets/screenshot-facematch.jpg';
const FACEDETECT_SCREENSHOT = 'assets/screenshot-facedetect.jpg';
const FACEID_SCREENSHOT = 'assets/screenshot-faceid.jpg';

/**
 * More faces that ship in the same package, added for the held-out evaluation (issue 14).
 * Labels were set by eye *before* any of them was scored:
 * - human's face-detect screenshot shows five face crops from one group photo (its
 *   `group-4.jpg`): the man is the face-match screenshot's selected man (same face and
 *   shirt), the four women are four different people (one photo) not seen elsewhere in the set;
 * - human's faceid screenshot: one man from a webcam, taken as a person of his own.
 * Looked at and not used: human's `samples.jpg` and face-api's `screenshot-images.png` /
 * `screenshot-webcam.png` (faces drawn over with boxes and mesh points, or ~15 px wide), the
 * other 99 tiles of the face-match screenshot (cut from the same group photos, identities
 * unknown, so duplicates would count as false matches), `screenshot-vrm.jpg` (an avatar).
 */
const EXTRA_FACES: { id: string; person: string; file: string; rect: Rect }[] = [
  ...[8, 165, 322, 479, 634].map((x, i) => ({ id: `facedetect-${i + 1}`, person: i === 0 ? 'facematch-man' : `facedetect-${i + 1}`, file: FACEDETECT_SCREENSHOT, rect: { x, y: 346, width: 148, height: 150 } })),
  { id: 'faceid-1', person: 'faceid-man', file: FACEID_SCREENSHOT, rect: { x: 15, y: 142, width: 138, height: 139 } },
];

/**
 * The first row of "extracted faces" in human's face-match screenshot: nine crops the
 * screenshot itself ranks as the selected person (similarity 100% .. 64.9%), which we checked
 * by eye to be one man. Tiles are 102 px squares on a 107 px pitch; the lower 18 px carry
 * the screenshot's caption and are left out.
 */
const FACEMATCH_TILES: Rect[] = Array.from({ length: 9 }, (_, i) => ({ x: 107 * i + 2, y: 285, width: 100, height: 84 }));

export function loadPackageImage(pkg: '@vladmandic/face-api' | '@vladmandic/human', file: string): Frame {
  return decodeJpeg(new Uint8Array(readFileSync(packageFile(pkg, file))));
}

/** About 15 KB for a 240x320 RGB portrait, as on CCCD and passport chips. */
const CHIP_J2K_RATIO = 15;

async function chipPortrait(source: Frame, face: Rect): Promise<{ bytes: Uint8Array; frame: Frame }> {
  // ICAO 9303 full-frontal proportions: head about half the width, a little above centre.
  const w = face.width * 2;
  const h = (w * 4) / 3;
  const cx = face.x + face.width / 2;
  const cy = face.y + face.height * 0.45;
  const framed = placeOnCanvas(cropFrame(source, { x: Math.max(0, cx - w / 2), y: Math.max(0, cy - h / 2), width: w, height: h }), Math.round(w), Math.round(h), 0, 0, [200, 200, 200]);
  const small = resizeFrame(framed, 240, 320);
  const bytes = wrapJp2(await encodeJpeg2000(small, CHIP_J2K_RATIO), 240, 320, 3);
  return { bytes, frame: await decodeImage(bytes) };
}

/** The face, about 200 px wide, in the middle of a 640x480 frame as a kiosk camera sees it. */
function liveFrame(source: Frame, face: Rect): Frame {
  const side = face.width * 2.2;
  const crop = cropFrame(source, { x: face.x + face.width / 2 - side / 2, y: face.y + face.height / 2 - side / 2, width: side, height: side });
  const scale = 440 / side;
  const resized = resizeFrame(crop, Math.round(crop.width * scale), Math.round(crop.height * scale));
  return placeOnCanvas(resized, 640, 480, Math.round(320 - resized.width / 2), Math.round(240 - resized.height / 2), [90, 90, 90]);
}

/**
 * Faces in different demo photos that look, by eye, like one person (found when the first
 * run put them at the top of the impostor scores): labelled together rather than counted
 * as a false match. Uncertain labels are the set's main weakness; docs/face.md says so.
 */
const SAME_PERSON: Record<string, string> = { 'sample3-2': 'sample1-3' };

/** The evaluation set and the extra faces above: what the held-out evaluation splits. */
export async function buildWideSet(nets: FaceNetworks): Promise<EvalFace[]> {
  const out = await buildEvalSet(nets);
  for (const e of EXTRA_FACES) {
    // A tight photo crop: pad it as the face-match tiles are, then take the face BlazeFace finds.
    const t = cropFrame(loadPackageImage('@vladmandic/human', e.file), e.rect);
    const padded = placeOnCanvas(t, t.width * 2, t.height * 2, Math.round(t.width / 2), Math.round(t.height / 2), [90, 90, 90]);
    const face = nets.detect(padded, 0.6).reduce<Rect | undefined>((a, d) => (!a || d.width * d.height > a.width * a.height ? d : a), undefined);
    if (!face) throw new Error(`${e.id}: no face found in ${e.file}`);
    const chip = await chipPortrait(padded, face);
    out.push({ id: e.id, person: e.person, live: liveFrame(padded, face), chipBytes: chip.bytes, chip: chip.frame });
  }
  return out;
}

/** Builds the set; `limit` keeps tests small (faces per source image). */
export async function buildEvalSet(nets: FaceNetworks, limit = Infinity): Promise<EvalFace[]> {
  const out: EvalFace[] = [];
  const add = async (id: string, person: string, src: Frame, box: Rect): Promise<void> => {
    const chip = await chipPortrait(src, box);
    out.push({ id, person, live: liveFrame(src, box), chipBytes: chip.bytes, chip: chip.frame });
  };
  const shot = loadPackageImage('@vladmandic/human', FACEMATCH_SCREENSHOT);
  for (const [i, tile] of FACEMATCH_TILES.slice(0, limit === Infinity ? undefined : Math.max(2, limit)).entries()) {
    // Tiles are tight crops: give the detector the surroundings it expects.
    const t = cropFrame(shot, tile);
    const padded = placeOnCanvas(t, t.width * 2, t.height * 2, Math.round(t.width / 2), Math.round(t.height / 2), [90, 90, 90]);
    await add(`facematch-${i + 1}`, 'facematch-man', padded, { x: t.width / 2, y: t.height / 2, width: t.width, height: t.height });
  }
  for (const file of FACE_API_SAMPLES) {
    const src = loadPackageImage('@vladmandic/face-api', file);
    const dets = nets.detect(src, 0.6).sort((a, b) => a.x - b.x);
    for (const [i, d] of dets.slice(0, limit).entries()) {
      // People in one photo are different people; photos are taken to hold different people.
      const id = `${file.replace(/^demo\/|\.jpg$/g, '')}-${i + 1}`;
      await add(id, SAME_PERSON[id] ?? id, src, d);
    }
  }
  return out;
}
