/**
 * Turns a shared backbone graph back into the shape of a model zoo file, so that the zoo
 * rewrite can be tested on real weights without the network: the extra outputs and the
 * nodes that make them are removed, tensors are renamed to the zoo's names, and the input
 * gets the zoo's fixed [1, 3, 224, 224] shape.
 */
import { fieldString, put, readFields, writeMessage, type Field } from '../../src/encode/protowire.js';

export interface ZooLikeOptions {
  /** Nodes (by name) and graph outputs (by name) to remove. */
  dropNodes: string[];
  dropOutputs: string[];
  /** Tensor renames applied to node inputs/outputs and graph inputs/outputs. */
  rename: Record<string, string>;
  /** Fixed input shape written on every graph input. */
  inputDims: number[];
  /** GlobalAveragePool nodes (by name) turned into AveragePool with this fixed kernel and stride. */
  fixedPools: Record<string, number>;
}

const rename = (map: Record<string, string>, name: string): string => map[name] ?? name;

function nameOf(fields: Field[], number: number): string | undefined {
  const f = fields.find((x) => x.number === number);
  return f === undefined ? undefined : fieldString(f);
}

function renamedNode(bytes: Uint8Array, map: Record<string, string>, fixedPools: Record<string, number>): Uint8Array[] {
  const fields = readFields(bytes);
  const kernel = fixedPools[nameOf(fields, 3) ?? ''];
  const parts = fields.map((f) => {
    if (f.number === 1 || f.number === 2) return put.string(f.number, rename(map, fieldString(f)));
    if (f.number === 4 && kernel !== undefined) return put.string(4, 'AveragePool');
    return put.field(f);
  });
  if (kernel !== undefined) {
    // AttributeProto: name 1, ints 8, type 20 (7 = INTS).
    for (const name of ['kernel_shape', 'strides']) parts.push(put.message(5, [put.string(1, name), put.varint(8, kernel), put.varint(8, kernel), put.varint(20, 7)]));
  }
  return put.bytes(1, writeMessage(parts));
}

function fixedInput(name: string, dims: number[]): Uint8Array[] {
  const shape = dims.map((d) => put.message(1, [put.varint(1, d)]));
  return put.message(11, [put.string(1, name), put.message(2, [put.message(1, [put.varint(1, 1), put.message(2, shape)])])]);
}

function renamedOutput(bytes: Uint8Array, map: Record<string, string>): Uint8Array[] {
  const parts = readFields(bytes).map((f) => (f.number === 1 ? put.string(1, rename(map, fieldString(f))) : put.field(f)));
  return put.bytes(12, writeMessage(parts));
}

export function zooLike(model: Uint8Array, options: ZooLikeOptions): Uint8Array {
  const out: Uint8Array[][] = [];
  for (const field of readFields(model)) {
    if (field.number !== 7) {
      out.push(put.field(field));
      continue;
    }
    const graph: Uint8Array[][] = [];
    for (const g of readFields(field.bytes)) {
      const fields = g.number === 1 || g.number === 11 || g.number === 12 ? readFields(g.bytes) : [];
      if (g.number === 1) {
        if (!options.dropNodes.includes(nameOf(fields, 3) ?? '')) graph.push(renamedNode(g.bytes, options.rename, options.fixedPools));
      } else if (g.number === 11) {
        graph.push(fixedInput(rename(options.rename, nameOf(fields, 1) ?? ''), options.inputDims));
      } else if (g.number === 12) {
        if (!options.dropOutputs.includes(nameOf(fields, 1) ?? '')) graph.push(renamedOutput(g.bytes, options.rename));
      } else {
        graph.push(put.field(g));
      }
    }
    out.push(put.message(7, graph));
  }
  return writeMessage(out);
}

/**
 * The shared squeezenet1.1.onnx as the zoo publishes it: input `data` fixed at 1x3x224x224,
 * logits only, and the classifier's global pool as the zoo's AveragePool(13), which is the
 * same thing at 224 only.
 */
export const SQUEEZENET_ZOO_LIKE: ZooLikeOptions = {
  dropNodes: ['globalaveragepool_61', 'embedding', 'features'],
  dropOutputs: ['embedding', 'features'],
  rename: { input: 'data', logits: 'squeezenet0_flatten0_reshape0', concat_60: 'squeezenet0_concat7' },
  inputDims: [1, 3, 224, 224],
  fixedPools: { globalaveragepool_64: 13 },
};
