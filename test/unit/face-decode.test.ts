// DG2 image decoding against independent reference decoders: OpenJPEG's own command-line
// decoder (Debian libopenjp2-tools) for JPEG 2000, where the WASM build must agree bit for
// bit, and libjpeg-turbo's djpeg (Debian libjpeg-turbo-progs) for JPEG: our decoder is
// libjpeg-turbo compiled to WebAssembly, so it must agree bit for bit too.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isIdkError } from '../../core/errors.js';
import { type Frame, frameFromGray, makeFrame, resizeFrame } from '../../drivers/camera/frame.js';
import { decodeImage, sniffImage } from '../../drivers/camera/image.js';
import { decodeJpeg } from '../../drivers/camera/jpeg.js';
import { decodeJpeg2000, encodeJpeg2000, jpeg2000Codestream, wrapJp2 } from '../../drivers/camera/jpeg2000.js';
import { loadPackageImage } from '../../main/eval/face-set.js';
import { tempDir } from '../helpers/cards.js';

function tool(name: string, pkg: string): string {
  for (const dir of ['/usr/bin', '/usr/local/bin']) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`${name} not found: apt-get install ${pkg}`);
}

/** Binary PPM (P6) with comments, as opj_decompress and djpeg write it. */
function readPpm(buf: Buffer): Frame {
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4) {
    while (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09) i++;
    if (buf[i] === 0x23) {
      while (buf[i] !== 0x0a) i++;
      continue;
    }
    let s = '';
    while (buf[i] !== undefined && ![0x20, 0x0a, 0x0d, 0x09].includes(buf[i]!)) s += String.fromCharCode(buf[i++]!);
    fields.push(s);
  }
  expect(fields[0]).toBe('P6');
  expect(fields[3]).toBe('255');
  return makeFrame(Number(fields[1]), Number(fields[2]), new Uint8Array(buf.subarray(i + 1)));
}

function writePpm(path: string, f: Frame): void {
  writeFileSync(path, Buffer.concat([Buffer.from(`P6\n${f.width} ${f.height}\n255\n`), Buffer.from(f.data)]));
}

function maxDiff(a: Frame, b: Frame): { max: number; mean: number } {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / a.data.length };
}

const portrait = (): Frame => resizeFrame(loadPackageImage('@vladmandic/face-api', 'demo/sample3.jpg'), 240, 169);

describe('JPEG 2000', () => {
  const opjDecompress = (): string => tool('opj_decompress', 'libopenjp2-tools');
  const reference = (file: string): Frame => {
    const out = file + '.ref.ppm';
    execFileSync(opjDecompress(), ['-i', file, '-o', out], { stdio: 'ignore' });
    return readPpm(readFileSync(out));
  };

  it('decodes our lossy JP2 (15:1, chip size) bit-exact with opj_decompress', async () => {
    const dir = tempDir('face-j2k-');
    const src = portrait();
    const cs = await encodeJpeg2000(src, 15);
    const jp2 = wrapJp2(cs, src.width, src.height, 3);
    const file = join(dir, 'chip.jp2');
    writeFileSync(file, jp2);
    expect(sniffImage(jp2)).toBe('jpeg2000');
    const ours = await decodeImage(jp2);
    expect(maxDiff(ours, reference(file)).max).toBe(0);
    // Rate control holds the size near raw/15, as a chip's DG2 budget needs.
    expect(cs.length).toBeGreaterThan((src.data.length / 15) * 0.9);
    expect(cs.length).toBeLessThan((src.data.length / 15) * 1.1);
    // and the lossy image stays close to the source
    expect(maxDiff(ours, src).mean).toBeLessThan(6);
  });

  it('decodes files written by opj_compress (lossy 9/7 JP2, lossless 5/3 J2K) bit-exact with opj_decompress', async () => {
    const dir = tempDir('face-j2k-');
    const src = portrait();
    writePpm(join(dir, 'src.ppm'), src);
    const opjCompress = tool('opj_compress', 'libopenjp2-tools');
    execFileSync(opjCompress, ['-i', join(dir, 'src.ppm'), '-o', join(dir, 'lossy.jp2'), '-r', '15', '-I'], { stdio: 'ignore' });
    execFileSync(opjCompress, ['-i', join(dir, 'src.ppm'), '-o', join(dir, 'lossless.j2k')], { stdio: 'ignore' });
    for (const name of ['lossy.jp2', 'lossless.j2k']) {
      const file = join(dir, name);
      const ours = await decodeJpeg2000(new Uint8Array(readFileSync(file)));
      expect(maxDiff(ours, reference(file)).max, name).toBe(0);
    }
    const lossless = await decodeJpeg2000(new Uint8Array(readFileSync(join(dir, 'lossless.j2k'))));
    expect(maxDiff(lossless, src).max).toBe(0);
  });

  it('finds the codestream behind other boxes and refuses what is not JPEG 2000', async () => {
    const src = portrait();
    const cs = await encodeJpeg2000(src, 20);
    const jp2 = wrapJp2(cs, src.width, src.height, 3);
    expect(jpeg2000Codestream(jp2)).toEqual(cs);
    expect(jpeg2000Codestream(cs)).toBe(cs);
    const bad = async (bytes: Uint8Array): Promise<string> => {
      try {
        await decodeImage(bytes);
        return 'decoded';
      } catch (e) {
        return isIdkError(e) ? e.code : String(e);
      }
    };
    expect(await bad(jp2.subarray(0, 60))).toBe('BAD_IMAGE'); // cut inside the header boxes
    expect(await bad(Uint8Array.of(1, 2, 3, 4))).toBe('BAD_IMAGE');
    const noCodestream = jp2.slice();
    noCodestream.set([0x78, 0x78, 0x78, 0x78], jp2.length - cs.length - 4); // rename the jp2c box
    expect(await bad(noCodestream)).toBe('BAD_IMAGE');
  });
});

