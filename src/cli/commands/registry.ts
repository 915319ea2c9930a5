import type { Command } from 'commander';

/** A CLI command module adds its subcommand(s) to the program. One file per command. */
export type RegisterCommand = (program: Command) => void;

/** `simili train <part>`: every trainable part adds its subcommand under one shared parent. */
export function trainCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'train') ?? program.command('train').description('train the learned parts of a collection');
}
