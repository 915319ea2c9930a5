import type { Command } from 'commander';
import { globalOptions, openCollection } from '../context.js';
import type { RegisterCommand } from './registry.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('info')
    .description('show the collection: where it is, its root folder, recipe and counts')
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const collection = await openCollection(globalOptions(command));
      try {
        const i = await collection.info();
        if (flags.json) process.stdout.write(JSON.stringify(i, null, 2) + '\n');
        else {
          process.stdout.write([
            `collection  ${i.dir}`,
            `root        ${i.root ?? '-'}`,
            `recipe      ${i.recipe?.name ?? '-'} (${i.encoderId ?? '-'}), ${i.dim ?? '?'} dimensions`,
            `images      ${i.indexed} indexed, ${i.failed} failed`,
          ].join('\n') + '\n');
        }
      } finally {
        await collection.close();
      }
    });
};
