// Pure geometry of the face pipeline: BlazeFace anchor decoding and suppression, the
// similarity transform that aligns a face to the embedder's template, and what the mesh
// landmarks say about eyes and pose. No tensors here, so every step is testable by hand.
import type { Affine } from '../../../drivers/camera/frame.js';

export type Point = [number, number];

export interface Detection {
  score: number;
  /** Box in source-image pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** BlazeFace keypoints: right eye, left eye, nose tip, mouth, right ear, left ear (subject's sides). */
  keypoints: Point[];
}

export const BLAZEFACE_INPUT = 256;

/**
 * BlazeFace's SSD anchors for the 256x256 model: a 16x16 grid with 2 anchors per cell
 * (stride 16) then an 8x8 grid with 6 (stride 32), centred on each cell: 896 in all
 * (MediaPipe face_detection_back.pbtxt, SsdAnchorsCalculator options with fixed anchor size).
 */
export function blazeFaceAnchors(size = BLAZEFACE_INPUT): Point[] {
  const out: Point[] = [];
  for (const [stride, perCell] of [[size / 16, 2], [size / 8, 6]] as const) {
    const cells = Math.ceil(size / stride);
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++) {
        for (let n = 0; n < perCell; n++) out.push([stride * (gx + 0.5), stride * (gy + 0.5)]);
      }
    }
  }
  return out;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * Turns the raw [anchors x 17] output (logit, box centre offset, box size, 6 keypoint
 * offsets, all in input pixels) into detections mapped back to the source through
 * `toSource` (input pixel -> source pixel, continuous coordinates).
 */
export function decodeBlazeFace(raw: Float32Array, anchors: Point[], minScore: number, toSource: (p: Point) => Point): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i < anchors.length; i++) {
    const r = i * 17;
    const score = sigmoid(raw[r]!);
    if (score < minScore) continue;
    const [ax, ay] = anchors[i]!;
    const cx = raw[r + 1]! + ax;
    const cy = raw[r + 2]! + ay;
    const w = raw[r + 3]!;
    const h = raw[r + 4]!;
    const [x0, y0] = toSource([cx - w / 2, cy - h / 2]);
    const [x1, y1] = toSource([cx + w / 2, cy + h / 2]);
    const keypoints: Point[] = [];
    for (let k = 0; k < 6; k++) keypoints.push(toSource([raw[r + 5 + 2 * k]! + ax, raw[r + 6 + 2 * k]! + ay]));
    out.push({ score, x: x0, y: y0, width: x1 - x0, height: y1 - y0, keypoints });
  }
  return out;
}

function iou(a: Detection, b: Detection): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union <= 0 ? 0 : inter / union;
}

/** Greedy non-maximum suppression, best score first. */
export function suppress(dets: Detection[], maxIou = 0.3): Detection[] {
  const kept: Detection[] = [];
  for (const d of [...dets].sort((p, q) => q.score - p.score)) {
    if (kept.every((k) => iou(k, d) <= maxIou)) kept.push(d);
  }
  return kept;
}

/**
 * The least-squares similarity (rotation, uniform scale, shift; no reflection) that maps
 * `from` onto `to`: to ~ [s*cos -s*sin; s*sin s*cos] from + t. Closed form of Umeyama (1991)
 * for 2-D points.
 */
export function fitSimilarity(from: Point[], to: Point[]): Affine {
  const n = from.length;
  if (n < 2 || n !== to.length) throw new RangeError('need matching point lists of at least 2');
  let fx = 0, fy = 0, tx = 0, ty = 0;
  for (let i = 0; i < n; i++) {
    fx += from[i]![0]; fy += from[i]![1]; tx += to[i]![0]; ty += to[i]![1];
  }
  fx /= n; fy /= n; tx /= n; ty /= n;
  let sxx = 0, sxy = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    const ux = from[i]![0] - fx, uy = from[i]![1] - fy;
    const vx = to[i]![0] - tx, vy = to[i]![1] - ty;
    sxx += ux * vx + uy * vy;
    sxy += ux * vy - uy * vx;
    norm += ux * ux + uy * uy;
  }
  if (norm === 0) throw new RangeError('degenerate points');
  const a = sxx / norm;
  const b = sxy / norm;
  return { a, b: -b, c: tx - a * fx + b * fy, d: b, e: a, f: ty - b * fx - a * fy };
}

