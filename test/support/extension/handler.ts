/**
 * The function code integration tests run in the sandbox: an ES module whose
 * module scope reads the prefetched file (as a user's init code would), and a
 * handler that reads through the file or the HTTP API and returns what it saw.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HANDLER = `
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';

const DIR = process.env.SECRET_SIDECAR_DIR ?? '/tmp/secret-sidecar';
const PORT = Number(
  process.env.SECRET_SIDECAR_HTTP_PORT || process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT || 2773,
);
const TOKEN = process.env.AWS_SESSION_TOKEN;

// Module scope = the function's init code.
let atInit;
try {
  atInit = { ok: true, envelope: JSON.parse(readFileSync(DIR + '/' + process.env.INIT_FILE, 'utf8')) };
} catch (e) {
  atInit = { ok: false, error: String(e.code ?? e) };
}

function get(path, { method = 'GET', headers } = {}) {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port: PORT, path, method, agent: false,
        headers: headers ?? { 'X-Aws-Parameters-Secrets-Token': TOKEN } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { body += c; });
        res.on('end', () => {
          let json;
          try { json = JSON.parse(body); } catch { json = undefined; }
          resolve({ status: res.statusCode, cache: res.headers['x-secret-sidecar-cache'], body, json });
        });
      });
    req.on('error', (e) => resolve({ status: 0, error: String(e.code ?? e) }));
    req.end();
  });
}

export const handler = async (event) => {
  switch (event.op) {
    case 'init':
      return atInit;
    case 'file': {
      const path = DIR + '/' + event.file;
      return {
        envelope: JSON.parse(readFileSync(path, 'utf8')),
        fileMode: statSync(path).mode & 0o777,
        dirMode: statSync(DIR).mode & 0o777,
      };
    }
    case 'http':
      return get(event.path, event);
    case 'fetch': {
      // The way AWS's Node example (and middy) call the extension: fetch to localhost, AWS's
      // port variable, the session token in the header.
      const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773;
      const res = await fetch('http://localhost:' + port + event.path, {
        headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN },
      });
      const body = await res.text();
      let json;
      try { json = JSON.parse(body); } catch { json = undefined; }
      return { status: res.status, body, json, cache: res.headers.get('x-secret-sidecar-cache') };
    }
    case 'many':
      return Promise.all(Array.from({ length: event.n }, () => get(event.path)));
    case 'concurrent': {
      // Starts each path event.staggerMs after the previous one; answers in the same order.
      const started = [];
      for (const path of event.paths) {
        started.push(get(path));
        await new Promise((r) => setTimeout(r, event.staggerMs ?? 0));
      }
      return Promise.all(started);
    }
    case 'exists': {
      try { statSync(DIR + '/' + event.file); return { exists: true }; }
      catch { return { exists: false }; }
    }
    case 'churn': {
      // Rewrites the file (refreshNow) while reading it, for event.ms.
      const end = Date.now() + event.ms;
      let writes = 0, reads = 0, partial = 0;
      const writer = (async () => {
        while (Date.now() < end) {
          const r = await get(event.refreshPath);
          if (r.status === 200) writes++;
        }
      })();
      const reader = (async () => {
        while (Date.now() < end) {
          const text = await readFile(DIR + '/' + event.file, 'utf8');
          try { JSON.parse(text); reads++; } catch { partial++; }
        }
      })();
      await Promise.all([writer, reader]);
      return { writes, reads, partial };
    }
    default:
      throw new Error('unknown op ' + event.op);
  }
};
`;

/** Writes the handler module into a new temp task root; returns its path. */
export async function writeTaskRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-task-'));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.mjs'), HANDLER);
  return dir;
}

/** What the handler's `http` op returns. */
export interface HttpSeen {
  readonly status: number;
  readonly cache?: string;
  readonly body: string;
  readonly json?: Record<string, unknown>;
  readonly error?: string;
}
