/**
 * At most `max` CPU-heavy jobs (decode + encode, thumbnails) at once. Without it a burst of
 * uploads decodes every image in parallel, multiplying peak memory for no gain in throughput.
 */
import { HttpError } from './http-error.js';

export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}

  /** `signal`: the request's; a client that left while its job waited costs no CPU. */
  async run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    // A finishing job hands its slot straight to the next waiter, so a newcomer cannot
    // slip in between and push the count over `max`.
    if (this.active < this.max) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      if (signal?.aborted) throw new HttpError(400, 'CLIENT_CLOSED', 'The client closed the request before it was served');
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** Jobs running and waiting (for tests and diagnostics). */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}
