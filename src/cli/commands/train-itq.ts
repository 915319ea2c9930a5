import type { Command } from 'commander';
import { trainCollectionItq } from '../../binary/itq-collection.js';
import { globalOptions, info, openCollection } from '../context.js';
import { parseInteger } from '../parse.js';
import { trainCommand, type RegisterCommand } from './registry.js';

export const register: RegisterCommand = (program: Command) => {
  trainCommand(program)
    .command('itq')
    .description('learn compact bit codes (PCA + iterative quantisation) from the collection\'s codes, for `search --encoder itq`')
    .option('--bits <n>', 'bits per image (a multiple of 32, at most the code dimension)', parseInteger, 256)
    .option('--iterations <n>', 'ITQ rotation iterations', parseInteger, 50)
    .action(async (flags: { bits: number; iterations: number }, command: Command) => {
      const opts = globalOptions(command);
      const collection = await openCollection(opts);
      try {
        const started = performance.now();
        const { codes } = await trainCollectionItq(collection, { bits: flags.bits, iterations: flags.iterations });
        info(opts, `ITQ: ${codes.ids.length} images, ${flags.bits} bits (${flags.bits / 8} bytes each) in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
          'images added later join the bit index at the next `simili train itq`');
      } finally {
        await collection.close();
      }
    });
};
