// Fictitious verifications for `bench sync` and the store-and-forward tests: made-up people
// (common Vietnamese family and given names combined at random, random numbers), with
// the variety of outcomes a counter sees. Deterministic for a given index and seed.
import type { VerificationInput } from '../../offline-cache/events.js';
import { prng } from '../../drivers/emulator/prng.js';
export { prng } from '../../drivers/emulator/prng.js';

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý'];
const MIDDLE = ['Văn', 'Thị', 'Hữu', 'Đức', 'Minh', 'Ngọc', 'Thanh', 'Quốc', 'Gia', 'Bảo'];
const GIVEN = ['An', 'Bình', 'Chi', 'Dũng', 'Giang', 'Hà', 'Hải', 'Hạnh', 'Hòa', 'Hùng', 'Khánh', 'Lan', 'Linh', 'Long', 'Mai', 'Nam', 'Phúc', 'Quân', 'Sơn', 'Tâm', 'Thảo', 'Trang', 'Tuấn', 'Việt', 'Yến'];

export function syntheticVerification(i: number, seed = 1): VerificationInput {
  const r = prng(seed * 1_000_003 + i);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');
  const passport = r() < 0.15;
  const year = 1950 + Math.floor(r() * 55);
  const dob = `${year}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`;
  const idNumber = `0${digits(2)}${r() < 0.5 ? 0 : 1}${String(year % 100).padStart(2, '0')}${digits(6)}`;
  const forged = r() < 0.02;
  const score = Math.round((0.55 + r() * 0.45) * 1e4) / 1e4;
  return {
    site: 'Quầy 3 - Sân bay Nội Bài',
    operator: `nv${100 + (i % 7)}`,
    reader: 'ACS ACR39U 00',
    document: passport
      ? { type: 'P', issuingState: 'VNM', number: `C${digits(7)}`, dateOfExpiry: '2031-11-02' }
      : { type: 'ID', issuingState: 'VNM', number: idNumber.slice(3), dateOfExpiry: '2035-06-30' },
    holder: { idNumber, fullName: `${pick(FAMILY)} ${pick(MIDDLE)} ${pick(GIVEN)}`, dateOfBirth: dob },
    result: forged ? 'rejected' : score < 0.6 ? 'review' : 'accepted',
    authenticity: { passive: forged ? 'invalid' : 'valid', chip: passport ? 'not-supported' : 'valid', active: passport ? 'not-supported' : 'valid' },
    access: passport ? 'BAC' : 'PACE-CAM',
    biometric: { method: 'face', score },
  };
}
