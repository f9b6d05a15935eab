/**
 * The README and docs/*.md as a reader sees them: every table has a header row (without one,
 * Markdown renders the rows as plain text), every REST resource and CLI command is listed in the
 * README, links stay inside the repository, and the admin key's path is the one the service uses
 * (AUTODL_HOME, default ./.autodl).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildProgram } from '../src/cli/autodl';

const ROOT = path.resolve(__dirname, '..');
const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const README = read('README.md');

/** Consecutive lines starting with `|`, outside fenced code blocks, with their first line number. */
function tables(text: string): { line: number; rows: string[] }[] {
  const out: { line: number; rows: string[] }[] = [];
  let fenced = false;
  let current: { line: number; rows: string[] } | undefined;
  text.split('\n').forEach((l, i) => {
    if (l.trimStart().startsWith('```')) fenced = !fenced;
    if (!fenced && l.trimStart().startsWith('|')) {
      current ??= { line: i + 1, rows: [] };
      current.rows.push(l.trim());
    } else if (current) {
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walk(full) : [full];
  });
}

describe('README and docs', () => {
  test('every table has a header row and a separator row', () => {
    for (const file of DOCS)
      for (const t of tables(read(file)))
        assert.match(
          t.rows[1] ?? '',
          /^\|(\s*:?-{3,}:?\s*\|)+$/,
          `${file}:${t.line}: a table without a header row`,
        );
  });

  test('the README lists every /v1 resource of the API', () => {
    const resources = new Set<string>();
    for (const file of walk(path.join(ROOT, 'src')).filter((f) => f.endsWith('.controller.ts'))) {
      const src = fs.readFileSync(file, 'utf8');
      const prefix = /@Controller\('([^']*)'\)/.exec(src)?.[1] ?? '';
      if (!prefix.startsWith('v1')) continue;
      const routes = [...src.matchAll(/@(?:Get|Post|Put|Patch|Delete)\('([^']*)'\)/g)].map(
        (m) => m[1],
      );
      for (const r of routes.length ? routes : ['']) {
        const full = `/${[prefix, r].filter(Boolean).join('/')}`;
        resources.add(
          full
            .split('/')
            .slice(0, 3)
            .join('/')
            .replace(/\\*:.*$/, ''),
        );
      }
    }
    assert.ok(resources.has('/v1/nas') && resources.has('/v1/prune'), [...resources].join(' '));
    for (const r of resources) assert.ok(README.includes(`${r}`), `${r} is not in the README`);
  });

  test('the README lists every top-level command of the CLI', () => {
    const names = buildProgram().commands.map((c) => c.name());
    assert.ok(names.includes('nas') && names.includes('prune'), names.join(' '));
    for (const name of names)
      assert.match(
        README,
        new RegExp(`[|,] \`${name}[ \`]`),
        `autodl ${name} is not in the README`,
      );
  });

  test('links and ../ paths in the docs name files of the repository', () => {
    for (const file of DOCS) {
      const text = read(file);
      const targets = [
        ...[...text.matchAll(/\]\(([^)#\s]+)/g)].map((m) => m[1]),
        ...[...text.matchAll(/`(\.\.\/[^`\s]+)`/g)].map((m) => m[1]),
      ].filter((t) => !/^[a-z]+:/.test(t));
      for (const t of targets) {
        const resolved = path.resolve(path.dirname(path.join(ROOT, file)), t);
        assert.ok(
          resolved.startsWith(ROOT + path.sep) && fs.existsSync(resolved),
          `${file} points to ${t}, not a file of the repository`,
        );
      }
    }
  });

  test('the admin key is AUTODL_HOME/admin.key (default ./.autodl), the same in every page', () => {
    for (const file of DOCS)
      assert.doesNotMatch(read(file), /~\/\.autodl/, `${file}: the default home is ./.autodl`);
    assert.match(README, /\.autodl\/admin\.key/);
  });
});
