/**
 * At most `max` CPU-heavy jobs (decode + encode, thumbnails) at once. Without it a burst of
 * uploads decodes every image in parallel, multiplying peak memory for no gain in throughput.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await job();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
