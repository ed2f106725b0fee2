/**
 * `npm run bench`: both benchmarks, one after the other, with their default sizes (about 1.5
 * minutes on a 2-core machine): the ingest handler alone, then the whole local pipeline with the
 * fake Traffic Orchestrator answering at once and after 300 ms. Flags are passed on to each
 * (`npm run bench -- --requests 500 --purchases 50`); bench/README.md explains the figures.
 *
 * Exits 0 when every request was answered and every purchase provisioned exactly once, whatever
 * the times (a slow machine is not a failure); 1 otherwise; 2 if the watchdog had to stop it.
 */
import '../local/process-defaults';
import { main as ingestMain } from './ingest-latency';
import { runAsScript } from './measure';
import { main as provisioningMain } from './provisioning-latency';

const WATCHDOG_MS = 6 * 60_000;

async function runAll(argv: readonly string[]): Promise<boolean> {
  const print = (line = ''): void => {
    process.stdout.write(`${line}\n`);
  };
  const started = Date.now();
  const ingestOk = await ingestMain(argv, print);
  print();
  const provisioningOk = await provisioningMain(argv, print);
  print();
  print(`Both benchmarks took ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  return ingestOk && provisioningOk;
}

runAsScript(() => runAll(process.argv.slice(2)), WATCHDOG_MS, 'npm run bench');
