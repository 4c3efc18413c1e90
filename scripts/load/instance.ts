/**
 * One server instance of a load run, in its own Node process: src/server.ts as `npm start` runs
 * it (same drain on SIGTERM), with one difference: its clock runs LOAD_TIME_SCALE times the wall
 * clock from LOAD_CLOCK_EPOCH_MS, the same clock as the load driver's and the other instance's,
 * so prompts and rings can be played faster than real time and every Timestamp still agrees.
 */
import { loadConfig } from '../../src/config';
import { drainOnSignals, startServer } from '../../src/server';
import { ScaledClock } from '../../src/simulator/real-time';
import { sharedScaledClock } from './shared-clock';

async function main() {
  const config = loadConfig();
  const clock: ScaledClock = sharedScaledClock(Number(process.env.LOAD_CLOCK_EPOCH_MS), Number(process.env.LOAD_TIME_SCALE ?? '1'));
  drainOnSignals(await startServer(config, { clock }), config.DRAIN_NOTICE_SECONDS);
}

main().catch((err) => {
  process.stderr.write(`load instance failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
