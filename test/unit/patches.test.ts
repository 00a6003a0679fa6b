// The patch registry is the one list of behaviour changes of workflow code: every id the workflows
// ask `patched()` or `deprecatePatch()` about is registered, and every registered id is asked about.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PATCHES } from '../../workflows/patches';

const WORKFLOWS_DIR = path.resolve(__dirname, '../../workflows');

function patchIdsAskedFor(dir: string): string[] {
  const ids: string[] = [];
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.ts') && name !== 'patches.ts')) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const match of source.matchAll(/\b(?:patched|deprecatePatch)\(\s*(['"`])([^'"`]*)\1\s*\)/g)) ids.push(match[2]!);
    // An id that is not a literal cannot be checked against the registry.
    if (/\b(?:patched|deprecatePatch)\(\s*[^'"`\s)]/.test(source)) ids.push(`<not a literal in ${file}>`);
  }
  return ids.sort();
}

describe('the patch registry', () => {
  it('lists exactly the patch ids the workflow code asks for', () => {
    expect(patchIdsAskedFor(WORKFLOWS_DIR)).toEqual(PATCHES.map((patch) => patch.id).sort());
  });

  it('gives every patch a unique kebab-case id, a reason and the date it was made', () => {
    expect(new Set(PATCHES.map((patch) => patch.id)).size).toBe(PATCHES.length);
    for (const patch of PATCHES) {
      expect(patch.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(patch.why.length).toBeGreaterThan(10);
      expect(patch.since).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('finds a patch id the code asks for but the registry lacks', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patches-'));
    fs.writeFileSync(path.join(dir, 'lead.ts'), "if (patched('faster-cadence')) await sleep(1);\nif (patched(id)) return;\n");
    expect(patchIdsAskedFor(dir)).toEqual(['<not a literal in lead.ts>', 'faster-cadence']);
  });
});