/** From continuous coordinates (pixel i spans [i, i+1)) to the pixel-index form warpAffine samples with. */
export function pixelCentred(m: Affine): Affine {
  return { ...m, c: m.c + 0.5 * (m.a + m.b) - 0.5, f: m.f + 0.5 * (m.d + m.e) - 0.5 };
}

export function applyAffine(m: Affine, [u, v]: Point): Point {
  return [m.a * u + m.b * v + m.c, m.d * u + m.e * v + m.f];
}

/**
 * dlib's face chip: 150x150 with padding 0.25 around the 68-point mean face shape, which is
 * what the dlib ResNet was trained on. Mean-shape points (dlib/image_transforms/
 * interpolation.h, `get_face_chip_details`) for the outer and inner eye corners, the bottom
 * of the nose and the mouth corners, in the unit square, then mapped (p + 0.25) / 1.5 * 150.
 */
const DLIB_MEAN_SHAPE: Point[] = [
  [0.121737, 0.216423], // 36: image-left eye, outer corner
  [0.334606, 0.231733], // 39: image-left eye, inner corner
  [0.645647, 0.231733], // 42: image-right eye, inner corner
  [0.858516, 0.216423], // 45: image-right eye, outer corner
  [0.490127, 0.628106], // 33: bottom of the nose
  [0.254149, 0.780233], // 48: mouth corner, image left
  [0.726104, 0.780233], // 54: mouth corner, image right
];
export const CHIP_SIZE = 150;
export const CHIP_TEMPLATE: Point[] = DLIB_MEAN_SHAPE.map(([x, y]) => [((x + 0.25) / 1.5) * CHIP_SIZE, ((y + 0.25) / 1.5) * CHIP_SIZE]);

/**
 * MediaPipe Face Mesh indices (canonical_face_model_uv_visualization) of the same points as
 * CHIP_TEMPLATE, in the same order: eye corners 33/133 and 362/263, subnasale 2, mouth
 * corners 61/291.
 */
export const MESH_ALIGN_POINTS = [33, 133, 362, 263, 2, 61, 291];

/** Mesh eyelid and corner points per eye: [upper lid, lower lid, outer corner, inner corner]. */
const MESH_EYES = { right: [159, 145, 33, 133], left: [386, 374, 263, 362] } as const;
const MESH_NOSE_TIP = 1;

const dist = (p: Point, q: Point): number => Math.hypot(p[0] - q[0], p[1] - q[1]);

/** Lid gap over eye width; an open eye reads around 0.25-0.35, a closed one under 0.1. */
export function eyeOpenness(mesh: Point[], eye: 'left' | 'right'): number {
  const [up, low, outer, inner] = MESH_EYES[eye];
  const width = dist(mesh[outer]!, mesh[inner]!);
  return width === 0 ? 0 : dist(mesh[up]!, mesh[low]!) / width;
}

function eyeCentre(mesh: Point[], eye: 'left' | 'right'): Point {
  const [, , outer, inner] = MESH_EYES[eye];
  return [(mesh[outer]![0] + mesh[inner]![0]) / 2, (mesh[outer]![1] + mesh[inner]![1]) / 2];
}

export function interOcular(mesh: Point[]): number {
  return dist(eyeCentre(mesh, 'left'), eyeCentre(mesh, 'right'));
}

/**
 * A turn of the head, signed: how far the nose tip sits from the eye midline, measured
 * along the eye line in units of the eye distance. 0 looking straight; about +-0.5 at a
 * three-quarter view.
 */
export function yawRatio(mesh: Point[]): number {
  const r = eyeCentre(mesh, 'right');
  const l = eyeCentre(mesh, 'left');
  const mid: Point = [(r[0] + l[0]) / 2, (r[1] + l[1]) / 2];
  const d = dist(r, l);
  if (d === 0) return 0;
  const ux = (l[0] - r[0]) / d;
  const uy = (l[1] - r[1]) / d;
  const nose = mesh[MESH_NOSE_TIP]!;
  return ((nose[0] - mid[0]) * ux + (nose[1] - mid[1]) * uy) / d;
}
