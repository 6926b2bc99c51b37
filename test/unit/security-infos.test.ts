// SecurityInfos (Doc 9303 Part 11 §9.2) from EF.CardAccess and DG14: the published
// structures of Appendix G.1 and I.1, round trips through the builders, hostile bytes.
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import * as tlv from '../../drivers/apdu/tlv.js';
import { paceCurve } from '../../drivers/emrtd/pace.js';
import {
  CA,
  ID_AA,
  ID_EC_PUBLIC_KEY,
  ID_PACE_ECDH_GM,
  ID_PK_ECDH,
  ID_PRIME_FIELD,
  ID_STANDARDIZED_DOMAIN_PARAMETERS,
  ID_TA,
  PACE,
  type SecurityInfo,
  buildCardAccess,
  buildDg14,
  ecSubjectPublicKeyInfo,
  isPaceProtocol,
  paceInfos,
  parseCardAccess,
  parseDg14,
} from '../../drivers/emrtd/security-infos.js';

const h = (s: string) => fromHex(s.replace(/\s/g, ''));

function malformedError(f: () => unknown): boolean {
  try {
    f();
  } catch (e) {
    return isIdkError(e, 'MALFORMED_DATA');
  }
  return false;
}

/** DER helpers for hand-made structures (OID content given as hex). */
const der = {
  seq: (...v: Uint8Array[]) => tlv.encode(0x30, ...v),
  set: (...v: Uint8Array[]) => tlv.encode(0x31, ...v),
  oid: (content: string) => tlv.encode(0x06, h(content)),
  int: (content: string) => tlv.encode(0x02, h(content)),
  oct: (b: Uint8Array) => tlv.encode(0x04, b),
};

// Doc 9303 Part 11 App. G.1: EF.CardAccess with one PACEInfo (ECDH-GM-AES-128, brainpoolP256r1).
const G1_CARD_ACCESS = '31143012060A04007F0007020204020202010202010D';

// Doc 9303 Part 11 App. I.1: the PACE-CAM PACEInfo and the ChipAuthenticationPublicKeyInfo
// from EF.CardSecurity (key named by standardizedDomainParameters 13, keyId 13).
const I1_PACE_INFO = '3012060A04007F0007020204060202010202010D';
const I1_CA_PUBLIC_KEY_INFO =
  '30620609 04007F00 07020201 02305230 0C060704 007F0007 01020201 0D034200 04187270 9494399E 7470A643 1BE25E83 ' +
  'EEE24FEA 568C2ED2 8DB48E05 DB3A610D C884D256 A40E35EF CB59BF67 53D3A489 D28C7A4D 973C2DA1 38A6E7A4 A08F68E1 6F02010D';
const I1_PK_IC =
  '041872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC884D256A40E35EFCB59BF6753D3A489D28C7A4D973C2DA138A6E7A4A08F68E16F';

describe('EF.CardAccess (Doc 9303 Part 11 App. G.1)', () => {
  it('parses the PACEInfo', () => {
    expect(parseCardAccess(h(G1_CARD_ACCESS))).toEqual([
      { kind: 'pace', protocol: PACE.ECDH_GM_AES_CBC_CMAC_128, version: 2, parameterId: 13 },
    ]);
  });
  it('builds the same bytes back', () => {
    expect(hex(buildCardAccess(parseCardAccess(h(G1_CARD_ACCESS))))).toBe(G1_CARD_ACCESS);
  });
  it('names the OIDs as the standard does', () => {
    expect(PACE.ECDH_GM_AES_CBC_CMAC_128).toBe('0.4.0.127.0.7.2.2.4.2.2');
    expect(PACE.ECDH_IM_3DES_CBC_CBC).toBe('0.4.0.127.0.7.2.2.4.4.1');
    expect(PACE.ECDH_CAM_AES_CBC_CMAC_256).toBe('0.4.0.127.0.7.2.2.4.6.4');
    expect(CA.ECDH_AES_CBC_CMAC_128).toBe('0.4.0.127.0.7.2.2.3.2.2');
    expect(ID_PK_ECDH).toBe('0.4.0.127.0.7.2.2.1.2');
    expect(ID_TA).toBe('0.4.0.127.0.7.2.2.2');
    expect(ID_AA).toBe('2.23.136.1.1.5');
    expect(isPaceProtocol('0.4.0.127.0.7.2.2.4.6.1')).toBe(false); // no CAM with 3DES
    expect(isPaceProtocol(ID_PACE_ECDH_GM)).toBe(false); // that is a PACEDomainParameterInfo
  });
});

