/** One table of `npm run bench`: each bench module returns one or more of these. */
export interface BenchSection {
  /** Short title, also the key in bench/results.json. */
  name: string;
  /** Rows of a table; every row should have the same keys. Numbers are printed as they are. */
  rows: Array<Record<string, string | number>>;
  /** How it was measured (machine, sizes, repetitions), printed under the table. */
  notes?: string[];
}

export type BenchModule = () => Promise<BenchSection[]>;
