// The elliptic curves this software carries, once: by their OID (RFC 5480, RFC 5639), by
// ICAO's standardized domain parameter id (Doc 9303 Part 11 §9.5.1, the ids of TR-03110
// Part 3 Table 4), and by explicit X9.62 parameters (DG14 keys and CSCAs often spell the
// curve out instead of naming it). PACE, chip authentication, the SOD and certificate
// checks and the card builder all take their curves from here.
import { brainpoolP256r1, brainpoolP384r1, brainpoolP512r1 } from '@noble/curves/misc.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';

export type Ecdsa = typeof p256;

export interface Curve {
  /** Named-curve OID. */
  oid: string;
  name: string;
  /** Doc 9303 Part 11 §9.5.1 standardized domain parameter id. */
  parameterId: number;
  ecdsa: Ecdsa;
}

export const CURVES: readonly Curve[] = [
  { oid: '1.2.840.10045.3.1.7', name: 'NIST P-256', parameterId: 12, ecdsa: p256 },
  { oid: '1.3.36.3.3.2.8.1.1.7', name: 'brainpoolP256r1', parameterId: 13, ecdsa: brainpoolP256r1 as Ecdsa },
  { oid: '1.3.132.0.34', name: 'NIST P-384', parameterId: 15, ecdsa: p384 as unknown as Ecdsa },
  { oid: '1.3.36.3.3.2.8.1.1.11', name: 'brainpoolP384r1', parameterId: 16, ecdsa: brainpoolP384r1 as Ecdsa },
  { oid: '1.3.36.3.3.2.8.1.1.13', name: 'brainpoolP512r1', parameterId: 17, ecdsa: brainpoolP512r1 as Ecdsa },
  { oid: '1.3.132.0.35', name: 'NIST P-521', parameterId: 18, ecdsa: p521 as unknown as Ecdsa },
];

export function curveByOid(oid: string | undefined): Curve | undefined {
  return oid === undefined ? undefined : CURVES.find((c) => c.oid === oid);
}

export function curveByParameterId(id: number | undefined): Curve | undefined {
  return id === undefined ? undefined : CURVES.find((c) => c.parameterId === id);
}

/** The carried curve whose prime, coefficients and order equal explicit ECParameters; undefined if none does. */
export function curveOfExplicit(e: { p: bigint; a: bigint; b: bigint; n: bigint }): Curve | undefined {
  return CURVES.find(({ ecdsa }) => {
    const k = ecdsa.Point.CURVE();
    return k.p === e.p && k.a === e.a && k.b === e.b && k.n === e.n;
  });
}
