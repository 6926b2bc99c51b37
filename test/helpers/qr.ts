// QR texts for tests, built from what a card's chip says (DG13): the QR an issuer prints
// carries the same data, so a test changes only what it means to change.
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { type Dg13, parseDg13 } from '../../drivers/emrtd/dg13.js';
import { buildCccdQr } from '../../drivers/qr/cccd-qr.js';

export function qrFromCard(card: CardImage, over: Partial<Dg13> = {}): string {
  const vn = { ...parseDg13(card.files.get('DG13')!), ...over };
  return buildCccdQr({
    idNumber: vn.idNumber!,
    oldIdNumber: vn.oldIdNumber,
    fullName: vn.fullName!,
    dateOfBirth: vn.dateOfBirth!,
    sex: vn.sex as 'Nam' | 'Nữ',
    placeOfResidence: vn.placeOfResidence!,
    dateOfIssue: vn.dateOfIssue!,
  });
}
