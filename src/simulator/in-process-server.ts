import type { Server } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createApp } from '../app';
import { loadConfig } from '../config';
import { buildContainer, type Container, type ContainerOverrides } from '../container';
import { installFeatures } from '../features';

/** A free TCP port on 127.0.0.1 (the server's PUBLIC_BASE_URL must be known before it is built). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface RunningServer {
  url: string;
  container: Container;
  close(): Promise<void>;
}

/**
 * The whole server (container, features and their background loops, the HTTP app) listening on
 * 127.0.0.1, as `npm start` runs it, but in this process: the demo, the simulator's test and the
 * benchmarks use it. It listens on env.PORT, else a free port; PUBLIC_BASE_URL is the loopback
 * address unless `env` names another.
 */
export async function startInProcessServer(env: Record<string, string>, overrides: ContainerOverrides = {}): Promise<RunningServer> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({ PUBLIC_BASE_URL: url, ...env, PORT: String(port) });
  const container = await buildContainer(config, overrides);
  installFeatures(container);
  const app = createApp(container);
  for (const f of container.features) f.start?.();
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  return {
    url,
    container,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await container.close();
    },
  };
}
