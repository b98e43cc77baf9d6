/**
 * `make bench`: measures lookup latency, cold start, RSS, layer size and upstream calls in
 * one run on this machine, then writes docs/BENCHMARKS.md and docs/benchmarks.svg.
 * Starts its own moto_server (MOTO_SERVER or PATH) and sandboxes, and stops them all, also
 * on failure or Ctrl-C. Run after `make build`: `npx tsx tools/bench/run.ts`.
 */
import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MotoServer, startMoto } from '../fakes/moto-server.ts';
import { renderLatencyChart } from './chart.ts';
import { runColdStarts } from './cold-start.ts';
import { seedSecret } from './fixture.ts';
import { runInstructions } from './instructions.ts';
import { runLookups } from './lookups.ts';
import { machineInfo } from './machine.ts';
import { runManyIds } from './many-ids.ts';
import { runMemoryFlags } from './memory-flags.ts';
import { agentBinary } from './peer-processes.ts';
import { runPeers } from './peers.ts';
import { type BenchResults, CHART_FILE, chartBars, renderReport } from './report.ts';
import { runRieInit } from './rie-init.ts';
import { idleNodeMemory } from './rss.ts';
import { runStartup } from './startup.ts';
import { runUpstream } from './upstream.ts';
import { layerSizes, prepareWorkspace, type Workspace } from './workspace.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DOCS = join(ROOT, 'docs');

async function main(): Promise<void> {
  const started = performance.now();
  const say = (line: string): void => {
    const t = ((performance.now() - started) / 1000).toFixed(1).padStart(5);
    process.stdout.write(`[bench ${t}s] ${line}\n`);
  };
  const machine = machineInfo();
  say(
    `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadAverage.toFixed(2)}`,
  );

  let moto: MotoServer | undefined;
  let ws: Workspace | undefined;
  const emergencyStop = (signal: NodeJS.Signals): void => {
    process.stderr.write(`bench: ${signal}, cleaning up\n`);
    if (ws) rmSync(ws.dir, { recursive: true, force: true });
    const done = moto ? moto.stop() : Promise.resolve();
    // process.exit runs the sandbox's exit hook, which kills its process groups.
    void done.finally(() => process.exit(130));
  };
  process.once('SIGINT', emergencyStop);
  process.once('SIGTERM', emergencyStop);

  try {
    say('layer sizes, workspace (layer copies + bundled handlers), moto_server');
    const layers = await layerSizes(ROOT);
    const agentBin = agentBinary(ROOT);
    if (agentBin === undefined) {
      say(
        "*** SKIPPED: AWS's Secrets Manager Agent is not built (scripts/ensure-agent.sh needs cargo) ***",
      );
    }
    ws = await prepareWorkspace(ROOT);
    moto = await startMoto();
    await seedSecret(moto.endpoint);

    say('lookup latency (in a sandboxed handler next to the extension)');
    const lookups = await runLookups(ws, moto.endpoint, say);
    const idleNode = await idleNodeMemory();
    say(
      `extension RSS ${(lookups.extensionMemory.rssBytes / 1e6).toFixed(1)} MB (idle node ${(idleNode.rssBytes / 1e6).toFixed(1)} MB)`,
    );

    say('cold starts (fresh sandboxes: 1 secret, no secrets, no layer)');
    const coldStart = await runColdStarts(ws, moto.endpoint, say);
    say(
      `spawn → registered median ${coldStart.withSecret.median} ms (fetch ${coldStart.fetch.median} ms), no secrets ${coldStart.noSecret.median} ms`,
    );

    say('upstream calls under steady traffic (counting proxy in front of moto)');
    const upstream = await runUpstream(ws, moto.endpoint, say);

    say("next to AWS's agent and the node floor: latency, wrk throughput, CPU, memory");
    const peers = await runPeers(ws, moto.endpoint, agentBin, say);
    for (const s of peers.skipped) say(`*** SKIPPED: ${s} ***`);

    say('instructions per cached read under callgrind (extension, floor, agent)');
    const instructions = await runInstructions(ws, moto.endpoint, agentBin, say);
    for (const s of instructions.skipped) say(`*** SKIPPED: ${s} ***`);

    say('start-up (spawn → first 200) and the first read after expiry');
    const startup = await runStartup(ws, moto.endpoint, agentBin, say);

    say('Node options on the extension: memory and throughput per candidate');
    const flags = await runMemoryFlags(ws, moto.endpoint, say);

    say('5,000 distinct ids through one extension: memory and cached reads stay flat');
    const manyIds = await runManyIds(ws, moto.endpoint, say);

    say("INIT added under AWS's Runtime Interface Emulator");
    const rie = await runRieInit(ws, process.env.MOTO_SERVER ?? 'moto_server', say);
    if (rie.skipped !== undefined) say(`*** SKIPPED: RIE phase: ${rie.skipped} ***`);

    const results: BenchResults = {
      date: new Date().toISOString(),
      machine,
      lookups,
      coldStart,
      layers,
      upstream,
      peers,
      instructions,
      startup,
      flags,
      manyIds,
      rie,
      idleNode,
      runtimeSeconds: (performance.now() - started) / 1000,
    };
    await mkdir(DOCS, { recursive: true });
    await writeFile(
      join(DOCS, CHART_FILE),
      renderLatencyChart(
        'Secret lookup latency (p50 / p99)',
        chartBars(lookups.methods, peers.results),
      ),
    );
    await writeFile(join(DOCS, 'BENCHMARKS.md'), renderReport(results));
    say(`wrote docs/BENCHMARKS.md and docs/${CHART_FILE}`);
  } finally {
    await ws?.cleanup();
    await moto?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