describe('Chip authentication structures (Doc 9303 Part 11 App. I.1)', () => {
  it('parses the PACE-CAM PACEInfo and the CA public key named by standardizedDomainParameters', () => {
    const infos = parseCardAccess(tlv.encode(0x31, h(I1_PACE_INFO), h(I1_CA_PUBLIC_KEY_INFO)));
    expect(infos[0]).toEqual({ kind: 'pace', protocol: PACE.ECDH_CAM_AES_CBC_CMAC_128, version: 2, parameterId: 13 });
    const pk = infos[1];
    expect(pk?.kind).toBe('chip-authentication-public-key');
    if (pk?.kind !== 'chip-authentication-public-key') return;
    expect(pk.protocol).toBe(ID_PK_ECDH);
    expect(pk.algorithm).toBe(ID_STANDARDIZED_DOMAIN_PARAMETERS);
    expect(pk.parameterId).toBe(13);
    expect(pk.curveOid).toBe('1.3.36.3.3.2.8.1.1.7');
    expect(hex(pk.publicKey)).toBe(I1_PK_IC);
    expect(pk.keyId).toBe(13);
    // The raw SubjectPublicKeyInfo is the inner SEQUENCE of the example, byte for byte.
    expect(hex(pk.subjectPublicKeyInfo)).toBe(hex(h(I1_CA_PUBLIC_KEY_INFO).subarray(13, 13 + 0x54)));
  });
  it('recognises explicit brainpoolP256r1 ECParameters (the form many DG14s carry)', () => {
    const c = paceCurve(13);
    const bytes = (n: bigint, len = 32) => h(n.toString(16).padStart(len * 2, '0'));
    const g = c.Point.BASE.toBytes(false);
    // X9.62 ECParameters as Part 11 App. I.1 lists them for brainpoolP256r1.
    const params = der.seq(
      der.int('01'),
      der.seq(der.oid('2A8648CE3D0101'), der.int('00' + hex(bytes(c.p)))),
      der.seq(der.oct(bytes(c.a)), der.oct(bytes(c.b))),
      der.oct(g),
      der.int('00' + hex(bytes(c.n))),
      der.int('01'),
    );
    const spki = der.seq(der.seq(der.oid('2A8648CE3D0201'), params), tlv.encode(0x03, h('00'), h(I1_PK_IC)));
    const info = der.seq(der.oid('04007F000702020102'), spki);
    const [pk] = parseDg14(tlv.encode(0x6e, der.set(info)));
    expect(pk).toMatchObject({ kind: 'chip-authentication-public-key', algorithm: ID_EC_PUBLIC_KEY, curveOid: '1.3.36.3.3.2.8.1.1.7' });
    expect(ID_PRIME_FIELD).toBe('1.2.840.10045.1.1');
  });
});

const SAMPLE: SecurityInfo[] = [
  { kind: 'pace', protocol: PACE.ECDH_GM_AES_CBC_CMAC_128, version: 2, parameterId: 13 },
  { kind: 'pace', protocol: PACE.ECDH_IM_AES_CBC_CMAC_256, version: 2, parameterId: 18 },
  { kind: 'pace', protocol: PACE.ECDH_GM_3DES_CBC_CBC, version: 2 },
  { kind: 'chip-authentication', protocol: CA.ECDH_AES_CBC_CMAC_128, version: 1, keyId: 1 },
  {
    kind: 'chip-authentication-public-key',
    protocol: ID_PK_ECDH,
    subjectPublicKeyInfo: ecSubjectPublicKeyInfo('1.3.36.3.3.2.8.1.1.7', h(I1_PK_IC)),
    algorithm: ID_EC_PUBLIC_KEY,
    curveOid: '1.3.36.3.3.2.8.1.1.7',
    publicKey: h(I1_PK_IC),
    keyId: 1,
  },
  { kind: 'active-authentication', protocol: ID_AA, version: 1, signatureAlgorithm: '0.4.0.127.0.7.1.1.4.1.3' },
  { kind: 'terminal-authentication', protocol: ID_TA, version: 1 },
  // CardInfoLocator (TR-03110): not ours to interpret, kept byte for byte.
  { kind: 'unknown', oid: '0.4.0.127.0.7.2.2.6', raw: der.seq(der.oid('04007F0007020206'), tlv.encode(0x16, h('41424344'))) },
];

