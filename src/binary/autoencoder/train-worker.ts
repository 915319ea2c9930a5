/**
 * Worker side of data-parallel training: holds a replica of the network, receives the
 * current weights plus a shard of the batch, returns that shard's gradient.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConvAutoencoder, type AutoencoderSpec } from './network.js';

export interface ShardRequest {
  params: Float32Array;
  noisy: Float32Array;
  clean: Float32Array;
  batch: number;
  penalty: number;
  straightThrough: boolean;
}

const net = new ConvAutoencoder((workerData as { spec: AutoencoderSpec }).spec);

parentPort!.on('message', (req: ShardRequest) => {
  try {
    net.params.set(req.params);
    const parts = net.lossAndGrad(req.noisy, req.clean, req.batch, req.penalty, req.straightThrough);
    const grads = Float32Array.from(net.grads);
    parentPort!.postMessage({ grads, parts }, [grads.buffer]);
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
