// docs/errors.md is the list in core/error-codes.ts, rendered; this test keeps them equal
// (UPDATE_DOCS=1 rewrites the file: `npm run docs:errors`). It also holds the list to the
// code: every listed code is used somewhere, and the boundary guard knows them all.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AREAS, ERROR_CODES, ERROR_FAMILIES, isErrorCode } from '../../core/error-codes.js';
import { errorFromData } from '../../core/errors.js';
import { packageRoot } from '../../main/paths.js';

const ROOT = packageRoot();
const DOC = join(ROOT, 'docs/errors.md');

function render(): string {
  const lines = [
    '# Error codes',
    '',
    'Every failure carries one of these codes and a message in Vietnamese and English for the',
    'person who must act (the clerk, the operator, support). The CLI prints the message and the',
    'code in brackets; the API returns `{ code, messages: { vi, en } }`. Generated from',
    '`core/error-codes.ts` (`npm run docs:errors`); `test/unit/error-codes.test.ts` keeps it current.',
  ];
  for (const [area, title] of Object.entries(AREAS)) {
    lines.push('', `## ${title}`, '', '| code | means |', '|---|---|');
    for (const [code, info] of Object.entries(ERROR_CODES)) if (info.area === area) lines.push(`| \`${code}\` | ${info.means} |`);
    for (const [prefix, info] of Object.entries(ERROR_FAMILIES)) if (info.area === area) lines.push(`| \`${prefix}…\` | ${info.means} |`);
  }
  return lines.join('\n') + '\n';
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const rel = join(dir, f);
    return statSync(join(ROOT, rel)).isDirectory() ? sources(rel) : /\.c?ts$/.test(f) ? [rel] : [];
  });
}

describe('error codes', () => {
  it('docs/errors.md is the rendered list', () => {
    if (process.env.UPDATE_DOCS) writeFileSync(DOC, render());
    expect(readFileSync(DOC, 'utf8')).toBe(render());
  });

  it('every listed code is raised or tested for somewhere in the product code', () => {
    const text = ['core', 'drivers', 'offline-cache', 'main', 'renderer']
      .flatMap(sources)
      .filter((f) => f !== 'core/error-codes.ts')
      .map((f) => readFileSync(join(ROOT, f), 'utf8'))
      .join('\n');
    const unused = Object.keys(ERROR_CODES).filter((code) => !text.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('the boundary guard keeps known codes and turns unknown ones into INTERNAL', () => {
    expect(isErrorCode('CARD_REMOVED')).toBe(true);
    expect(isErrorCode('FP_NO_FINGER')).toBe(true);
    expect(isErrorCode('FP_')).toBe(false);
    expect(isErrorCode('CARD_REMOVE')).toBe(false);
    const known = errorFromData({ code: 'NO_CARD', messages: { vi: 'a', en: 'b' } });
    expect([known.code, known.messages.en]).toEqual(['NO_CARD', 'b']);
    const foreign = errorFromData({ code: 'SOMETHING_ELSE', messages: { vi: 'a', en: 'b' } });
    expect([foreign.code, foreign.detail]).toEqual(['INTERNAL', { code: 'SOMETHING_ELSE' }]);
  });
});