describe('SecurityInfos round trips', () => {
  it('DG14: parse(build(x)) gives x back, in DER order', () => {
    const bytes = buildDg14(SAMPLE);
    expect(bytes[0]).toBe(0x6e);
    const back = parseDg14(bytes);
    expect(back).toHaveLength(SAMPLE.length);
    for (const i of SAMPLE) expect(back).toContainEqual(i);
    expect(hex(buildDg14(back))).toBe(hex(bytes));
  });
  it('EF.CardAccess: the same SET without the DG14 wrapper', () => {
    const bytes = buildCardAccess(SAMPLE);
    expect(bytes[0]).toBe(0x31);
    expect(hex(tlv.decodeExact(buildDg14(SAMPLE), 0x6e).value)).toBe(hex(bytes));
    expect(new Set(paceInfos(parseCardAccess(bytes)).map((p) => p.parameterId))).toEqual(new Set([13, 18, undefined]));
  });
  it('keeps a PACEDomainParameterInfo as raw DER', () => {
    const algId = der.seq(der.oid('2A8648CE3D0201'), der.seq(der.int('01')));
    const bytes = der.set(der.seq(der.oid('04007F000702020402'), algId, der.int('0C')));
    const [info] = parseCardAccess(bytes);
    expect(info).toEqual({ kind: 'pace-domain-parameters', protocol: ID_PACE_ECDH_GM, domainParameter: algId, parameterId: 12 });
    expect(hex(buildCardAccess([info!]))).toBe(hex(bytes));
  });
  it('keeps an unknown SecurityInfo byte for byte, even in a non-DER (long-form length) encoding', () => {
    // CardInfoLocator-like member: SEQUENCE with a long-form length 81 0C, an OID and an empty UTF8String.
    const member = h('30810C060804007F00070202060C00');
    const [info] = parseCardAccess(der.set(member));
    expect(info).toEqual({ kind: 'unknown', oid: '0.4.0.127.0.7.2.2.6', raw: member });
  });
  it('an empty SET is no SecurityInfo, not an error', () => {
    expect(parseCardAccess(h('3100'))).toEqual([]);
  });
});

describe('hostile SecurityInfos', () => {
  const cases: [string, string][] = [
    ['empty', ''],
    ['truncated', G1_CARD_ACCESS.slice(0, 20)],
    ['trailing bytes', G1_CARD_ACCESS + '00'],
    ['a SEQUENCE instead of a SET', '30' + G1_CARD_ACCESS.slice(2)],
    ['a member that is not a SEQUENCE', '3103020101'],
    ['a SecurityInfo without an OID', '31053003020102'],
    ['a SecurityInfo with one field', '310D300B0609' + '04007F000702020402'],
    ['PACEInfo with a string version', '3115' + '3013060A04007F00070202040202' + '0C0132' + '02010D'],
    ['PACEInfo with a negative version', '3114' + '3012060A04007F00070202040202' + '0201FF' + '02010D'],
    ['PACEInfo with a huge parameter ID', '3118' + '3016060A04007F00070202040202' + '020102' + '020500FFFFFFFF'],
    ['PACEInfo with four fields', '3117' + '3015060A04007F00070202040202' + '020102' + '02010D' + '020100'],
    ['CA public key that is not a SubjectPublicKeyInfo', '3110' + '300E060904007F000702020102' + '020101'],
    ['AA info with an INTEGER for the algorithm', '3110' + '300E060667810801010502010102' + '0101'],
    ['indefinite length nesting', '3180' + '3080' + '0000' + '0000'],
  ];
  let deep = h('0500');
  for (let i = 0; i < 40; i++) deep = der.seq(deep);
  cases.push(['deep nesting', hex(der.set(deep))]);
  for (const [name, bytes] of cases) {
    it(`EF.CardAccess: ${name} -> MALFORMED_DATA`, () => {
      expect(malformedError(() => parseCardAccess(h(bytes)))).toBe(true);
    });
  }
  it('DG14 with the wrong outer tag or length -> MALFORMED_DATA', () => {
    expect(malformedError(() => parseDg14(h('6F16' + G1_CARD_ACCESS)))).toBe(true);
    expect(malformedError(() => parseDg14(h('6E17' + G1_CARD_ACCESS)))).toBe(true);
    expect(malformedError(() => parseDg14(h('6E03' + '020101')))).toBe(true);
  });
});
