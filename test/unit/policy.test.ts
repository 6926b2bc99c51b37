// The decision rule against its written form: the two tables of docs/authenticity.md ("The
// decision") are parsed, and main/verify/policy.ts must give, for every combination of its
// inputs, what the first matching row says. Every row must be the first match of some
// combination (a row that can never apply is a mistake in the table).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BiometricView } from '../../main/api/contract.js';
import { packageRoot } from '../../main/paths.js';
import { type AuthenticityFacts, type QrAgreement, authenticityLevel, decide, storedOutcome, verdict } from '../../main/verify/policy.js';

const PASSIVE = ['valid', 'invalid', 'no-trust-anchor', 'not-checked'] as const;
const CHIP = ['valid', 'invalid', 'not-supported', 'not-checked'] as const;
const GROUPS = ['altered', 'intact'] as const;
const BIOMETRIC = ['matched', 'not-matched', 'not-compared', 'not-available', 'pending'] as const satisfies ReadonlyArray<BiometricView['status']>;
const QR = ['none', 'agrees', 'differs'] as const satisfies readonly QrAgreement[];

/** The markdown table that follows `marker` in docs/authenticity.md, as rows of cells. */
function table(marker: string): string[][] {
  const doc = readFileSync(join(packageRoot(), 'docs/authenticity.md'), 'utf8');
  const at = doc.indexOf(marker);
  if (at < 0) throw new Error(`docs/authenticity.md has no "${marker}"`);
  const lines = doc.slice(at).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const l of lines.slice(start)) {
    if (!l.startsWith('|')) break;
    rows.push(l.split('|').slice(1, -1).map((c) => c.trim()));
  }
  // Header and separator off.
  return rows.slice(2);
}

const matches = (cell: string, value: string) => cell === '*' || cell === value;

function facts(passive: string, groups: string, chip: string, active: string): AuthenticityFacts {
  return {
    passive: passive as AuthenticityFacts['passive'],
    chip: chip as AuthenticityFacts['chip'],
    active: active as AuthenticityFacts['active'],
    dataGroups: groups === 'altered' ? { DG1: 'ok', DG13: 'mismatch' } : { DG1: 'ok', DG13: 'ok' },
  };
}

describe('the decision rule (docs/authenticity.md, "The decision")', () => {
  const levelRows = table('**Authenticity level**');
  const decisionRows = table('**Decision and stored outcome:**');

  it('reads both tables from the docs', () => {
    expect(levelRows.length).toBeGreaterThanOrEqual(5);
    expect(levelRows.every((r) => r.length === 6)).toBe(true);
    expect(decisionRows.length).toBeGreaterThanOrEqual(3);
    expect(decisionRows.every((r) => r.length === 5)).toBe(true);
  });

  it('gives the level and reason of the first matching row for every passive × data groups × chip × active', () => {
    const used = new Set<number>();
    let n = 0;
    for (const passive of PASSIVE)
      for (const groups of GROUPS)
        for (const chip of CHIP)
          for (const active of CHIP) {
            const i = levelRows.findIndex(([p, g, c, a]) => matches(p!, passive) && matches(g!, groups) && matches(c!, chip) && matches(a!, active));
            expect(i, `no row for ${passive}/${groups}/${chip}/${active}`).toBeGreaterThanOrEqual(0);
            used.add(i);
            const [, , , , level, reason] = levelRows[i]!;
            expect(authenticityLevel(facts(passive, groups, chip, active)), `${passive}/${groups}/${chip}/${active}`).toEqual({ level, reason });
            n++;
          }
    expect(n).toBe(128);
    expect([...used].sort((a, b) => a - b)).toEqual(levelRows.map((_, i) => i));
  });

  it('gives the decision and stored outcome of the first matching row for every level × biometric × QR', () => {
    const used = new Set<number>();
    for (const level of ['green', 'amber', 'red'] as const)
      for (const bio of BIOMETRIC)
        for (const qr of QR) {
          const i = decisionRows.findIndex(([l, b, q]) => matches(l!, level) && matches(b!, bio) && matches(q!, qr));
          expect(i, `no row for ${level}/${bio}/${qr}`).toBeGreaterThanOrEqual(0);
          used.add(i);
          const [, , , decision, outcome] = decisionRows[i]!;
          const d = decide(level, bio, qr);
          expect([d, storedOutcome(d)], `${level}/${bio}/${qr}`).toEqual([decision, outcome]);
        }
    expect([...used].sort((a, b) => a - b)).toEqual(decisionRows.map((_, i) => i));
  });

  it('composes both over all 1,920 combinations', () => {
    let n = 0;
    for (const passive of PASSIVE)
      for (const groups of GROUPS)
        for (const chip of CHIP)
          for (const active of CHIP)
            for (const bio of BIOMETRIC)
              for (const qr of QR) {
                const f = facts(passive, groups, chip, active);
                const { level, reason } = authenticityLevel(f);
                const decision = decide(level, bio, qr);
                expect(verdict(f, bio, qr)).toEqual({ level, reason, decision, outcome: storedOutcome(decision) });
                n++;
              }
    expect(n).toBe(1920);
  });

  it('stores a valid-but-uncloned-proof chip read by the CLI as review, not accepted (the bug that made this rule one)', () => {
    const v = verdict(facts('valid', 'intact', 'not-supported', 'not-supported'), 'not-available', 'none');
    expect(v).toEqual({ level: 'amber', reason: 'chip-auth-pending', decision: 'review', outcome: 'review' });
  });
});