describe('JPEG', () => {
  it('is bit-exact with libjpeg-turbo djpeg (same library, WASM build) on the packaged photos', () => {
    const djpeg = tool('djpeg', 'libjpeg-turbo-progs');
    for (const [pkg, file] of [['@vladmandic/face-api', 'demo/sample1.jpg'], ['@vladmandic/human', 'assets/screenshot-faceid.jpg']] as const) {
      const ours = loadPackageImage(pkg, file);
      const path = join('node_modules', pkg, file);
      // djpeg's defaults (islow IDCT, fancy upsampling) are what the WASM build runs with.
      const ref = readPpm(execFileSync(djpeg, ['-ppm', path], { maxBuffer: 1 << 26 }));
      const d = maxDiff(ours, ref);
      expect(d.max, file).toBe(0);
    }
  });

  it('decodes a greyscale JPEG (one component) to grey RGB, bit-exact with djpeg', () => {
    const djpeg = tool('djpeg', 'libjpeg-turbo-progs');
    const cjpeg = tool('cjpeg', 'libjpeg-turbo-progs');
    const dir = mkdtempSync(join(tmpdir(), 'idk-jpeg-'));
    const ppm = join(dir, 'in.ppm');
    writeFileSync(ppm, execFileSync(djpeg, ['-ppm', 'node_modules/@vladmandic/face-api/demo/sample2.jpg'], { maxBuffer: 1 << 26 }));
    const grey = execFileSync(cjpeg, ['-grayscale', '-quality', '85', ppm], { maxBuffer: 1 << 26 });
    const gpath = join(dir, 'grey.jpg');
    writeFileSync(gpath, grey);
    const ours = decodeJpeg(new Uint8Array(grey));
    // djpeg writes a greyscale JPEG as PGM (P5): one byte a pixel, expanded here to R = G = B.
    const pgm = execFileSync(djpeg, ['-pnm', gpath], { maxBuffer: 1 << 26 });
    const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 40).toString('latin1'))!;
    const luma = pgm.subarray(header[0].length);
    expect([ours.width, ours.height]).toEqual([Number(header[1]), Number(header[2])]);
    for (let i = 0; i < luma.length; i += 997) expect([ours.data[3 * i], ours.data[3 * i + 1], ours.data[3 * i + 2]]).toEqual([luma[i], luma[i], luma[i]]);
    expect(maxDiff(ours, frameFromGray(ours.width, ours.height, new Uint8Array(luma))).max).toBe(0);
  });

  it('refuses damaged and foreign bytes with BAD_IMAGE', () => {
    const bytes = new Uint8Array(readFileSync('node_modules/@vladmandic/face-api/demo/sample6.jpg'));
    for (const bad of [bytes.subarray(0, 200), Uint8Array.of(0xff, 0xd8, 0xff, 0xff, 0, 0), Uint8Array.of(0x89, 0x50, 0x4e, 0x47)]) {
      let code = 'decoded';
      try {
        decodeJpeg(bad);
      } catch (e) {
        code = isIdkError(e) ? e.code : String(e);
      }
      expect(code).toBe('BAD_IMAGE');
    }
  });
});
