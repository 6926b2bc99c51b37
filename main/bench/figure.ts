// One benchmark figure: a measured value against a limit measured in the same run, and the
// line `npm run bench` prints for it (the ratio, and whether it meets its target).

export interface Figure {
  name: string;
  value: number;
  limit: number;
  unit: string;
  /** 'le': value/limit must stay at or under target; 'info': reported only. */
  target?: number;
  note?: string;
}

export function line(f: Figure): string {
  const ratio = f.value / f.limit;
  const verdict = f.target === undefined ? '' : ratio <= f.target ? `  ok (target <= ${f.target})` : `  MISSED (target <= ${f.target})`;
  return `${f.name.padEnd(34)} ${f.value.toFixed(1).padStart(9)} / ${f.limit.toFixed(1).padStart(9)} ${f.unit.padEnd(6)} = ${ratio.toFixed(3)}x${verdict}${f.note ? `  ${f.note}` : ''}`;
}
