import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { buildContainer } from './container';
import { installFeatures } from './features';
import { createLogger } from './logger';

/** Start-up: config -> stores -> app -> listen; SIGTERM/SIGINT drain requests and close connections. */
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
  const logger = createLogger(config.LOG_LEVEL);
  const container = await buildContainer(config, { logger });
  installFeatures(container);
  const app = createApp(container);
  for (const f of container.features) f.start?.();
  const server = app.listen(config.PORT, () => {
    logger.info('threering listening', {
      port: config.PORT,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      database: container.db.kind,
      coordination: config.REDIS_URL ? 'redis' : 'in-process',
    });
  });
  // Twilio gives up after 15 s; keep-alive sockets should outlive its connection reuse.
  server.keepAliveTimeout = 65_000;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    server.close(async () => {
      await container.close().catch((err) => logger.error('close failed', { err }));
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`threering failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
