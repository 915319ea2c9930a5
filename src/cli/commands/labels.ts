import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { predictNamed, type NamedLabel } from '../../categories/describe.js';
import { fetchImage } from '../../decode/fetch-image.js';
import { SimiliError } from '../../errors.js';
import { isUrl } from '../../indexing/scan.js';
import { renderTable } from '../../present/table.js';
import { integerInRange } from '../../validate.js';
import { parseInteger } from '../parse.js';
import type { RegisterCommand } from './registry.js';

interface LabelsFlags {
  top: number;
  json?: boolean;
}

async function readAny(image: string): Promise<Buffer> {
  if (isUrl(image)) return fetchImage(image);
  return fs.readFile(image).catch((err: NodeJS.ErrnoException) => {
    throw new SimiliError(err.code === 'ENOENT' ? 'NOT_FOUND' : 'READ_ERROR', `Cannot read ${image}: ${err.message}`);
  });
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('labels')
    .description('predict the ImageNet classes of images (SqueezeNet 1.1), most probable first; no collection needed')
    .argument('<images...>', 'image files or http(s) URLs')
    .option('--top <n>', 'how many classes per image', parseInteger, 5)
    .option('--json', 'print as JSON')
    .action(async (images: string[], flags: LabelsFlags) => {
      const top = integerInRange('--top', flags.top, 1, 1000);
      const results: Array<{ image: string; labels: NamedLabel[] }> = [];
      for (const image of images) results.push({ image, labels: await predictNamed(await readAny(image), top) });
      if (flags.json) {
        process.stdout.write(JSON.stringify(results, null, 2) + '\n');
        return;
      }
      for (const r of results) {
        if (results.length > 1) process.stdout.write(`${isUrl(r.image) ? r.image : path.resolve(r.image)}\n`);
        process.stdout.write(renderTable(['probability', 'synset', 'class'], r.labels.map((l) => [l.probability.toFixed(4), l.synset, l.name])) + '\n');
      }
    });
};
