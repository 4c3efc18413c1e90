import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const markdown = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Every relative link target of a markdown file, `[text](target)`, without its #anchor. */
const relativeLinks = (text: string) =>
  [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!.split('#')[0]!).filter((x) => x && !/^[a-z]+:/i.test(x));

describe('the documentation stays inside the project', () => {
  it.each(markdown)('%s names no file outside the repository', (file) => {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    expect(text).not.toMatch(/\.\.\/shared\b/);
    for (const link of relativeLinks(text)) {
      const target = path.resolve(path.dirname(path.join(ROOT, file)), link);
      expect(target.startsWith(ROOT + path.sep), `${file} → ${link}`).toBe(true);
      expect(existsSync(target), `${file} → ${link}`).toBe(true);
    }
  });

  it('the README sends readers to the rules with their sources, docs/RULES.md, which names a source for every rule', () => {
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('](docs/RULES.md)');
    const rules = readFileSync(path.join(ROOT, 'docs/RULES.md'), 'utf8');
    const sections = rules.split(/^## /m).slice(1).filter((s) => /^R\d+/.test(s));
    expect(sections.length).toBeGreaterThanOrEqual(13);
    for (const s of sections) expect(s, s.split('\n')[0]).toMatch(/\*Sources?: /);
  });
});
