/** Formats the demo's closing report. */
import type { RotateResult } from '../fakes/rotation-driver.ts';
import type { RequestOutcome } from './traffic.ts';

/** Everything the report shows. */
export interface DemoFacts {
  readonly outcomes: readonly RequestOutcome[];
  readonly rejectedAsExpected: number;
  /** keyId → short label like `key_1a2b… (version 3f2e…)`. */
  readonly keyLabels: ReadonlyMap<string, string>;
  readonly rotations: readonly { readonly label: string; readonly result: RotateResult }[];
  readonly revoked: readonly string[];
  readonly smCalls: readonly { readonly who: string; readonly counts: Record<string, number> }[];
  readonly scannedLines: number;
  readonly leakedLines: number;
  readonly seconds: number;
}

function pct(sorted: readonly number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0
  );
}

const ms = (v: number): string => (v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(2)} ms`);

/** True when nothing failed. */
export function passed(f: DemoFacts): boolean {
  return (
    f.outcomes.every((o) => o.ok) &&
    f.rotations.every((r) => r.result.ok) &&
    f.leakedLines === 0 &&
    f.rejectedAsExpected === 1
  );
}

/** The report as text lines. */
export function renderReport(f: DemoFacts): string {
  const ok = f.outcomes.filter((o) => o.ok).length;
  const failed = f.outcomes.length - ok;
  const lookups = f.outcomes
    .map((o) => o.secretLookupMs)
    .filter((v): v is number => typeof v === 'number')
    .sort((a, b) => a - b);
  const lines: string[] = ['', '== secret-sidecar demo report ==', ''];
  lines.push(
    `Requests:      ${ok} ok, ${failed} failed  (+ ${f.rejectedAsExpected} request without a token, rejected with 401 as expected)`,
  );
  if (lookups.length > 0) {
    lines.push(
      `Key lookup:    p50 ${ms(pct(lookups, 50))}, p99 ${ms(pct(lookups, 99))}, max ${ms(lookups.at(-1) ?? 0)}  (measured in the handler, ${lookups.length} lookups)`,
    );
  }
  lines.push('', 'Key that served each phase:');
  const phases = [...new Set(f.outcomes.map((o) => o.phase))];
  const width = Math.max(...phases.map((p) => p.length));
  for (const phase of phases) {
    const inPhase = f.outcomes.filter((o) => o.phase === phase);
    const byKey = new Map<string, number>();
    for (const o of inPhase) {
      const k = o.keyId ?? (o.ok ? 'unknown' : `failed (${o.error})`);
      byKey.set(k, (byKey.get(k) ?? 0) + 1);
    }
    const served = [...byKey].map(([k, n]) => `${f.keyLabels.get(k) ?? k} ×${n}`).join(', ');
    lines.push(
      `  ${phase.padEnd(width)}  ${String(inPhase.length).padStart(3)} requests  ${served}`,
    );
  }
  lines.push('', 'Rotations (the real rotation function, in its own sandbox):');
  for (const { label, result } of f.rotations) {
    const steps = result.steps
      .map(
        (s) => `${s.step} ${s.durationMs.toFixed(0)} ms ${s.ok ? 'ok' : `FAILED ${s.error ?? ''}`}`,
      )
      .join(' → ');
    lines.push(`  ${label} (token ${result.token.slice(0, 8)}…): ${steps}`);
  }
  if (f.revoked.length > 0) {
    lines.push(
      `  revoked at the provider: ${f.revoked.map((k) => f.keyLabels.get(k) ?? k).join(', ')}`,
    );
  }
  lines.push('', 'Secrets Manager calls (counted by a proxy in front of moto):');
  for (const { who, counts } of f.smCalls) {
    const parts = Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([op, n]) => `${op} ${n}`);
    lines.push(`  ${who.padEnd(18)} ${parts.join(', ') || 'none'}`);
  }
  lines.push(
    '',
    `Key material in logs: ${f.leakedLines === 0 ? 'none' : `FOUND in ${f.leakedLines} lines`} (scanned ${f.scannedLines} lines from the extension, the functions and the runtime)`,
    '',
    `${passed(f) ? 'PASS' : 'FAIL'} in ${f.seconds.toFixed(1)} s`,
  );
  return lines.join('\n');
}
