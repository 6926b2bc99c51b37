// The rooms of docs/architecture.md hold: no import circle anywhere in our code (type-only
// imports count: they tie the files together for a reader just the same), only cli.ts and
// paths.ts loose in main/, and every folder of main/ says what it is for.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../main/paths.js';

const ROOT = packageRoot();
const ROOTS = ['core', 'drivers', 'offline-cache', 'main', 'renderer'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...sources(rel));
    else if (/\.c?ts$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

const IMPORT = /(?:import|export)\s[^'";]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** Each file's imports of our own files, resolved from the `.js` specifier to the source. */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(IMPORT)) {
      const target = normalize(join(dirname(f), m[1] ?? m[2]!));
      const ts = target.replace(/\.js$/, '.ts').replace(/\.cjs$/, '.cts');
      if (known.has(ts)) deps.push(ts);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan), each sorted. */
function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let n = 0;
  const visit = (v: string): void => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      for (;;) {
        const w = stack.pop()!;
        on.delete(w);
        comp.push(w);
        if (w === v) break;
      }
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

describe('the rooms of the code', () => {
  const files = ROOTS.flatMap(sources);

  it('finds a circle when there is one (the walker itself works)', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(circles(g)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(circles(new Map([['x.ts', ['y.ts']], ['y.ts', []]]))).toEqual([]);
  });

  it('sees the imports of the real tree', () => {
    const g = importGraph(files);
    // A walker that resolved nothing would find no circle too: it must see known edges.
    expect(g.get('main/cli.ts')).toContain('main/commands/read.ts');
    expect(g.get('renderer/app.ts')).toContain('renderer/desk.ts');
    expect(files.length).toBeGreaterThan(150);
  });

  it('has no import circle in core, drivers, offline-cache, main or renderer', () => {
    expect(circles(importGraph(files)).map((c) => c.join(' <-> '))).toEqual([]);
  });

  it('keeps only cli.ts and paths.ts loose at the root of main/', () => {
    const loose = readdirSync(join(ROOT, 'main')).filter((f) => statSync(join(ROOT, 'main', f)).isFile());
    expect(loose.sort()).toEqual(['cli.ts', 'paths.ts']);
  });

  it('has a README.md in every folder of main/ and in core/ saying what it is for', () => {
    const dirs = (d: string): string[] =>
      readdirSync(join(ROOT, d))
        .filter((f) => statSync(join(ROOT, d, f)).isDirectory())
        .flatMap((f) => [join(d, f), ...dirs(join(d, f))]);
    const missing = ['core', ...dirs('main')].filter((d) => !existsSync(join(ROOT, d, 'README.md')));
    expect(missing.map((d) => relative(ROOT, join(ROOT, d)))).toEqual([]);
  });
});
