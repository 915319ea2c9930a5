import type { Command } from 'commander';
import { globalOptions, info, openCollection } from '../context.js';
import type { RegisterCommand } from './registry.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('remove')
    .description('remove images from the collection in place (files stay on disk)')
    .argument('<paths...>', 'catalogue paths as `ls` prints them, files, folders (everything under them) or URLs')
    .action(async (paths: string[], _flags: unknown, command: Command) => {
      const opts = globalOptions(command);
      const collection = await openCollection(opts);
      try {
        const removed = await collection.remove(paths);
        info(opts, `${removed} removed`);
      } finally {
        await collection.close();
      }
    });
};
