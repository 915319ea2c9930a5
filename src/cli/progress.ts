/**
 * Progress bars on stderr, only for people: nothing when stderr is not a terminal, so
 * logs and pipes stay clean.
 */
import cliProgress from 'cli-progress';

export interface Bar {
  start(total: number): void;
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

const silent: Bar = { start() {}, update() {}, stop() {} };

export function progressBar(label: string, enabled: boolean, unit = 'img'): Bar {
  if (!enabled || !process.stderr.isTTY) return silent;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} | {rate} ${unit}/s | ETA {eta_formatted}`,
      etaBuffer: 64,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0, { rate: '0.0' }),
    update: (done, payload) => bar.update(done, payload),
    stop: () => bar.stop(),
  };
}

/** A bar for model downloads, started on the first progress callback. */
export function downloadBar(): (received: number, total: number | null) => void {
  let bar: Bar | null = null;
  return (received, total) => {
    if (!bar) {
      bar = progressBar('downloading model', true, 'MB');
      bar.start(Math.round((total ?? 0) / 1e6));
    }
    bar.update(Math.round(received / 1e6), { rate: '' });
    if (total !== null && received >= total) bar.stop();
  };
}
