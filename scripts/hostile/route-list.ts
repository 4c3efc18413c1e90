import type { Express } from 'express';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { buildContainer } from '../../src/container';
import { installFeatures } from '../../src/features';

/** Who may call a route, which decides how a hostile request is signed or authenticated. */
export type RouteKind = 'webhook' | 'api' | 'console' | 'signed-link' | 'metrics' | 'health';

export interface RouteEntry {
  method: string;
  /** The Express path with its parameters, e.g. /api/agents/:id */
  path: string;
  kind: RouteKind;
}

interface LayerLike {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  rawPath?: unknown;
  slash?: boolean;
}

function kindOf(path: string): RouteKind {
  if (path.startsWith('/webhooks/')) return 'webhook';
  if (path.startsWith('/api/')) return 'api';
  if (path.startsWith('/console')) return 'console';
  if (path === '/metrics') return 'metrics';
  if (path === '/healthz' || path === '/readyz') return 'health';
  // Everything else public is opened by a link texted to an agent: its token is the key.
  return 'signed-link';
}

/**
 * Every route the app answers, read from Express's own router (nested routers included), so a
 * route added tomorrow is attacked tomorrow without anyone listing it here.
 */
export function listRoutes(app: Express): RouteEntry[] {
  const out: RouteEntry[] = [];
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route && typeof layer.route.path === 'string') {
        const path = (prefix + layer.route.path).replace(/\/+/g, '/');
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
          out.push({ method: method.toUpperCase(), path, kind: kindOf(path) });
        }
      } else if (layer.handle?.stack) {
        const mount = layer.slash || typeof layer.rawPath !== 'string' ? '' : layer.rawPath;
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: LayerLike[] } }).router.stack, '');
  const seen = new Set<string>();
  return out.filter((r) => (seen.has(`${r.method} ${r.path}`) ? false : (seen.add(`${r.method} ${r.path}`), true)));
}

/** The routes of the app as `npm start` builds it, with /metrics switched on (an in-memory database, closed at once). */
export async function appRoutes(): Promise<RouteEntry[]> {
  const container = await buildContainer(loadConfig({ PGLITE_DATA_DIR: 'memory://', METRICS_TOKEN: 'route-listing-only-token', LOG_LEVEL: 'error' }));
  try {
    installFeatures(container);
    return listRoutes(createApp(container));
  } finally {
    await container.close();
  }
}
