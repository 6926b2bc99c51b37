// Nothing is exported that no other file uses (tests count as users): an export is a
// promise to other modules, and one nobody takes up is dead code or a helper that belongs
// inside its file. The check is textual (a name mentioned in no other source file), so it
// can only under-report, never flag an export that is used.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../main/paths.js';

const ROOT = packageRoot();

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const rel = join(dir, f);
    if (statSync(join(ROOT, rel)).isDirectory()) return f === 'artifacts' ? [] : files(rel, ext);
    return ext.test(f) && !f.endsWith('.d.ts') ? [rel] : [];
  });
}

const DECL = /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|enum|abstract class)\s+([A-Za-z_$][\w$]*)/gm;

function unusedExports(product: string[], all: string[], text: (f: string) => string): string[] {
  const out: string[] = [];
  for (const f of product) {
    for (const m of text(f).matchAll(DECL)) {
      const word = new RegExp(`\\b${m[1]!.replace(/\$/g, '\\$')}\\b`);
      if (!all.some((g) => g !== f && word.test(text(g)))) out.push(`${f}: ${m[1]}`);
    }
  }
  return out;
}

describe('exports', () => {
  const product = ['core', 'drivers', 'offline-cache', 'main', 'renderer'].flatMap((d) => files(d, /\.c?ts$/));
  const all = [...product, ...files('test', /\.(ts|mjs)$/)];
  const cache = new Map<string, string>();
  const text = (f: string) => cache.get(f) ?? (cache.set(f, readFileSync(join(ROOT, f), 'utf8')), cache.get(f)!);

  it('finds an export nobody uses when there is one (the check works)', () => {
    const fake = new Map([
      ['a.ts', 'export function used() {}\nexport const lonely = 1;\n'],
      ['b.ts', "import { used } from './a.js';\nused();\n"],
    ]);
    expect(unusedExports(['a.ts'], ['a.ts', 'b.ts'], (f) => fake.get(f)!)).toEqual(['a.ts: lonely']);
  });

  it('exports nothing that no other file uses', () => {
    expect(product.length).toBeGreaterThan(150);
    expect(unusedExports(product, all, text)).toEqual([]);
  });
});
