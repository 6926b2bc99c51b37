// The three networks of the face pipeline and the tensor plumbing around them. Geometry
// (crops, alignment warps) is done in plain JS on the frame: it costs about a millisecond
// and keeps each network's input exactly as documented in geometry.ts.
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { type Affine, type Frame, warpAffine } from '../../../drivers/camera/frame.js';
import {
  applyAffine, BLAZEFACE_INPUT, blazeFaceAnchors, CHIP_SIZE, CHIP_TEMPLATE, decodeBlazeFace, type Detection,
  fitSimilarity, MESH_ALIGN_POINTS, pixelCentred, type Point, suppress,
} from './geometry.js';
import { initRuntime, loadWeights, modelPath, modelUrl } from './models.js';

const MESH_INPUT = 192;
/** Facemesh wants the face box enlarged so the whole head fits (as in MediaPipe's pipeline). */
const MESH_BOX_SCALE = 1.5;
/** dlib ResNet input normalisation: per-channel mean subtracted, then /255 (face-api's preprocessing of the same weights). */
const DLIB_MEAN_RGB = [122.782, 117.001, 104.298];

interface MeshResult {
  /** 468 landmarks in source-image pixels. */
  points: Point[];
  /** The mesh model's own face-presence output, 0..1. */
  confidence: number;
}

/**
 * The packaged BlazeFace is the PINTO conversion: scores and regressors come as separate
 * tensors per anchor layer ([1,512,1] [1,512,16] for the 16x16 grid, [1,384,1] [1,384,16]
 * for the 8x8). Rebuild MediaPipe's [896 x 17] layout: score logit, then 16 regressors.
 */
function assembleBlazeFace(outs: { shape: number[]; data: Float32Array }[]): Float32Array {
  const pick = (anchors: number, width: number): Float32Array => {
    const t = outs.find((o) => o.shape[1] === anchors && o.shape[2] === width);
    if (!t) throw new Error('face detector model outputs changed');
    return t.data;
  };
  const raw = new Float32Array(896 * 17);
  let row = 0;
  for (const anchors of [512, 384]) {
    const scores = pick(anchors, 1);
    const regs = pick(anchors, 16);
    for (let i = 0; i < anchors; i++, row++) {
      raw[row * 17] = scores[i]!;
      raw.set(regs.subarray(i * 16, i * 16 + 16), row * 17 + 1);
    }
  }
  return raw;
}

/** One convolution of the embedder with its bias and per-channel scale folded in. */
interface FoldedConv {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/**
 * dlib's layers are conv (+ bias), then an affine "scale" layer (x * weights + biases) per
 * output channel. Folded once at load into the filter and one bias, (conv(x, F) + b) * s + t =
 * conv(x, F * s) + (b * s + t), so each layer is one fused conv (+ ReLU) on the WASM backend
 * instead of a conv and four element-wise passes: same numbers up to float rounding, ~25 %
 * less time per embedding.
 */
function foldConvs(w: tf.NamedTensorMap): Map<string, FoldedConv> {
  const out = new Map<string, FoldedConv>();
  for (const name of Object.keys(w)) {
    const m = /^(.*)\/conv\/filters$/.exec(name);
    if (!m) continue;
    const p = m[1]!;
    const get = (n: string): tf.Tensor => {
      const t = w[n];
      if (!t) throw new Error(`embedder weight ${n} missing`);
      return t;
    };
    const [filters, bias, scale, shift] = [get(name), get(`${p}/conv/bias`), get(`${p}/scale/weights`), get(`${p}/scale/biases`)];
    out.set(p, tf.tidy(() => ({
      filter: tf.keep(tf.mul(filters, tf.reshape(scale, [-1])) as tf.Tensor4D),
      bias: tf.keep(tf.add(tf.mul(tf.reshape(bias, [-1]), tf.reshape(scale, [-1])), tf.reshape(shift, [-1])) as tf.Tensor1D),
    })));
  }
  return out;
}

export class FaceNetworks {
  private constructor(
    private readonly detector: GraphModel,
    private readonly mesher: GraphModel,
    private readonly convs: Map<string, FoldedConv>,
    private readonly fc: tf.Tensor2D,
    private readonly anchors: Point[],
  ) {}

  /** `threads`: tfjs's, decided by the first load in this process or worker (models.ts initRuntime). */
  static async load(threads = 1): Promise<FaceNetworks> {
    await initRuntime(threads);
    const [detector, mesher] = await Promise.all([loadGraphModel(modelUrl('detector')), loadGraphModel(modelUrl('mesh'))]);
    const weights = loadWeights(modelPath('embedder'));
    const fc = weights['fc'];
    if (!fc) throw new Error('embedder weight fc missing');
    return new FaceNetworks(detector, mesher, foldConvs(weights), fc as tf.Tensor2D, blazeFaceAnchors());
  }

