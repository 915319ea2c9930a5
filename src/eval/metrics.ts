/**
 * Retrieval metrics over one ranked list of labels. "Relevant" = same label as the query.
 * Conventions follow the CBIR literature: AP is averaged over every relevant item in the
 * database (not only those retrieved), so a ranking that never finds some scores < 1.
 */
export interface QueryMetrics {
  /** Top hit shares the query's label (0 or 1). */
  p1: number;
  /** How many of the top 10 share the query's label. */
  hits10: number;
  p10: number;
  ap: number;
}

/**
 * @param ranked labels of the ranked database items, best first (the query itself excluded)
 * @param relevantTotal how many database items share the query's label
 */
export function queryMetrics(queryLabel: string, ranked: readonly string[], relevantTotal: number): QueryMetrics {
  let hits10 = 0;
  for (let i = 0; i < Math.min(10, ranked.length); i++) if (ranked[i] === queryLabel) hits10++;
  let found = 0;
  let sumPrecision = 0;
  for (let i = 0; i < ranked.length && found < relevantTotal; i++) {
    if (ranked[i] === queryLabel) {
      found++;
      sumPrecision += found / (i + 1);
    }
  }
  return {
    p1: ranked.length > 0 && ranked[0] === queryLabel ? 1 : 0,
    hits10,
    p10: hits10 / 10,
    ap: relevantTotal > 0 ? sumPrecision / relevantTotal : 0,
  };
}

export interface AggregateMetrics {
  queries: number;
  p1: number;
  hits10: number;
  p10: number;
  map: number;
}

export function aggregate(list: readonly QueryMetrics[]): AggregateMetrics {
  const n = list.length;
  const mean = (f: (m: QueryMetrics) => number): number => (n === 0 ? 0 : list.reduce((s, m) => s + f(m), 0) / n);
  return { queries: n, p1: mean((m) => m.p1), hits10: mean((m) => m.hits10), p10: mean((m) => m.p10), map: mean((m) => m.ap) };
}
