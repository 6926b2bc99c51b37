// A read result as a person at the counter reads it: labels in their language, dates
// the Vietnamese way (dd/mm/yyyy), authenticity in one line.
import type { Lang } from '../drivers/apdu/errors.js';
import type { ReadReport } from './verify/report.js';

export function viDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

const LABELS = {
  vi: {
    title: 'KẾT QUẢ ĐỌC CHIP',
    doc: 'Giấy tờ',
    number: 'Số',
    name: 'Họ và tên',
    dob: 'Ngày sinh',
    sex: 'Giới tính',
    nationality: 'Quốc tịch',
    expiry: 'Có giá trị đến',
    ethnicity: 'Dân tộc',
    religion: 'Tôn giáo',
    origin: 'Quê quán',
    residence: 'Nơi thường trú',
    marks: 'Đặc điểm nhận dạng',
    issue: 'Ngày cấp',
    father: 'Cha',
    mother: 'Mẹ',
    spouse: 'Vợ/chồng',
    old: 'Số CMND cũ',
    face: 'Ảnh chân dung',
    access: 'Mở chip bằng',
    passive: 'Xác thực dữ liệu (SOD)',
    stats: 'Trao đổi',
    passiveText: { valid: 'HỢP LỆ', invalid: 'KHÔNG HỢP LỆ', 'no-trust-anchor': 'khớp chữ ký, chưa đối chiếu CSCA', 'not-checked': 'chưa kiểm tra' },
  },
  en: {
    title: 'CHIP READ RESULT',
    doc: 'Document',
    number: 'Number',
    name: 'Full name',
    dob: 'Date of birth',
    sex: 'Sex',
    nationality: 'Nationality',
    expiry: 'Valid until',
    ethnicity: 'Ethnicity',
    religion: 'Religion',
    origin: 'Place of origin',
    residence: 'Place of residence',
    marks: 'Identifying marks',
    issue: 'Date of issue',
    father: 'Father',
    mother: 'Mother',
    spouse: 'Spouse',
    old: 'Old ID number',
    face: 'Face image',
    access: 'Opened with',
    passive: 'Data authenticity (SOD)',
    stats: 'Exchange',
    passiveText: { valid: 'VALID', invalid: 'INVALID', 'no-trust-anchor': 'signature consistent, no CSCA to chain to', 'not-checked': 'not checked' },
  },
} as const;

export function formatReport(r: ReadReport, lang: Lang): string {
  const L = LABELS[lang];
  const rows: Array<[string, string]> = [];
  const d = r.document;
  rows.push([L.doc, `${d.documentType} ${d.issuingState}`]);
  if (r.vn) {
    const v = r.vn;
    rows.push([L.number, v.idNumber ?? d.documentNumber]);
    rows.push([L.name, v.fullName ?? `${d.surname} ${d.givenNames}`]);
    rows.push([L.dob, viDate(v.dateOfBirth)]);
    rows.push([L.sex, v.sex ?? d.sex]);
    rows.push([L.nationality, v.nationality ?? d.nationality]);
    rows.push([L.ethnicity, v.ethnicity ?? '—'], [L.religion, v.religion ?? '—']);
    rows.push([L.origin, v.placeOfOrigin ?? '—'], [L.residence, v.placeOfResidence ?? '—']);
    rows.push([L.marks, v.personalIdentification ?? '—']);
    rows.push([L.issue, viDate(v.dateOfIssue)], [L.expiry, viDate(v.dateOfExpiry)]);
    if (v.fatherName) rows.push([L.father, v.fatherName]);
    if (v.motherName) rows.push([L.mother, v.motherName]);
    if (v.spouseName) rows.push([L.spouse, v.spouseName]);
    if (v.oldIdNumber) rows.push([L.old, v.oldIdNumber]);
  } else {
    rows.push([L.number, d.documentNumber], [L.name, `${d.surname} ${d.givenNames}`.trim()]);
    rows.push([L.dob, viDate(d.dateOfBirth)], [L.sex, d.sex], [L.nationality, d.nationality], [L.expiry, viDate(d.dateOfExpiry)]);
  }
  if (r.face) rows.push([L.face, `${r.face.format.toUpperCase()} ${r.face.width}×${r.face.height}`]);
  rows.push([L.access, r.access]);
  const a = r.authenticity;
  rows.push([L.passive, `${L.passiveText[a.passive]}${a.reason ? ` (${a.reason})` : ''}`]);
  rows.push([L.stats, `${r.stats.apdus} APDU, ${r.stats.bytesIn + r.stats.bytesOut} B, ${r.stats.ms} ms`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return `${L.title}\n${rows.map(([k, v]) => `  ${k.padEnd(w)} : ${v}`).join('\n')}\n`;
}
