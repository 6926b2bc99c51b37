// Passport dates typed as dd/mm/yyyy, like every other date on screen, become the chip's YYMMDD;
// anything that is not a real calendar date is refused before it reaches main.
import { describe, expect, it } from 'vitest';
import { yymmdd } from '../../renderer/desk.js';

describe('dates typed on the key form', () => {
  it('turns dd/mm/yyyy into YYMMDD', () => {
    expect(yymmdd('02/11/1985')).toBe('851102');
    expect(yymmdd(' 2/11/2031 ')).toBe('311102');
    expect(yymmdd('29.02.2024')).toBe('240229');
  });

  it('refuses what is not a date', () => {
    for (const bad of ['31/02/1990', '29/02/2023', '1985-11-02', '02/11/85', '00/01/2000', '', '12/13/2000']) expect(yymmdd(bad)).toBeUndefined();
  });
});
