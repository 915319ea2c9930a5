/**
 * `index --watch`: keep a collection in step with a folder.
 *
 * Events are only a trigger. Truth is a rescan compared with the catalogue (Collection.index,
 * which already handles new, changed, moved = deleted + new with the same bytes, so no
 * re-encoding, and deleted files). That makes missed or coalesced events harmless.
 *
 * - node:fs.watch with `recursive: true` (inotify on Linux since Node 20; it follows new
 *   sub-folders and renames) rather than chokidar: no dependency, and the rescan design
 *   needs nothing more than "something changed". A slow poll (default 5 s) covers missed
 *   events, network filesystems, and a root that vanished (fs.watch closes itself then).
 * - Debounced: a burst of events (a copy of 1,000 files) gives one rescan.
 * - Files still being written: a file whose size or mtime changed since the previous scan is
 *   left for a later run (`defer`) and looked at again `stableMs` later.
 * - The root vanishing (unmounted disk, folder moved away) does not empty the collection:
 *   nothing is removed until the folder is back; then the watcher re-attaches and syncs.
 */
import { promises as fs, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Collection, IndexOptions, IndexSummary } from '../collection.js';
import { errorMessage } from '../errors.js';
import { scanFolder } from '../indexing/scan.js';
import { integerInRange } from '../validate.js';

export type WatchEvent =
  | { type: 'synced'; summary: IndexSummary; deferred: number }
  | { type: 'waiting'; files: string[] }
  | { type: 'root-missing'; root: string }
  | { type: 'root-back'; root: string }
  | { type: 'error'; message: string };

export interface WatchOptions extends Pick<IndexOptions, 'batchSize' | 'maxPixels' | 'onProgress'> {
  /** Quiet time after the last event before rescanning (default 500 ms). */
  debounceMs?: number;
  /** How long a file's size and mtime must stay unchanged before it is indexed (default 1000 ms). */
  stableMs?: number;
  /** Safety rescan interval (default 5000 ms). */
  pollMs?: number;
  onEvent?: (event: WatchEvent) => void;
}

export interface FolderWatcher {
  /** Resolves after the first full sync. */
  readonly ready: Promise<void>;
  /** Resolves when no sync is running or scheduled (tests: wait for a change to land). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

type Facts = Map<string, string>;

function factsOf(files: ReadonlyArray<{ path: string; size: number; mtimeMs: number }>): Facts {
  return new Map(files.map((f) => [f.path, `${f.size}:${f.mtimeMs}`]));
}

/** Hidden entries (the collection's own .simili folder among them) never trigger a rescan. */
function relevant(filename: string | null): boolean {
  if (filename === null || filename === '') return true;
  return !filename.split(/[\\/]/).some((part) => part.startsWith('.'));
}

export function watchFolder(collection: Collection, folder: string, options: WatchOptions = {}): FolderWatcher {
  const root = path.resolve(folder);
  const debounceMs = integerInRange('debounceMs', options.debounceMs ?? 500, 0, 60_000);
  const stableMs = integerInRange('stableMs', options.stableMs ?? 1000, 0, 600_000);
  const pollMs = integerInRange('pollMs', options.pollMs ?? 5000, 50, 3_600_000);
  const emit = (e: WatchEvent): void => options.onEvent?.(e);

  let closed = false;
  let watcher: FSWatcher | null = null;
  let rootIno: number | null = null;
  let rootMissing = false;
  // Per file: its size+mtime and since when it has had them. Stability is measured in time,
  // not in scans, since two scans can follow each other within milliseconds.
  const seen = new Map<string, { facts: string; since: number }>();
  let first = true;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  const idleWaiters: Array<() => void> = [];

  const settleIdle = (): void => {
    if (running || timer) return;
    for (const w of idleWaiters.splice(0)) w();
  };

  const schedule = (delay: number): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void run();
    }, delay);
  };

  const detach = (): void => {
    const w = watcher;
    watcher = null;
    w?.close();
  };

  const attach = async (): Promise<boolean> => {
    const st = await fs.stat(root).catch(() => null);
    if (!st?.isDirectory()) return false;
    // close() may have run while stat was pending: a watcher made now would never be closed.
    if (closed) return true;
    if (watcher && rootIno === st.ino) return true;
    detach();
    try {
      const w = watch(root, { recursive: true }, (_event, filename) => {
        if (relevant(typeof filename === 'string' ? filename : null)) schedule(debounceMs);
      });
      // The root going away closes or errors the watcher; the poll re-attaches later. Only
      // this watcher's own events may forget it: an old one closing late must not orphan a new one.
      w.on('error', () => {
        w.close();
        if (watcher === w) watcher = null;
        schedule(debounceMs);
      });
      w.on('close', () => { if (watcher === w) watcher = null; });
      watcher = w;
      rootIno = st.ino;
      return true;
    } catch (err) {
      emit({ type: 'error', message: `cannot watch ${root}: ${errorMessage(err)}` });
      watcher = null;
      return true;
    }
  };

  const sync = async (): Promise<void> => {
    if (!(await attach())) {
      // A folder moved away would otherwise still be watched under its new name.
      detach();
      if (!rootMissing) emit({ type: 'root-missing', root });
      rootMissing = true;
      return;
    }
    if (rootMissing) {
      rootMissing = false;
      emit({ type: 'root-back', root });
    }
    const files = await scanFolder(root);
    const now = factsOf(files);
    const at = Date.now();
    // Files the catalogue already has as they are count as settled from the start.
    const known = first ? new Map((await collection.images()).map((r) => [r.path, `${r.size}:${r.mtimeMs}`])) : null;
    first = false;
    for (const p of [...seen.keys()]) if (!now.has(p)) seen.delete(p);
    const defer = new Set<string>();
    let wait = Infinity;
    for (const [p, f] of now) {
      let entry = seen.get(p);
      if (!entry || entry.facts !== f) {
        entry = { facts: f, since: known?.get(p) === f ? -Infinity : at };
        seen.set(p, entry);
      }
      const settled = at - entry.since;
      if (settled < stableMs) {
        defer.add(p);
        wait = Math.min(wait, stableMs - settled);
      }
    }
    if (defer.size > 0) emit({ type: 'waiting', files: [...defer] });
    const summary = await collection.index(root, {
      defer,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    emit({ type: 'synced', summary, deferred: defer.size });
    if (defer.size > 0) schedule(Math.max(wait, debounceMs));
  };

  const run = async (): Promise<void> => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await sync();
        } catch (err) {
          // A vanished root mid-scan, a locked catalogue: report and let the next event or poll retry.
          emit({ type: 'error', message: errorMessage(err) });
        }
      } while (again && !closed);
    })();
    await running;
    running = null;
    settleIdle();
  };

  const poll = setInterval(() => schedule(0), pollMs);
  const ready = run();

  return {
    ready,
    idle: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      settleIdle();
    }),
    async close() {
      closed = true;
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      timer = null;
      detach();
      await running;
      detach();
      settleIdle();
    },
  };
}
