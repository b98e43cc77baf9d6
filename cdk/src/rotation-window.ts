/**
 * Checks a rotation schedule and window the way Secrets Manager does at RotateSecret: a
 * window must not reach into the next window, nor into the next UTC day ("Rotation
 * schedules", Secrets Manager User Guide). Pure, so every combination is a unit test.
 */

/** Minutes of the UTC day at which a 6-field `cron(...)` expression opens a window. */
export function cronStartsMinutes(cron: string): number[] | undefined {
  const m = /^cron\((\S+) (\S+) \S+ \S+ \S+ \S+\)$/.exec(cron);
  if (!m) return undefined;
  const minutes = expand(m[1] ?? '', 59);
  const hours = expand(m[2] ?? '', 23);
  if (minutes === undefined || hours === undefined) return undefined;
  return hours.flatMap((h) => minutes.map((min) => h * 60 + min)).sort((a, b) => a - b);
}

/** Expands one cron field (`*`, `n`, `a-b`, `a/n`, `*\/n`, lists) over 0..max. */
function expand(field: string, max: number): number[] | undefined {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const step = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!step) return undefined;
    const [, base = '', by] = step;
    const [from, to] =
      base === '*'
        ? [0, max]
        : base.includes('-')
          ? (base.split('-').map(Number) as [number, number])
          : [Number(base), by === undefined ? Number(base) : max];
    const inc = by === undefined ? 1 : Number(by);
    if (!(from >= 0 && to <= max && from <= to && inc >= 1)) return undefined;
    for (let v = from; v <= to; v += inc) out.add(v);
  }
  return [...out];
}

/**
 * Problems with a window of `windowHours` for the schedule: `cron`, or a rate of
 * `rateHours`. Empty when Secrets Manager would accept it.
 */
export function rotationWindowProblems(o: {
  readonly cron?: string | undefined;
  readonly rateHours: number;
  readonly windowHours: number | undefined;
}): string[] {
  const w = o.windowHours;
  if (w === undefined) return [];
  if (o.cron === undefined) {
    return o.rateHours < 24 && w >= o.rateHours
      ? [
          `rotationWindow (${w}h) must be shorter than the rotation interval (${o.rateHours}h): a window must not reach the next one`,
        ]
      : [];
  }
  const starts = cronStartsMinutes(o.cron);
  if (starts === undefined) {
    return [
      `rotationCron ${o.cron} has minute or hour fields this check cannot read; use numbers, lists, ranges or steps`,
    ];
  }
  const problems: string[] = [];
  const width = w * 60;
  const last = starts.at(-1) ?? 0;
  if (last + width > 24 * 60) {
    const at = `${String(Math.floor(last / 60)).padStart(2, '0')}:${String(last % 60).padStart(2, '0')}`;
    problems.push(
      `rotationWindow (${w}h) opened at ${at} UTC by rotationCron ${o.cron} runs into the next UTC day`,
    );
  }
  for (let i = 1; i < starts.length; i++) {
    const gap = (starts[i] ?? 0) - (starts[i - 1] ?? 0);
    if (gap < width) {
      problems.push(
        `rotationWindow (${w}h) is longer than the ${gap / 60}h between two windows of rotationCron ${o.cron}: a window must not reach the next one`,
      );
      break;
    }
  }
  return problems;
}
