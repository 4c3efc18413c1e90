import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';

/**
 * compose.yaml and the Dockerfile are read by nothing else in the test suite, and production
 * refuses development secrets: a setting that becomes required in src/config.ts but is left out
 * of compose stops the container only on the day of a deployment. Here it fails a test instead.
 */
const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

// ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}
const interpolation = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** What an operator would export for VAR: plausible values of the shape config.ts checks. */
function productionValue(name: string): string {
  if (name === 'PUBLIC_BASE_URL') return 'https://hotline.example.com';
  if (name.endsWith('_SID')) return 'AC' + randomBytes(16).toString('hex');
  return randomBytes(16).toString('hex');
}

function interpolate(value: string): string {
  return value.replace(interpolation, (_m, name: string, op: string | undefined, rest: string | undefined) =>
    op?.endsWith('-') ? (rest ?? '') : productionValue(name),
  );
}

/** The app service's environment, list or map form, as compose would hand it to the container. */
function composeEnvironment(): { env: Record<string, string>; insisted: string[] } {
  const compose = parse(read('compose.yaml')) as { services: { app: { environment?: unknown } } };
  const raw = compose.services.app.environment ?? {};
  const entries: [string, string][] = Array.isArray(raw)
    ? raw.map((line: string) => {
        const i = line.indexOf('=');
        return [line.slice(0, i), line.slice(i + 1)];
      })
    : Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]);
  // The variables compose itself refuses to start without (`:?` / `?`).
  const insisted = entries.flatMap(([, v]) => [...v.matchAll(interpolation)].filter((m) => m[2]?.endsWith('?')).map((m) => m[1]!));
  return { env: Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v)])), insisted };
}

/** The image's `ENV KEY=VALUE ...` lines (what the container starts with before compose's). */
function dockerfileEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of read('Dockerfile').split('\n')) {
    const m = /^ENV\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const pair of m[1]!.split(/\s+/)) {
      const i = pair.indexOf('=');
      if (i > 0) env[pair.slice(0, i)] = pair.slice(i + 1);
    }
  }
  return env;
}

const productionEnv = () => ({ ...dockerfileEnvironment(), ...composeEnvironment().env });

const accepts = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return true;
  } catch {
    return false;
  }
};

/** Settings production cannot start without: those whose removal makes a working env fail. */
function requiredByConfig(env: Record<string, string>): string[] {
  if (!accepts(env)) return []; // 'passes every setting production requires' reports that
  return Object.keys(env).filter((key) => {
    const { [key]: _removed, ...rest } = env;
    return !accepts(rest);
  });
}

describe('compose.yaml runs the image in production', () => {
  it('with NODE_ENV=production from the Dockerfile', () => {
    expect(productionEnv().NODE_ENV).toBe('production');
  });

  it('passes every setting production requires', () => {
    // loadConfig's error names each missing or refused variable.
    expect(() => loadConfig(productionEnv())).not.toThrow();
  });

  it('insists on each of them being set, rather than starting with a default', () => {
    const env = productionEnv();
    const { insisted } = composeEnvironment();
    for (const key of requiredByConfig(env).filter((k) => k !== 'NODE_ENV')) expect(insisted).toContain(key);
  });
});

describe("the Dockerfile's docker run example", () => {
  it('lists every variable production requires', () => {
    const comments = read('Dockerfile')
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n');
    const listed = [...comments.matchAll(/-e\s+([A-Z_][A-Z0-9_]*)=/g)].map((m) => m[1]);
    const env = productionEnv();
    const required = new Set([...composeEnvironment().insisted, ...requiredByConfig(env)]);
    required.delete('NODE_ENV'); // the image sets it
    for (const key of required) expect(listed, `docker run example lacks -e ${key}=...`).toContain(key);
  });
});
