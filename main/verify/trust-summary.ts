// What a trust store holds, for people: the countries, each CSCA with its expiry, each CRL
// with its age, the files that could not be used, and warnings (nothing loaded, an anchor
// expired or about to, a CRL past its next update or old, a country without a CRL). Pure:
// the Settings screen shows it and `idkiosk doctor` can judge a station by it.
import type { TrustStore } from '../../drivers/emrtd/trust-store.js';
import type { TrustSummaryView } from '../api/contract.js';

/** A CRL older than this is worth refreshing even before its next update (CSCAs publish at least every 90 days). */
const CRL_OLD_DAYS = 90;
/** An anchor this close to its end is announced. */
const EXPIRY_NOTICE_DAYS = 90;
const DAY = 86_400_000;

/** The contract's TrustSummaryView: plain data the Settings screen draws and doctor judges. */
export type TrustSummary = TrustSummaryView;

export function trustSummary(store: TrustStore | undefined, now: Date = new Date()): TrustSummary {
  const anchors = (store?.anchors ?? []).map((a) => {
    const c = a.certificate;
    const days = Math.floor((c.notAfter.getTime() - now.getTime()) / DAY);
    return { country: c.country ?? null, subject: c.subject, notAfter: c.notAfter.toISOString(), source: a.source, expired: days < 0, expiresInDays: days };
  });
  const crls = (store?.crls ?? []).map((t) => {
    const age = Math.floor((now.getTime() - t.crl.thisUpdate.getTime()) / DAY);
    const past = t.crl.nextUpdate !== undefined && t.crl.nextUpdate.getTime() < now.getTime();
    return {
      issuer: t.crl.issuer,
      country: t.issuer.country ?? null,
      thisUpdate: t.crl.thisUpdate.toISOString(),
      nextUpdate: t.crl.nextUpdate?.toISOString() ?? null,
      ageDays: age,
      stale: past || age > CRL_OLD_DAYS,
      revoked: t.crl.revoked.size,
      source: t.source,
    };
  });
  const countries = [...new Set(anchors.map((a) => a.country).filter((c): c is string => c !== null))].sort();
  const warnings: TrustSummary['warnings'] = [];
  if (anchors.length === 0) warnings.push({ code: 'NO_ANCHORS' });
  for (const a of anchors) {
    if (a.expired) warnings.push({ code: 'ANCHOR_EXPIRED', about: a.subject });
    else if (a.expiresInDays <= EXPIRY_NOTICE_DAYS) warnings.push({ code: 'ANCHOR_EXPIRING', about: a.subject });
  }
  const withCrl = new Set(crls.map((c) => c.country));
  for (const c of countries) if (!withCrl.has(c)) warnings.push({ code: 'NO_CRL', about: c });
  for (const c of crls) if (c.stale) warnings.push({ code: 'CRL_STALE', about: c.issuer });
  return { countries, anchors, crls, problems: (store?.problems ?? []).map((p) => ({ file: p.file, code: p.code, messages: { ...p.messages } })), warnings };
}
