/**
 * Honest splits. By class: the learned re-ranker is trained on some classes and measured on
 * the others, so no evaluated query, and no image it is ranked against, was seen in training.
 * By image: the held-out accuracy of `simili train similarity` comes from pairs of images the
 * training pairs never touch.
 */
import { seededRandom } from '../../random.js';
import { invalidParameter } from '../../errors.js';

export interface ClassSplit {
  trainClasses: string[];
  testClasses: string[];
  /** Rows (indexes into `labels`) of each side. */
  trainRows: number[];
  testRows: number[];
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Half the classes (rounded down, at least 1) train, the rest test; every row lands on exactly one side. */
export function splitByClass(labels: readonly string[], seed = 1, trainFraction = 0.5): ClassSplit {
  const classes = [...new Set(labels)].sort();
  if (classes.length < 2) throw invalidParameter('labels', 'at least 2 classes', classes.length);
  const mixed = shuffled(classes, seed);
  const nTrain = Math.min(classes.length - 1, Math.max(1, Math.floor(classes.length * trainFraction)));
  const train = new Set(mixed.slice(0, nTrain));
  const trainRows: number[] = [];
  const testRows: number[] = [];
  labels.forEach((l, row) => (train.has(l) ? trainRows : testRows).push(row));
  return {
    trainClasses: [...train].sort(),
    testClasses: classes.filter((c) => !train.has(c)),
    trainRows,
    testRows,
  };
}

/** Rows split at random, `valFraction` held out. */
export function splitRows(rows: readonly number[], seed = 1, valFraction = 0.2): { train: number[]; val: number[] } {
  const mixed = shuffled(rows, seed);
  const nVal = Math.max(1, Math.round(rows.length * valFraction));
  return { train: mixed.slice(nVal).sort((a, b) => a - b), val: mixed.slice(0, nVal).sort((a, b) => a - b) };
}

/**
 * Rows split per group (class): each group with 4+ rows holds out `valFraction` of its rows, at
 * least 2, so held-out pairs include same-class positives even for small classes.
 */
export function splitRowsByGroup(rows: readonly number[], groupOf: (row: number) => string, seed = 1, valFraction = 0.2): { train: number[]; val: number[] } {
  const groups = new Map<string, number[]>();
  for (const r of rows) groups.set(groupOf(r), [...(groups.get(groupOf(r)) ?? []), r]);
  const train: number[] = [];
  const val: number[] = [];
  for (const members of groups.values()) {
    const mixed = shuffled(members, seed);
    const nVal = members.length >= 4 ? Math.max(2, Math.round(members.length * valFraction)) : 0;
    val.push(...mixed.slice(0, nVal));
    train.push(...mixed.slice(nVal));
  }
  return { train: train.sort((a, b) => a - b), val: val.sort((a, b) => a - b) };
}
