/** Reads values of one metric back out of the extension's EMF output lines. */

/** Every value of metric `name` in the EMF JSON lines among `lines` (other lines are skipped). */
export function emfValues(lines: readonly string[], name: string): number[] {
  const out: number[] = [];
  for (const line of lines) {
    if (!line.startsWith('{') || !line.includes('"_aws"')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const value = (parsed as Record<string, unknown>)[name];
    if (typeof value === 'number') out.push(value);
    else if (Array.isArray(value))
      out.push(...value.filter((v): v is number => typeof v === 'number'));
  }
  return out;
}
