/**
 * Bench variants of the layer's launcher: a copy of a flavour's `extensions/secret-sidecar`
 * with one exact piece of its text replaced (other Node options, a wrapper before node), next
 * to a link to the flavour's unchanged `secret-sidecar/` tree. The copy fails loudly when the
 * launcher no longer holds the piece, so a changed launcher cannot silently measure nothing.
 */
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Workspace } from './workspace.ts';

/** A layer flavour of the workspace. */
export type LauncherFlavour = 'node' | 'standalone';

/** The start of the launcher's last line, which runs node (a wrapper goes right after `exec`). */
export const LAUNCHER_EXEC = 'exec "$node" ';

/** One replacement in the launcher's text. */
export interface LauncherEdit {
  /** Exact text the launcher must contain. */
  readonly find: string;
  readonly replace: string;
  /** Who depends on `find`, for the error when it is gone. */
  readonly owner: string;
}

/**
 * Writes the edited launcher under the workspace as `opt-<name>/extensions` and resolves to
 * that directory, to pass as a sandbox's extensions directory.
 */
export async function launcherCopy(
  ws: Workspace,
  flavour: LauncherFlavour,
  name: string,
  edit: LauncherEdit,
): Promise<string> {
  const extensionsDir = flavour === 'node' ? ws.extensionsDir : ws.standaloneExtensionsDir;
  const opt = join(ws.dir, `opt-${name}`);
  await mkdir(join(opt, 'extensions'), { recursive: true });
  const original = await readFile(join(extensionsDir, 'secret-sidecar'), 'utf8');
  if (!original.includes(edit.find)) {
    throw new Error(
      `the launcher no longer contains ${JSON.stringify(edit.find)}: update ${edit.owner}`,
    );
  }
  const launcher = join(opt, 'extensions', 'secret-sidecar');
  await writeFile(launcher, original.replace(edit.find, edit.replace));
  await chmod(launcher, 0o755);
  await symlink(join(extensionsDir, '..', 'secret-sidecar'), join(opt, 'secret-sidecar'));
  return join(opt, 'extensions');
}
