import type { Server, ServerResponse } from 'node:http';
import { createApp, type DrainState } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { buildContainer, type Container, type ContainerOverrides } from './container';
import { installFeatures } from './features';
import { createLogger } from './logger';

/**
 * Start-up: config -> stores -> app -> listen. SIGTERM/SIGINT drain the instance:
 *   1. at once /readyz answers 503 (a balancer stops sending new calls) and every answer carries
 *      `Connection: close` (keep-alive clients reconnect to another instance);
 *   2. for DRAIN_NOTICE_SECONDS the port stays open, so requests already routed here still land;
 *   3. the port closes, requests in flight finish, idle connections close, then the stores.
 * A drain that hangs is cut short 20 s after the notice.
 */
export interface RunningInstance {
  server: Server;
  container: Container;
  drain(signal: string): Promise<void>;
}

export async function startServer(config: Config, overrides: ContainerOverrides = {}): Promise<RunningInstance> {
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL);
  const container = await buildContainer(config, { ...overrides, logger });
  installFeatures(container);
  const state: DrainState = { draining: false };
  const app = createApp(container, state);
  for (const f of container.features) f.start?.();
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.PORT, () => resolve(s));
    s.once('error', reject);
  });
  logger.info('threering listening', {
    port: config.PORT,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    database: container.db.kind,
    coordination: config.REDIS_URL ? 'redis' : 'in-process',
  });
  // Twilio gives up after 15 s; keep-alive sockets should outlive its connection reuse.
  server.keepAliveTimeout = 65_000;
  // Answers still being worked on when the drain starts must close their connection too.
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });

  let drained: Promise<void> | null = null;
  const drain = (signal: string) => {
    drained ??= (async () => {
      state.draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      logger.info('draining', { signal, noticeSeconds: config.DRAIN_NOTICE_SECONDS });
      await new Promise((resolve) => setTimeout(resolve, config.DRAIN_NOTICE_SECONDS * 1000));
      const force = setTimeout(() => {
        logger.error('drain took too long; closing what is left');
        server.closeAllConnections();
      }, 20_000);
      force.unref();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearTimeout(force);
      await container.close().catch((err) => logger.error('close failed', { err }));
      logger.info('drained', { signal });
    })();
    return drained;
  };
  return { server, container, drain };
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  drainOnSignals(await startServer(config), config.DRAIN_NOTICE_SECONDS);
}

/** SIGTERM or SIGINT drains the instance, then the process exits 0 (1 if the drain hangs). */
export function drainOnSignals(instance: RunningInstance, noticeSeconds: number): void {
  const stop = (signal: string) => {
    const force = setTimeout(() => process.exit(1), (noticeSeconds + 25) * 1000);
    force.unref();
    void instance.drain(signal).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`threering failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
