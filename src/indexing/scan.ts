/**
 * Walking a folder for image files. Only the file name decides what is a candidate;
 * whether it really is an image is the decoder's call (a text file named .jpg is
 * recorded as failed, not silently ignored).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SimiliError } from '../errors.js';
import type { FileFacts } from '../store/catalogue.js';

export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.bmp',
]);

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/** Catalogue paths always use '/' so a collection moves between systems unchanged. */
export function toCataloguePath(root: string, absolute: string): string {
  const rel = path.relative(root, absolute);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return absolute.split(path.sep).join('/');
  return rel.split(path.sep).join('/');
}

export function isUrl(p: string): boolean {
  return /^https?:\/\//i.test(p);
}

/** Where a catalogue path lives on disk (relative paths are under the root). */
export function resolveCataloguePath(root: string, p: string): string {
  if (isUrl(p) || path.isAbsolute(p)) return p;
  return path.join(root, ...p.split('/'));
}

/**
 * Every image file under `root`, sorted for a stable order. Hidden folders
 * (.simili, .git, ...) are skipped; unreadable sub-folders are reported, not fatal; an
 * unreadable root throws NOT_FOUND.
 */
export async function scanFolder(root: string, onWarning?: (message: string) => void): Promise<FileFacts[]> {
  const out: FileFacts[] = [];
  // Real paths of folders walked so far: symlinked folders are followed, but a link cycle is not.
  const visited = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const real = await fs.realpath(dir).catch(() => dir);
    if (visited.has(real)) return;
    visited.add(real);
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      // An unreadable root must not look like an empty folder: that would drop every image.
      if (dir === root) throw new SimiliError('NOT_FOUND', `Cannot read folder ${root}: ${(err as Error).message}`, { cause: err });
      onWarning?.(`cannot read folder ${dir}: ${(err as Error).message}`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const abs = path.join(dir, e.name);
      if (!e.isDirectory() && !e.isFile() && !e.isSymbolicLink()) continue;
      try {
        const st = await fs.stat(abs);
        if (st.isDirectory()) await walk(abs);
        else if (st.isFile() && isImageName(e.name)) {
          out.push({ path: toCataloguePath(root, abs), size: st.size, mtimeMs: Math.floor(st.mtimeMs) });
        }
      } catch {
        // Vanished between readdir and stat, or a dangling link: not part of this run.
      }
    }
  };
  await walk(root);
  return out;
}
