/**
 * Runs `fn` over `items` with at most `limit` calls in flight and yields results as
 * they finish. The consumer's own awaits (inference) overlap with the calls still
 * running (decoding on libuv threads): that is the whole point.
 */
export async function* mapConcurrent<T, R>(
  items: Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const iterator = items[Symbol.iterator]();
  const inFlight = new Map<number, Promise<{ key: number; value: R }>>();
  let next = 0;
  const launch = (): boolean => {
    const step = iterator.next();
    if (step.done) return false;
    const key = next++;
    inFlight.set(key, fn(step.value).then((value) => ({ key, value })));
    return true;
  };
  while (inFlight.size < limit && launch());
  while (inFlight.size > 0) {
    const { key, value } = await Promise.race(inFlight.values());
    inFlight.delete(key);
    launch();
    yield value;
  }
}
