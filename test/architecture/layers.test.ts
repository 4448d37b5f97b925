/**
 * The layer rule of docs/architecture.md, enforced: a module under src/
 * imports only from its own folder or from a folder in a lower layer. The
 * imports are read with TypeScript's own pre-processor (static imports,
 * re-exports, `import type`, dynamic `import()`), so the next upward import
 * fails the suite with the file, the line and the rule it breaks.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const SRC = join(import.meta.dirname, '..', '..', 'src');

/**
 * Bottom first. Folders in one layer may not import each other either: a
 * layer is a set of independent parts on the same foundation. Keep in step
 * with the table in docs/architecture.md.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'version.ts'],
  ['util'],
  ['store'],
  ['state', 'events', 'inventory', 'tokens'],
  ['media', 'images', 'ssh'],
  ['profiles'],
  ['installs'],
  ['deploy'],
  ['boot'],
  ['api', 'lab'],
  ['server'],
  ['cli'],
];

function layerOf(part: string): number {
  const layer = LAYERS.findIndex((parts) => parts.includes(part));
  return layer;
}

/** The top-level part of src/ a path is in: a folder name, or a root file's name. */
function partOf(file: string): string {
  return relative(SRC, file).split('/')[0]!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

interface Violation {
  where: string;
  text: string;
}

function violations(): { files: number; imports: number; found: Violation[]; unplaced: string[] } {
  const files = sourceFiles(SRC);
  const found: Violation[] = [];
  const unplaced = new Set<string>();
  let imports = 0;
  for (const file of files) {
    const from = partOf(file);
    const fromLayer = layerOf(from);
    if (fromLayer < 0) unplaced.add(from);
    const source = readFileSync(file, 'utf8');
    for (const imported of ts.preProcessFile(source, true, true).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      imports++;
      const target = normalize(join(dirname(file), imported.fileName));
      const to = partOf(target);
      if (to === from) continue;
      const toLayer = layerOf(to);
      if (toLayer < 0) unplaced.add(to);
      if (toLayer < fromLayer) continue;
      const line = source.slice(0, imported.pos).split('\n').length;
      const rule = toLayer === fromLayer ? `${from}/ and ${to}/ are in the same layer and may not import each other` : `${from}/ (layer ${fromLayer}) may not import ${to}/ (layer ${toLayer}, above it)`;
      found.push({ where: `src/${relative(SRC, file)}:${line}`, text: `imports ${imported.fileName}: ${rule}` });
    }
  }
  return { files: files.length, imports, found, unplaced: [...unplaced] };
}

test('every module under src/ imports only its own folder or lower layers (docs/architecture.md)', () => {
  const { files, imports, found, unplaced } = violations();
  assert.ok(files > 100 && imports > 500, `read ${files} files and ${imports} imports: the walk is broken`);
  assert.deepEqual(unplaced, [], `src/ parts in no layer: add them to LAYERS here and to docs/architecture.md`);
  assert.deepEqual(found.map((v) => `${v.where} ${v.text}`), [], 'upward imports');
});

test('the rule sees upward, same-layer and dynamic imports', () => {
  const probe = (code: string) => ts.preProcessFile(code, true, true).importedFiles.map((f) => f.fileName);
  assert.deepEqual(probe("import type { A } from '../server/serve.ts';\nexport { B } from './b.ts';\nconst c = await import('../cli/main.ts');"), ['../server/serve.ts', './b.ts', '../cli/main.ts']);
  assert.ok(layerOf('util') < layerOf('store') && layerOf('deploy') < layerOf('boot') && layerOf('server') < layerOf('cli'));
  assert.equal(layerOf('images'), layerOf('media'));
});
