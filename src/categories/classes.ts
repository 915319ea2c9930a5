/**
 * ImageNet class names as the manifest's names file gives them ("n01664065 loggerhead,
 * loggerhead turtle, Caretta caretta"), and finding classes from what a user types:
 * a synset id, a whole name, or any word of a name ("turtle").
 */
import { nonEmptyString } from '../validate.js';

export interface ClassName {
  classIndex: number;
  /** WordNet id, e.g. n01664065 (empty when the names file has none). */
  synset: string;
  /** Comma-separated aliases, first is the usual name. */
  names: string[];
}

export function parseClassName(classIndex: number, line: string): ClassName {
  const m = /^(n\d{8})\s+(.*)$/.exec(line.trim());
  const synset = m ? m[1]! : '';
  const rest = m ? m[2]! : line.trim();
  return { classIndex, synset, names: rest.split(',').map((s) => s.trim()).filter((s) => s !== '') };
}

/** Short display name: the first alias ("loggerhead"). */
export function shortName(c: ClassName): string {
  return c.names[0] ?? c.synset;
}

function words(s: string): string[] {
  return s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
}

/**
 * Classes matching `query`, best kind of match first: synset id or whole alias (exact),
 * else every class with an alias containing all the query's words as words.
 */
export function matchClasses(classes: readonly ClassName[], query: string): ClassName[] {
  const q = nonEmptyString('category', query).trim().toLowerCase();
  const exact = classes.filter((c) => c.synset.toLowerCase() === q || c.names.some((n) => n.toLowerCase() === q));
  if (exact.length > 0) return exact;
  const wanted = words(q);
  if (wanted.length === 0) return [];
  return classes.filter((c) => c.names.some((n) => {
    const have = new Set(words(n));
    return wanted.every((w) => have.has(w));
  }));
}
