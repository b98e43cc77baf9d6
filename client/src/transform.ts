/**
 * Value transforms with Powertools Parameters' names and rules: `json` parses,
 * `binary` decodes base64 to UTF-8 text, and `auto` (batches only) picks one of
 * them from a name ending in `.json` or `.binary`.
 */
import { TransformParameterError } from './errors.ts';

/** The transforms, as Powertools spells them. */
export const Transform = { JSON: 'json', BINARY: 'binary', AUTO: 'auto' } as const;

/** One of {@link Transform}. */
export type TransformOption = (typeof Transform)[keyof typeof Transform];

/** A JSON value. */
export type JSONValue =
  | string
  | number
  | boolean
  | null
  | JSONValue[]
  | { [key: string]: JSONValue };

/**
 * Applies `transform` to a raw value. `auto` looks at `name`'s suffix and leaves
 * other names as they are.
 *
 * @throws {TransformParameterError} when the value is not valid JSON or base64 text.
 */
export function transformValue(
  value: string | Uint8Array,
  transform: TransformOption,
  name: string,
): unknown {
  const lower = name.toLowerCase();
  const kind =
    transform === Transform.AUTO
      ? lower.endsWith('.json')
        ? Transform.JSON
        : lower.endsWith('.binary')
          ? Transform.BINARY
          : undefined
      : transform;
  if (kind === undefined) return value;
  const text = typeof value === 'string' ? value : new TextDecoder('utf-8').decode(value);
  if (kind === Transform.JSON) {
    try {
      return JSON.parse(text) as JSONValue;
    } catch (err) {
      // The parser's message can quote the value: never pass it on.
      throw new TransformParameterError(transform, `not valid JSON (${(err as Error).name})`);
    }
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text.trim()) || text.trim().length % 4 === 1) {
    throw new TransformParameterError(transform, 'not valid base64');
  }
  return new TextDecoder('utf-8').decode(Buffer.from(text.trim(), 'base64'));
}
