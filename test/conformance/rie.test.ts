/**
 * The built layers under AWS's own Runtime Interface Emulator, not under our sandbox: a
 * stand-in we wrote ourselves shares our assumptions. Each case runs in a private mount and
 * network namespace with the layer at /opt exactly as a container image's two COPY lines put
 * it, moto on the namespace's loopback, and a Lambda-like PATH.
 *
 * Cases: a Python function with no node reachable and the standalone layer (the common
 * one), a Node function with the node layer, a Node function with the standalone layer; then
 * a bad configuration, and the node layer on a Python function (Extension.LaunchError).
 *
 * Where this machine cannot run them (no Go to build RIE, no unshare) the suite says so in a
 * loud SKIPPED line; with SECRET_SIDECAR_REQUIRE_CONFORMANCE=1 (set by .ci/run) it fails.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { buildPaths } from '../../scripts/build.ts';
import {
  FUNCTIONS,
  riePath,
  runScenario,
  type ScenarioReport,
  unavailable,
} from '../../tools/rie/scenario.ts';
import { listZip, readZipHead } from '../support/zip.ts';

const reason = unavailable();
if (reason !== undefined) {
  if (process.env.SECRET_SIDECAR_REQUIRE_CONFORMANCE === '1') {
    throw new Error(
      `conformance suite required (SECRET_SIDECAR_REQUIRE_CONFORMANCE=1) but cannot run: ${reason}`,
    );
  }
  process.stderr.write(`\n*** SKIPPED: conformance suite under aws-lambda-rie: ${reason} ***\n\n`);
}

const build = buildPaths(inject('conformanceBuildDir'));
const moto = process.env.MOTO_SERVER ?? 'moto_server';

const cases = {
  'python3, standalone layer, no node reachable': {
    layerDir: build.standalone('x86_64').layerDir,
    functionFiles: FUNCTIONS.python,
    hideNode: true,
  },
  'node, node layer': { layerDir: build.layerDir, functionFiles: FUNCTIONS.node, hideNode: false },
  'node, standalone layer': {
    layerDir: build.standalone('x86_64').layerDir,
    functionFiles: FUNCTIONS.node,
    hideNode: false,
  },
} as const;

describe.runIf(reason === undefined)('the layer under aws-lambda-rie', () => {
  const reports = new Map<string, ScenarioReport>();
  let badConfig: ScenarioReport;
  let launchError: ScenarioReport;

  beforeAll(async () => {
    const rie = riePath();
    const run = (spec: Omit<Parameters<typeof runScenario>[0], 'rie' | 'moto'>) =>
      runScenario({ rie, moto, ...spec });
    // Two at a time: each namespace has its own loopback, so ports never collide.
    const entries = Object.entries(cases);
    for (let i = 0; i < entries.length; i += 2) {
      await Promise.all(
        entries.slice(i, i + 2).map(async ([name, c]) => {
          reports.set(name, await run({ ...c, env: {} }));
        }),
      );
    }
    [badConfig, launchError] = await Promise.all([
      run({
        ...cases['python3, standalone layer, no node reachable'],
        env: { SECRET_SIDECAR_TTL_SECONDS: 'soon' },
      }),
      run({ layerDir: build.layerDir, functionFiles: FUNCTIONS.python, hideNode: true, env: {} }),
    ]);
  }, 240_000);

  describe.each(Object.keys(cases))('%s', (name) => {
    const report = () => {
      const r = reports.get(name);
      if (!r) throw new Error(`no report for ${name}`);
      expect(r.error).toBeUndefined();
      return r;
    };

    it('registers the extension under its file name for INVOKE and SHUTDOWN', () => {
      expect(report().output).toContainEqual(
        expect.stringMatching(
          /External agent secret-sidecar \(.+\) registered, subscribed to \[INVOKE SHUTDOWN\]/,
        ),
      );
    });

    it("has the secret's file, mode 0600, when the function's init code runs", () => {
      const r = report();
      expect(r.steps.init).toEqual({
        status: 200,
        body: { ok: true, mode: 0o600, value: r.expected?.first },
      });
    });

    it('answers the HTTP API with 200, and 401 without the token, 403 with a wrong one', () => {
      const r = report();
      expect(r.steps.good?.body).toEqual({ status: 200, value: r.expected?.first });
      expect(r.steps.none?.body).toEqual({ status: 401, type: 'Unauthorized' });
      expect(r.steps.wrong?.body).toEqual({ status: 403, type: 'Forbidden' });
    });

    it('serves the rotated value once the TTL has passed', () => {
      const r = report();
      expect(r.steps.rotated?.body).toEqual({ status: 200, value: r.expected?.second });
    });

    it('writes no secret value or token to any output line', () => {
      const r = report();
      const text = r.output.join('\n');
      expect(text).toContain('"message":"fetched"');
      for (const canary of r.canaries ?? []) expect(text).not.toContain(canary);
    });

    it('gets SHUTDOWN on SIGTERM to RIE, and everything exits 0 within 2 s', () => {
      const r = report();
      expect(r.output).toContainEqual(expect.stringContaining('"message":"shutdown"'));
      expect(r.output).toContainEqual(expect.stringContaining('"reason":"SandboxTerminated"'));
      expect(r.shutdown).toMatchObject({ code: 0, signal: null });
      expect(r.shutdown?.ms).toBeLessThan(2_000);
    });
  });

  it('fails init on a bad configuration, naming the variable and what is allowed', () => {
    expect(badConfig.steps.init?.status).toBe(502);
    expect(badConfig.output.join('\n')).toContain(
      'SECRET_SIDECAR_TTL_SECONDS must be an integer from 0 to 86400, got \\"soon\\"',
    );
    expect(badConfig.output).toContainEqual(expect.stringContaining('Extension.InitError'));
  });

  it('reports Extension.LaunchError, naming the flavour to attach, for the node layer on a Python function', () => {
    expect(launchError.steps.init?.status).toBe(502);
    const text = launchError.output.join('\n');
    expect(text).toContain('attach the standalone flavour');
    expect(text).toContain('External agent secret-sidecar');
    expect(text).toContain('First fatal error stored in appctx: Extension.InitError');
  });

  it('ships the arm64 zip with the same layout and modes as the x86_64 one, and an aarch64 node', async () => {
    const shape = async (zip: string) =>
      (await listZip(zip)).map((e) => `${e.path} ${(e.mode & 0o777).toString(8)}`);
    const x86 = await shape(build.standalone('x86_64').zip);
    const arm = await shape(build.standalone('arm64').zip);
    expect(arm).toEqual(x86);
    expect(arm).toEqual(
      expect.arrayContaining([
        'extensions/secret-sidecar 755',
        'secret-sidecar/bin/node 755',
        'secret-sidecar/index.mjs 644',
        'secret-sidecar/licenses/node.LICENSE 644',
      ]),
    );
    const elf = await readZipHead(build.standalone('arm64').zip, 'secret-sidecar/bin/node', 20);
    expect(elf.readUInt16LE(18)).toBe(0xb7); // EM_AARCH64
  });
});
