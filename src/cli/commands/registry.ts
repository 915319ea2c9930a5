import type { Command } from 'commander';

/** A CLI command module adds its subcommand(s) to the program. One file per command. */
export type RegisterCommand = (program: Command) => void;
