// One entry for every still the face matcher meets: a DG2 portrait (JPEG or JPEG 2000)
// or a saved camera grab. The format is read from the bytes, never from a file name.
import { badFrame, type Frame } from './frame.js';
import { decodeJpeg, isJpeg } from './jpeg.js';
import { decodeJpeg2000, isJpeg2000 } from './jpeg2000.js';

type ImageFormat = 'jpeg' | 'jpeg2000';

export function sniffImage(bytes: Uint8Array): ImageFormat | undefined {
  if (isJpeg(bytes)) return 'jpeg';
  if (isJpeg2000(bytes)) return 'jpeg2000';
  return undefined;
}

export async function decodeImage(bytes: Uint8Array): Promise<Frame> {
  switch (sniffImage(bytes)) {
    case 'jpeg':
      return decodeJpeg(bytes);
    case 'jpeg2000':
      return decodeJpeg2000(bytes);
    default:
      throw badFrame('neither JPEG nor JPEG 2000');
  }
}
