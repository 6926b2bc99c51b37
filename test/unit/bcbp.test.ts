// Our BCBP reader held to an independent one: the `bcbp` package encodes random boarding
// passes and decodes them, and our parser must read the same booking, airports, carrier,
// flight, day and seat from the same text. Then the name match against chip names with
// Vietnamese diacritics, and the flight date's year.
import { decode, encode } from 'bcbp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flightDate, foldName, isBcbp, matchPassenger, parseBcbp } from '../../drivers/qr/bcbp.js';

const upper = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), minLength: min, maxLength: max });
const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });

function dayOfYear(iso: string): number {
  const d = new Date(`${iso}T00:00:00Z`);
  return Math.round((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 0)) / 86_400_000);
}

describe('BCBP', () => {
  it('reads what the bcbp package wrote, as the bcbp package reads it', () => {
    const today = new Date(2026, 5, 15);
    fc.assert(
      fc.property(
        upper(1, 9),
        upper(1, 8),
        fc.tuple(upper(1, 1), fc.constantFrom('', ...'0123456789'), upper(0, 5)).map(([a, b, c]) => a + b + c),
        upper(3, 3),
        upper(3, 3),
        fc.oneof(upper(2, 2), upper(3, 3), fc.tuple(upper(1, 1), digits(1)).map(([a, b]) => a + b)),
        fc.tuple(digits(4), fc.constantFrom('', 'A', 'B')).map(([d, s]) => d + s),
        fc.integer({ min: 1, max: 365 }),
        fc.tuple(digits(3), upper(1, 1)).map(([d, l]) => d + l),
        (surname, given, pnr, from, to, carrier, flight, day, seat) => {
          const date = new Date(Date.UTC(2026, 0, day));
          const text = encode({
            data: {
              passengerName: `${surname}/${given}`,
              legs: [{ operatingCarrierPNR: pnr, departureAirport: from, arrivalAirport: to, operatingCarrierDesignator: carrier, flightNumber: flight, flightDate: date, compartmentCode: 'Y', seatNumber: seat, checkInSequenceNumber: '0025', passengerStatus: '1' }],
            },
          });
          const theirs = decode(text, 2026).data!;
          const leg = theirs.legs![0]!;
          const ours = parseBcbp(text, today);
          expect(ours.passengerName).toBe(theirs.passengerName!.trim());
          expect(ours.pnr).toBe(leg.operatingCarrierPNR!.trim());
          expect(ours.from).toBe(leg.departureAirport);
          expect(ours.to).toBe(leg.arrivalAirport);
          expect(ours.carrier).toBe(leg.operatingCarrierDesignator!.trim());
          expect(ours.flight).toBe(`${Number(leg.flightNumber!.slice(0, 4))}${leg.flightNumber!.slice(4).trim()}`);
          expect(dayOfYear(ours.date)).toBe(dayOfYear(leg.flightDate!.toISOString().slice(0, 10)));
          expect(ours.seat).toBe(`${Number(leg.seatNumber!.slice(0, 3))}${leg.seatNumber![3]}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads the example of the bcbp package (Implementation Guide style) and refuses what is not a pass', () => {
    const p = parseBcbp('M1DESMARAIS/LUC       EABC123 YULFRAAC 0834 226F001A0025 100', new Date(2020, 0, 10));
    expect(p).toEqual({ kind: 'bcbp', passengerName: 'DESMARAIS/LUC', pnr: 'ABC123', from: 'YUL', to: 'FRA', carrier: 'AC', flight: '834', date: '2020-08-13', seat: '1A' });
    expect(isBcbp('000190012345|000123456|Lê Thị Mẫu|17051990|Nữ|x|10042021')).toBe(false);
    expect(() => parseBcbp('M1DESMARAIS/LUC       EABC123 Y1LFRAAC 0834 226F001A0025 100')).toThrow(expect.objectContaining({ code: 'BCBP_MALFORMED' }));
    expect(() => parseBcbp('M1DESMARAIS/LUC       EABC123 YULFRAAC 0834 2X6F001A0025 100')).toThrow(expect.objectContaining({ code: 'BCBP_MALFORMED' }));
  });

  it('puts the flight in the current year, or the next when its day has passed', () => {
    const today = new Date(2026, 11, 30); // 30 December 2026, local time
    expect(flightDate(364, today)).toBe('2026-12-30'); // today
    expect(flightDate(365, today)).toBe('2026-12-31');
    expect(flightDate(1, today)).toBe('2027-01-01');
    expect(flightDate(363, today)).toBe('2027-12-29'); // yesterday's day: next year
    expect(flightDate(366, today)).toBe('2028-12-31'); // only leap years have a 366th day
  });

  it('matches the pass name to the chip name with the diacritics folded', () => {
    expect(foldName('Lê Thị Mẫu')).toBe('LE THI MAU');
    expect(foldName('Đặng Văn Đức')).toBe('DANG VAN DUC');
    const chip = { fullName: 'Lê Thị Mẫu' };
    expect(matchPassenger('LE/THI MAU', chip).match).toBe(true);
    expect(matchPassenger('LE/THIMAU', chip).match).toBe(true);
    expect(matchPassenger('LE/THI MAU MS', chip).match).toBe(true);
    expect(matchPassenger('LE/THIMAUMS', chip).match).toBe(true);
    expect(matchPassenger('LE/THI MAO', chip).match).toBe(false);
    expect(matchPassenger('LY/THI MAU', chip).match).toBe(false);
    expect(matchPassenger('DANG/VAN DUC', { fullName: 'Đặng Văn Đức' }).match).toBe(true);
    // The 20-character field cut the given names short: the start must still agree.
    expect(matchPassenger('NGUYEN/THIPHUONGTHAO', { fullName: 'Nguyễn Thị Phương Thảo Vy' }).match).toBe(true);
    expect(matchPassenger('NGUYEN/THIPHUONG', { fullName: 'Nguyễn Thị Phương Thảo' }).match).toBe(false);
    // A passport (DG1 only).
    expect(matchPassenger('SMITH/JOHN MR', { surname: 'SMITH', givenNames: 'JOHN' }).match).toBe(true);
  });
});
