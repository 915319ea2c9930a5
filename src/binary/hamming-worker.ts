/**
 * Worker side of `HammingPool`: scans a slice of the shared code matrix for each query.
 * The codes arrive once (a SharedArrayBuffer, no copy); each message is one query.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { hammingTopK } from './hamming.js';

interface Setup {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  length: number;
  wordsPerCode: number;
  start: number;
  end: number;
}

interface Request {
  id: number;
  query: Uint32Array;
  k: number;
}

const setup = workerData as Setup;
const codes = new Uint32Array(setup.buffer, setup.byteOffset, setup.length);

parentPort!.on('message', (req: Request) => {
  try {
    const hits = hammingTopK(codes, setup.wordsPerCode, req.query, req.k, { start: setup.start, end: setup.end });
    parentPort!.postMessage({ id: req.id, hits });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
  }
});
