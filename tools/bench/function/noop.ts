/**
 * The smallest possible function, for the cold-start measurement: init with and without
 * the layer differs only by the extension.
 */

/** Lambda handler that does nothing. */
export async function handler(): Promise<{ ok: true }> {
  return { ok: true };
}
