import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Modules that import each other at run time work only as long as neither uses the other's exports while it is
// being loaded: a moved line turns that into a TypeError at startup. The compiled code is read, not the TypeScript,
// because it holds exactly the imports that run (type-only ones are gone).
const compiledSrc = fileURLToPath(new URL('../../src/', import.meta.url));
const RELATIVE_IMPORT = /^(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?'(\.{1,2}\/[^']+)'/gm;

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? modules(join(dir, entry.name)) : entry.name.endsWith('.js') ? [join(dir, entry.name)] : [],
  );
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)].map((match) => resolve(dirname(file), match[1]!));
}

/** Each cycle found by a depth-first walk, as the paths of its modules relative to src/. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (module: string): void => {
    path.push(module);
    for (const next of graph.get(module) ?? []) {
      const at = path.indexOf(next);
      if (at !== -1) found.push(path.slice(at).map((file) => relative(compiledSrc, file)));
      else if (!done.has(next)) visit(next);
    }
    path.pop();
    done.add(module);
  };
  for (const module of graph.keys()) if (!done.has(module)) visit(module);
  return found;
}

test('no two modules of src/ import each other at run time, directly or through others', () => {
  const graph = new Map(modules(compiledSrc).map((file) => [file, importsOf(file)]));
  assert.ok(graph.size > 100, `the compiled modules are found (${graph.size})`);
  assert.ok((graph.get(join(compiledSrc, 'proxy/relay-sse.js')) ?? []).length > 0, 'their imports are read');
  assert.deepEqual(cycles(graph), []);
});