  /** All faces BlazeFace finds at or above `minScore`, after suppression, best first. */
  detect(frame: Frame, minScore = 0.5): Detection[] {
    // Letterbox onto a square so faces keep their shape, then scale to the 256x256 input.
    const side = Math.max(frame.width, frame.height);
    const padX = (side - frame.width) / 2;
    const padY = (side - frame.height) / 2;
    const s = side / BLAZEFACE_INPUT;
    const toSource = ([u, v]: Point): Point => [u * s - padX, v * s - padY];
    const m: Affine = pixelCentred({ a: s, b: 0, c: -padX, d: 0, e: s, f: -padY });
    const input = warpAffine(frame, m, BLAZEFACE_INPUT, BLAZEFACE_INPUT, 2 / 255, -1);
    const raw = tf.tidy(() => {
      const outs = this.detector.execute(tf.tensor4d(input, [1, BLAZEFACE_INPUT, BLAZEFACE_INPUT, 3])) as tf.Tensor[];
      return assembleBlazeFace(outs.map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array })));
    });
    return suppress(decodeBlazeFace(raw, this.anchors, minScore, toSource));
  }

  /** Face Mesh on an upright square crop around the detection, landmarks back in source pixels. */
  mesh(frame: Frame, det: Detection): MeshResult {
    const [re, le] = det.keypoints as [Point, Point];
    const angle = Math.atan2(le[1] - re[1], le[0] - re[0]);
    const size = MESH_BOX_SCALE * Math.max(det.width, det.height);
    const k = size / MESH_INPUT;
    const cx = det.x + det.width / 2;
    const cy = det.y + det.height / 2;
    const cos = Math.cos(angle) * k;
    const sin = Math.sin(angle) * k;
    // crop pixel (u, v) -> source: centre + R(angle) * k * ((u, v) - 96)
    const crop: Affine = { a: cos, b: -sin, c: cx - 96 * (cos - sin), d: sin, e: cos, f: cy - 96 * (sin + cos) };
    const input = warpAffine(frame, pixelCentred(crop), MESH_INPUT, MESH_INPUT, 1 / 255, 0);
    const [coords, flag] = tf.tidy(() => {
      const outs = this.mesher.execute(tf.tensor4d(input, [1, MESH_INPUT, MESH_INPUT, 3])) as tf.Tensor[];
      const meshT = outs.find((t) => t.shape[t.shape.length - 1] === 1404);
      const flagT = outs.find((t) => t.shape[t.shape.length - 1] === 1);
      if (!meshT || !flagT) throw new Error('face mesh model outputs changed');
      return [meshT.dataSync() as Float32Array, flagT.dataSync() as Float32Array];
    });
    const points: Point[] = [];
    for (let i = 0; i < 468; i++) points.push(applyAffine(crop, [coords[3 * i]!, coords[3 * i + 1]!]));
    return { points, confidence: flag[0]! };
  }

  /** The 150x150 dlib chip: the mesh's eye corners, nose and mouth corners moved onto dlib's mean face. */
  alignedChip(frame: Frame, mesh: Point[]): Float32Array {
    const m = fitSimilarity(CHIP_TEMPLATE, MESH_ALIGN_POINTS.map((i) => mesh[i]!));
    return warpAffine(frame, pixelCentred(m), CHIP_SIZE, CHIP_SIZE);
  }

  /** dlib's 29-layer ResNet (face_recognition_model_v1): 128 numbers per face. */
  embed(chip: Float32Array): Float32Array {
    const conv = (x: tf.Tensor4D, p: string, stride: 1 | 2, relu: boolean, pad: 'same' | 'valid' = 'same'): tf.Tensor4D => {
      const c = this.convs.get(p);
      if (!c) throw new Error(`embedder weight ${p}/conv/filters missing`);
      return tf.fused.conv2d({ x, filter: c.filter, strides: stride, pad, bias: c.bias, activation: relu ? 'relu' : 'linear' });
    };
    const residual = (x: tf.Tensor4D, p: string): tf.Tensor4D => tf.relu(tf.add(conv(conv(x, `${p}/conv1`, 1, true), `${p}/conv2`, 1, false), x)) as tf.Tensor4D;
    // Down-sampling block: the shortcut is a 2x2 average pool, zero-padded to the wider
    // channel count; an odd input leaves the main path one row and column short, padded with zeros.
    const residualDown = (x: tf.Tensor4D, p: string): tf.Tensor4D => {
      let main = conv(conv(x, `${p}/conv1`, 2, true, 'valid'), `${p}/conv2`, 1, false);
      let short = tf.avgPool(x, 2, 2, 'valid');
      if (short.shape[1] !== main.shape[1]) main = tf.pad(main, [[0, 0], [0, short.shape[1] - main.shape[1]], [0, short.shape[2] - main.shape[2]], [0, 0]]);
      if (short.shape[3] !== main.shape[3]) short = tf.pad(short, [[0, 0], [0, 0], [0, 0], [0, main.shape[3] - short.shape[3]]]);
      return tf.relu(tf.add(short, main)) as tf.Tensor4D;
    };
    return tf.tidy(() => {
      let x = tf.div(tf.sub(tf.tensor4d(chip, [1, CHIP_SIZE, CHIP_SIZE, 3]), DLIB_MEAN_RGB), 255) as tf.Tensor4D;
      x = tf.maxPool(conv(x, 'conv32_down', 2, true, 'valid'), 3, 2, 'valid');
      for (const p of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(x, p);
      x = residualDown(x, 'conv64_down');
      for (const p of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(x, p);
      x = residualDown(x, 'conv128_down');
      for (const p of ['conv128_1', 'conv128_2']) x = residual(x, p);
      x = residualDown(x, 'conv256_down');
      for (const p of ['conv256_1', 'conv256_2']) x = residual(x, p);
      x = residualDown(x, 'conv256_down_out');
      return tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, this.fc).dataSync() as Float32Array;
    });
  }
}
