/**
 * A small real collection for the server tests: corel-1k photos of three classes plus a few
 * generated images, indexed with the default preset into a temp dir, served on 127.0.0.1.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Collection } from '../../src/collection.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/server/serve.js';
import { makeImage } from './images.js';
import { DATASETS_DIR, tempDir } from './paths.js';

export const COREL = path.join(DATASETS_DIR, 'corel-1k', 'images');
export const CLASSES = ['0_africa', '4_dinosaurs', '7_horses'] as const;
/** Images per class put in the collection: files 0..PER_CLASS-1 of each class. */
export const PER_CLASS = 8;
export const GENERATED = 4;

/** A corel photo of `cls` that is NOT in the collection (for outside queries). */
export function outsidePhoto(cls: (typeof CLASSES)[number], n = 0): Buffer {
  const first = Number(cls.split('_')[0]) * 100;
  return readFileSync(path.join(COREL, cls, `${first + PER_CLASS + n}.jpg`));
}

export interface Fixture {
  dir: string;
  imagesDir: string;
  collection: Collection;
  server: RunningServer;
  total: number;
  close(): Promise<void>;
}

export async function buildCollection(): Promise<{ dir: string; imagesDir: string; total: number }> {
  const dir = tempDir('simili-serve-');
  const imagesDir = path.join(dir, 'photos');
  for (const cls of CLASSES) {
    mkdirSync(path.join(imagesDir, cls), { recursive: true });
    const first = Number(cls.split('_')[0]) * 100;
    for (let i = 0; i < PER_CLASS; i++) {
      copyFileSync(path.join(COREL, cls, `${first + i}.jpg`), path.join(imagesDir, cls, `${first + i}.jpg`));
    }
  }
  mkdirSync(path.join(imagesDir, 'generated'), { recursive: true });
  for (let i = 0; i < GENERATED; i++) writeFileSync(path.join(imagesDir, 'generated', `gen-${i}.jpg`), await makeImage(100 + i, 160, 120));
  const collection = await Collection.open(path.join(dir, '.simili'), { create: true, encoder: { allowDownload: false } });
  // Predicted labels, so category-gated search works through the API too.
  await collection.updateSettings({ labels: true });
  const summary = await collection.index(imagesDir);
  await collection.close();
  if (summary.failed.length > 0) throw new Error(`fixture images failed: ${JSON.stringify(summary.failed)}`);
  return { dir: path.join(dir, '.simili'), imagesDir, total: CLASSES.length * PER_CLASS + GENERATED };
}

export async function startFixture(options: StartOptions = {}): Promise<Fixture> {
  const built = await buildCollection();
  const collection = await Collection.open(built.dir, { encoder: { allowDownload: false } });
  const server = await startServer(collection, { host: '127.0.0.1', port: 0, ...options });
  return {
    ...built,
    collection,
    server,
    close: async () => {
      await server.close(1000);
      await collection.close();
    },
  };
}
