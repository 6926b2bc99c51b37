// MRZ check digit of Doc 9303 Part 3 §4.9: weights 7, 3, 1 over digit values
// (0-9, A=10 … Z=35, '<'=0).

function mrzCharValue(c: string): number {
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (c >= 'A' && c <= 'Z') return c.charCodeAt(0) - 55;
  if (c === '<') return 0;
  throw new RangeError(`not an MRZ character: ${JSON.stringify(c)}`);
}

export function checkDigit(field: string): string {
  const w = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < field.length; i++) sum += mrzCharValue(field[i]!) * w[i % 3]!;
  return String(sum % 10);
}
