/**
 * Thousands of distinct ids (issue 13): the extension reads 5,000 secrets it was not
 * configured with, 500 at a time, with the default cache of 1,000 entries, so most of them
 * are evicted again. After each block it reports the process's RSS, the latency of those
 * first reads (misses, each a GetSecretValue to moto) and of cached reads of one hot id.
 * Memory and cached-read latency must stay flat: an evicted value must cost nothing, in the
 * cache or in the redactor. The bounds are {@link MANY_IDS_BOUNDS}.
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigLimits } from '../../extension/config.ts';
import { freePort } from '../fakes/moto-server.ts';
import { firstOk, get, type HttpTarget } from './http-load.ts';
import { SECRET_PATH } from './peer-processes.ts';
import { processMemory } from './rss.ts';
import { benchSandbox, extensionPid } from './sandbox-run.ts';
import { summarize } from './stats.ts';
import type { Workspace } from './workspace.ts';

/** The load. */
export const MANY_IDS = { ids: 5_000, block: 500, valueBytes: 2_048, hotReads: 500 } as const;

/**
 * What "flat" means, from the block at which the cache is full (the extension's default
 * {@link ConfigLimits.cacheSize}: until then memory grows by design, one entry per id) to
 * the last. MiB = 2^20 bytes.
 */
export const MANY_IDS_BOUNDS = {
  /** RSS after the last block, over RSS once the cache is full. */
  rssGrowthBytes: 16 * 2 ** 20,
  /** Cached-read p99 of the last block, over that once the cache is full. */
  hotP99Ratio: 2,
} as const;

/** The cache size the extension runs with here (its default). */
export const MANY_IDS_CACHE_SIZE = ConfigLimits.cacheSize.default;

/** The figures after one block. */
export interface ManyIdsBlock {
  readonly idsRead: number;
  readonly rssBytes: number;
  readonly missP50Us: number;
  readonly missP99Us: number;
  readonly hotP50Us: number;
  readonly hotP99Us: number;
}

/** The whole phase. */
export interface ManyIdsPhase {
  readonly blocks: readonly ManyIdsBlock[];
}

const PREFIX = 'secret-sidecar-bench/many';

async function seed(endpoint: string): Promise<string[]> {
  const sm = new SecretsManagerClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const run = randomBytes(4).toString('hex');
  const names = Array.from({ length: MANY_IDS.ids }, (_, i) => `${PREFIX}/${run}/${i}`);
  try {
    for (let i = 0; i < names.length; i += 32) {
      await Promise.all(
        names.slice(i, i + 32).map((Name) =>
          sm.send(
            new CreateSecretCommand({
              Name,
              SecretString: randomBytes(MANY_IDS.valueBytes / 2).toString('hex'),
            }),
          ),
        ),
      );
    }
  } finally {
    sm.destroy();
  }
  return names;
}

async function timed(target: HttpTarget, agent: Agent): Promise<number> {
  const t0 = process.hrtime.bigint();
  const status = await get(target, agent);
  const ns = Number(process.hrtime.bigint() - t0);
  if (status !== 200) throw new Error(`GET :${target.port}${target.path} answered ${status}`);
  return ns;
}

/** Seeds the ids, then reads them block by block from one extension. */
export async function runManyIds(
  ws: Workspace,
  endpoint: string,
  progress: (line: string) => void,
): Promise<ManyIdsPhase> {
  const names = await seed(endpoint);
  progress(`  seeded ${names.length} secrets of ${MANY_IDS.valueBytes} bytes`);
  const token = randomBytes(32).toString('base64url');
  const port = await freePort();
  const sandbox = await benchSandbox(ws, {
    handler: 'noop.handler',
    secretFolder: 'many-ids',
    endpoint,
    freeze: false,
    httpPort: port,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: token },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const hot = { port, path: SECRET_PATH, token };
  const blocks: ManyIdsBlock[] = [];
  try {
    await Promise.all([sandbox.init(), firstOk(hot, performance.now())]);
    const pid = extensionPid(sandbox);
    for (let at = 0; at < names.length; at += MANY_IDS.block) {
      const misses: number[] = [];
      for (const name of names.slice(at, at + MANY_IDS.block)) {
        misses.push(
          await timed(
            { port, token, path: `/secretsmanager/get?secretId=${encodeURIComponent(name)}` },
            agent,
          ),
        );
      }
      const hits: number[] = [];
      for (let i = 0; i < MANY_IDS.hotReads; i++) hits.push(await timed(hot, agent));
      const miss = summarize(misses);
      const hit = summarize(hits);
      const { rssBytes } = await processMemory(pid);
      blocks.push({
        idsRead: at + misses.length,
        rssBytes,
        missP50Us: miss.p50Us,
        missP99Us: miss.p99Us,
        hotP50Us: hit.p50Us,
        hotP99Us: hit.p99Us,
      });
      progress(
        `  ${String(at + misses.length).padStart(5)} ids: RSS ${(rssBytes / 2 ** 20).toFixed(1)} MiB, miss p50 ${(miss.p50Us / 1000).toFixed(2)} ms, cached p99 ${hit.p99Us.toFixed(0)} µs`,
      );
    }
  } finally {
    agent.destroy();
    await sandbox.shutdown();
  }
  return { blocks };
}

/** Whether the phase stayed within {@link MANY_IDS_BOUNDS}, with the figures judged. */
export function judgeManyIds(p: ManyIdsPhase): {
  readonly rssGrowthBytes: number;
  readonly hotP99Ratio: number;
  /** The highest RSS of any block. */
  readonly peakRssBytes: number;
  readonly pass: boolean;
} {
  const peakRssBytes = Math.max(...p.blocks.map((b) => b.rssBytes));
  const first = p.blocks.find((b) => b.idsRead >= MANY_IDS_CACHE_SIZE);
  const last = p.blocks.at(-1);
  if (!first || !last) {
    return { rssGrowthBytes: Number.NaN, hotP99Ratio: Number.NaN, peakRssBytes, pass: false };
  }
  const rssGrowthBytes = last.rssBytes - first.rssBytes;
  const hotP99Ratio = last.hotP99Us / first.hotP99Us;
  return {
    rssGrowthBytes,
    hotP99Ratio,
    peakRssBytes,
    pass:
      rssGrowthBytes <= MANY_IDS_BOUNDS.rssGrowthBytes &&
      hotP99Ratio <= MANY_IDS_BOUNDS.hotP99Ratio,
  };
}
