// A read result as a person at the counter reads it: labels in their language, dates
// the Vietnamese way (dd/mm/yyyy), authenticity in one line.
import type { Lang } from '../../core/errors.js';
import type { ReadReport } from '../verify/report.js';
import { authenticityLevel } from '../verify/policy.js';

function viDate(iso: string | null | undefined): string {
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
    verdict: 'Xác thực thẻ',
    passive: 'Xác thực dữ liệu (SOD)',
    chip: 'Xác thực chip (CA)',
    active: 'Xác thực chủ động (AA)',
    checkText: { valid: 'hợp lệ', invalid: 'KHÔNG HỢP LỆ', 'not-supported': 'chip không hỗ trợ', 'not-checked': 'chưa kiểm tra' },
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
    verdict: 'Authenticity',
    passive: 'Data authenticity (SOD)',
    chip: 'Chip authentication',
    active: 'Active authentication',
    checkText: { valid: 'valid', invalid: 'INVALID', 'not-supported': 'not offered by the chip', 'not-checked': 'not checked' },
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
  rows.unshift([L.verdict, authenticityLine(a, lang)]);
  rows.push([L.passive, `${L.passiveText[a.passive]}${a.reason ? ` (${a.reason})` : ''}`]);
  rows.push([L.chip, `${L.checkText[a.chip]}${a.chipReason && a.chip !== 'not-supported' ? ` (${a.chipReason})` : ''}`]);
  rows.push([L.active, `${L.checkText[a.active]}${a.activeReason && a.active !== 'not-supported' ? ` (${a.activeReason})` : ''}`]);
  rows.push([L.stats, `${r.stats.apdus} APDU, ${r.stats.bytesIn + r.stats.bytesOut} B, ${r.stats.ms} ms`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return `${L.title}\n${rows.map(([k, v]) => `  ${k.padEnd(w)} : ${v}`).join('\n')}\n`;
}

// ---------------------------------------------------------------- the one-glance verdict (main/verify/policy.ts decides it)

type Authenticity = ReadReport['authenticity'];

export const VERDICT_WORDS = {
  vi: { green: 'XANH — THẺ THẬT', amber: 'VÀNG — CHƯA XÁC MINH ĐỦ', red: 'ĐỎ — KHÔNG HỢP LỆ' },
  en: { green: 'GREEN — GENUINE', amber: 'AMBER — NOT FULLY VERIFIED', red: 'RED — NOT GENUINE' },
} as const;

/** Passive reasons a clerk meets, in their words; the rest fall back to a generic phrase. */
function passiveWhy(a: Authenticity, lang: Lang): string | undefined {
  const groups = Object.entries(a.dataGroups)
    .filter(([, v]) => v === 'mismatch' || v === 'not-in-sod')
    .map(([k]) => k)
    .join(', ');
  const vi: Partial<Record<NonNullable<Authenticity['reasonCode']>, string>> = {
    'no-sod': 'chip không có dữ liệu ký số (SOD)',
    'sod-unreadable': 'dữ liệu ký số (SOD) bị hỏng',
    'dg-mismatch': `dữ liệu ${groups} bị sửa sau khi ký`,
    'dg-not-in-sod': `dữ liệu ${groups} không có trong SOD`,
    'sod-signature': 'chữ ký số trên chip sai',
    'ds-expired': 'chứng thư ký (DS) đã hết hạn khi ký',
    'ds-not-yet-valid': 'chứng thư ký (DS) chưa có hiệu lực khi ký',
    'ds-revoked': 'chứng thư ký (DS) đã bị thu hồi',
    'issuing-state': 'nước cấp trên giấy tờ không khớp với bên ký',
    'chain-signature': 'chứng thư ký không do CSCA của nước cấp ký',
    'csca-expired': 'chứng thư CSCA đã hết hạn khi ký',
    'no-trust-store': 'chưa có kho chứng thư CSCA (--trust)',
    'unknown-csca': 'không có CSCA của nước cấp trong kho tin cậy',
  };
  const en: typeof vi = {
    'no-sod': 'the chip holds no signed data (SOD)',
    'sod-unreadable': 'the signed data (SOD) is damaged',
    'dg-mismatch': `${groups} altered after signing`,
    'dg-not-in-sod': `${groups} not covered by the SOD`,
    'sod-signature': 'the digital signature on the chip is wrong',
    'ds-expired': 'the Document Signer had expired when it signed',
    'ds-not-yet-valid': 'the Document Signer was not yet valid when it signed',
    'ds-revoked': 'the Document Signer has been revoked',
    'issuing-state': 'the issuing state does not match the signer',
    'chain-signature': "the Document Signer was not signed by the issuing state's CSCA",
    'csca-expired': 'the CSCA had expired when the document was signed',
    'no-trust-store': 'no CSCA trust store (--trust)',
    'unknown-csca': "the issuing state's CSCA is not in the trust store",
  };
  if (a.passive === 'valid') return undefined;
  const table = lang === 'vi' ? vi : en;
  const known = a.reasonCode ? table[a.reasonCode] : undefined;
  if (known) return known;
  return lang === 'vi' ? `xác thực dữ liệu: ${a.passive}` : (a.reason ?? `data authenticity: ${a.passive}`);
}

export function authenticityLine(a: Authenticity, lang: Lang): string {
  const level = authenticityLevel(a).level;
  const why: string[] = [];
  const p = passiveWhy(a, lang);
  if (p) why.push(p);
  const vi = lang === 'vi';
  if (a.chip === 'invalid') why.push(vi ? 'chip không chứng minh được khóa riêng (nghi thẻ sao chép)' : 'the chip failed chip authentication (possible clone)');
  if (a.active === 'invalid') why.push(vi ? 'chip không ký được mã thử (nghi thẻ sao chép)' : 'the chip failed active authentication (possible clone)');
  if (level === 'amber' && a.chip !== 'valid' && a.active !== 'valid' && a.chip !== 'invalid' && a.active !== 'invalid') {
    const none = a.chip === 'not-supported' && a.active === 'not-supported';
    why.push(
      none
        ? vi ? 'chip không hỗ trợ chống sao chép' : 'the chip offers no anti-cloning check'
        : vi ? 'chưa kiểm tra chống sao chép' : 'anti-cloning not checked',
    );
  }
  return `${VERDICT_WORDS[lang][level]}${why.length ? `: ${why.join('; ')}` : ''}`;
}
