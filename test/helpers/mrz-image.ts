// MRZ images as a camera or scanner would see them, rendered by third-party tools: Debian's
// ImageMagick with the OCR-B font of fonts-ocr-b (the typeface ICAO 9303 prescribes), black on
// white, optionally turned by a few degrees. A missing tool fails with the package to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './cards.js';

export const OCR_B = '/usr/share/fonts/opentype/ocr-b/OCRB.otf';

export function requireMrzTools(): void {
  if (!existsSync(OCR_B)) throw new Error(`${OCR_B} is missing: install the Debian package fonts-ocr-b (listed in .ci/apt-packages.d/mrz.txt)`);
  try {
    execFileSync('convert', ['-version'], { stdio: 'pipe' });
  } catch {
    throw new Error('ImageMagick\'s convert is missing: install the Debian package imagemagick (listed in .ci/apt-packages.d/mrz.txt)');
  }
}

/** A PNG of the MRZ lines in OCR-B, turned by `degrees` (positive = clockwise); returns its path. */
export function renderMrz(mrz: string, o: { degrees?: number; pointsize?: number; width?: number; height?: number } = {}): string {
  requireMrzTools();
  const out = join(tempDir('idk-mrz-'), `mrz-${o.degrees ?? 0}.png`);
  const args = ['-background', 'white', '-fill', 'black', '-font', OCR_B, '-pointsize', String(o.pointsize ?? 28), `label:${mrz}`, '-bordercolor', 'white', '-border', '30'];
  if (o.degrees) args.push('-rotate', String(o.degrees));
  // On a frame of the camera's size (the page scales frames to at most 640 px wide), centred.
  if (o.width && o.height) args.push('-resize', `${o.width - 20}x${o.height - 20}>`, '-gravity', 'center', '-extent', `${o.width}x${o.height}`);
  args.push('-flatten', out);
  execFileSync('convert', args, { stdio: 'pipe' });
  return out;
}
