/**
 * Rewriting a published ONNX classifier into the shape simili's encoders expect: the model
 * zoo files are complete classifiers whose pooled feature lives on an inner tensor, with a
 * fixed [1, 3, 224, 224] input. The rewrite exposes that inner tensor as `features`, adds
 * GlobalAveragePool + Flatten as `embedding` (exactly what the shared backbones compute),
 * renames the input to the manifest's name and makes its batch and spatial dimensions
 * symbolic, so the encoder code needs no special case for downloaded models.
 *
 * Only the fields that change are re-encoded (protowire.ts); weights pass through untouched.
 */
import { SimiliError } from '../errors.js';
import { WireError, fieldInt, fieldString, firstString, put, readFields, strings, writeMessage, type Field } from './protowire.js';

/** ONNX field numbers (onnx/onnx.proto), named where they are used. */
const MODEL = { graph: 7, metadataProps: 14 } as const;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTRIBUTE = { name: 1, i: 3, type: 20 } as const;
const ATTRIBUTE_TYPE_INT = 2;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensor: 1 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIM = { value: 1, param: 2 } as const;
const TENSOR = { name: 8 } as const;
const FLOAT = 1;

export interface TensorInfo {
  name: string;
  /** ONNX TensorProto.DataType (1 = float32); null when the type is not a tensor. */
  elemType: number | null;
  /** Per dimension: its size, its symbolic name, or null when unknown; null when no shape is declared. */
  dims: (number | string | null)[] | null;
}

export interface GraphSummary {
  /** Graph inputs that are not initializers: what a caller must feed. */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Every tensor some node produces, in node order. */
  nodeOutputs: string[];
  nodeCount: number;
}

export interface ExposeFeaturesSpec {
  /** Input of the source graph (e.g. the zoo's `data`). */
  sourceInput: string;
  /** Inner tensor holding the last feature map [N, C, h, w]. */
  featureTensor: string;
  /** Inner (or output) tensor with the class scores, exposed when `outputs.logits` is set. */
  logitsTensor?: string;
  /** Names the rewritten graph uses (the manifest's). */
  inputName: string;
  outputs: { features: string; embedding: string; logits?: string };
  /** Recorded in the model's metadata_props (provenance of a derived file). */
  metadata?: Record<string, string>;
}

function invalidModel(message: string, cause?: unknown): SimiliError {
  return new SimiliError('MODEL_UNAVAILABLE', message, cause === undefined ? undefined : { cause });
}

function parse(bytes: Uint8Array, what: string): Field[] {
  try {
    return readFields(bytes);
  } catch (err) {
    if (err instanceof WireError) throw invalidModel(`Not a valid ONNX model (${what}: ${err.message})`, err);
    throw err;
  }
}

function graphOf(model: Field[]): Field {
  const graphs = model.filter((f) => f.number === MODEL.graph && f.wireType === 2);
  if (graphs.length !== 1) throw invalidModel(`Not a valid ONNX model: expected one graph, found ${graphs.length}`);
  return graphs[0]!;
}

function tensorInfo(valueInfo: Field): TensorInfo {
  const fields = parse(valueInfo.bytes, 'value info');
  const name = firstString(fields, VALUE_INFO.name) ?? '';
  const type = fields.find((f) => f.number === VALUE_INFO.type);
  const tensor = type === undefined ? undefined : parse(type.bytes, 'type').find((f) => f.number === TYPE.tensor);
  if (tensor === undefined) return { name, elemType: null, dims: null };
  const tensorFields = parse(tensor.bytes, 'tensor type');
  const elem = tensorFields.find((f) => f.number === TENSOR_TYPE.elemType);
  const shape = tensorFields.find((f) => f.number === TENSOR_TYPE.shape);
  const dims =
    shape === undefined
      ? null
      : parse(shape.bytes, 'shape')
          .filter((f) => f.number === SHAPE.dim)
          .map((d) => {
            const dim = parse(d.bytes, 'dimension');
            const value = dim.find((f) => f.number === DIM.value);
            if (value !== undefined) return fieldInt(value);
            return firstString(dim, DIM.param) ?? null;
          });
  return { name, elemType: elem === undefined ? null : fieldInt(elem), dims };
}

interface ParsedGraph {
  model: Field[];
  graph: Field[];
  initializers: Set<string>;
  nodeOutputs: string[];
  nodeNames: Set<string>;
  summary: GraphSummary;
}

function parseModel(bytes: Uint8Array): ParsedGraph {
  const model = parse(bytes, 'model');
  const graph = parse(graphOf(model).bytes, 'graph');
  const initializers = new Set(
    graph.filter((f) => f.number === GRAPH.initializer).map((f) => firstString(parse(f.bytes, 'initializer'), TENSOR.name) ?? ''),
  );
  const nodeOutputs: string[] = [];
  const nodeNames = new Set<string>();
  let nodeCount = 0;
  for (const field of graph) {
    if (field.number !== GRAPH.node) continue;
    nodeCount++;
    const node = parse(field.bytes, 'node');
    nodeOutputs.push(...strings(node, NODE.output));
    const name = firstString(node, NODE.name);
    if (name !== undefined) nodeNames.add(name);
  }
  const inputs = graph
    .filter((f) => f.number === GRAPH.input)
    .map(tensorInfo)
    // IR < 4 lists every weight as a graph input too; those are not for the caller to feed.
    .filter((t) => !initializers.has(t.name));
  const outputs = graph.filter((f) => f.number === GRAPH.output).map(tensorInfo);
  return { model, graph, initializers, nodeOutputs, nodeNames, summary: { inputs, outputs, nodeOutputs, nodeCount } };
}

/** Inputs, outputs and inner tensors of an ONNX model, for checks and error messages. */
export function summarizeGraph(bytes: Uint8Array): GraphSummary {
  return parseModel(bytes).summary;
}

function node(opType: string, name: string, inputs: string[], outputs: string[], intAttributes: Record<string, number> = {}): Uint8Array[] {
  return put.message(GRAPH.node, [
    ...inputs.map((i) => put.string(NODE.input, i)),
    ...outputs.map((o) => put.string(NODE.output, o)),
    put.string(NODE.name, name),
    put.string(NODE.opType, opType),
    ...Object.entries(intAttributes).map(([key, value]) =>
      put.message(NODE.attribute, [put.string(ATTRIBUTE.name, key), put.varint(ATTRIBUTE.i, value), put.varint(ATTRIBUTE.type, ATTRIBUTE_TYPE_INT)]),
    ),
  ]);
}

/** A float tensor value info whose dimensions are all symbolic. */
function floatValueInfo(field: number, name: string, dims: readonly string[]): Uint8Array[] {
  const shape = put.message(TENSOR_TYPE.shape, dims.map((d) => put.message(SHAPE.dim, [put.string(DIM.param, d)])));
  return put.message(field, [
    put.string(VALUE_INFO.name, name),
    put.message(VALUE_INFO.type, [put.message(TYPE.tensor, [put.varint(TENSOR_TYPE.elemType, FLOAT), shape])]),
  ]);
}

/** The same output, without its declared shape: a fixed batch of 1 there would contradict batched runs. */
function withoutShape(output: Field): Uint8Array[] {
  const info = tensorInfo(output);
  if (info.elemType === null) return put.field(output);
  return put.message(GRAPH.output, [
    put.string(VALUE_INFO.name, info.name),
    put.message(VALUE_INFO.type, [put.message(TYPE.tensor, [put.varint(TENSOR_TYPE.elemType, info.elemType)])]),
  ]);
}

/**
 * Returns the rewritten model. Throws MODEL_UNAVAILABLE when the graph does not have the
 * tensors the spec names, or already uses a name the rewrite must add.
 */
export function exposeFeatures(bytes: Uint8Array, spec: ExposeFeaturesSpec): Uint8Array {
  const parsed = parseModel(bytes);
  const { summary, initializers, nodeNames } = parsed;
  const produced = new Set(parsed.nodeOutputs);
  const input = summary.inputs.find((t) => t.name === spec.sourceInput);
  if (input === undefined) {
    throw invalidModel(`The model has no input "${spec.sourceInput}"; its inputs are ${summary.inputs.map((t) => t.name).join(', ') || 'none'}`);
  }
  if (input.elemType !== FLOAT || input.dims === null || input.dims.length !== 4) {
    throw invalidModel(`Input "${spec.sourceInput}" is not a float32 tensor of rank 4 (NCHW)`);
  }
  for (const tensor of [spec.featureTensor, ...(spec.outputs.logits !== undefined ? [spec.logitsTensor ?? ''] : [])]) {
    if (!produced.has(tensor)) {
      const tail = summary.nodeOutputs.slice(-8).join(', ');
      throw invalidModel(`No node of the model produces "${tensor}" (its last node outputs are ${tail})`);
    }
  }

  const gap = `${spec.outputs.embedding}_simili_gap`;
  const added = [spec.outputs.features, spec.outputs.embedding, gap, ...(spec.outputs.logits !== undefined ? [spec.outputs.logits] : [])];
  if (spec.inputName !== spec.sourceInput) added.push(spec.inputName);
  const taken = new Set([...produced, ...initializers, ...summary.inputs.map((t) => t.name)]);
  const clash = added.find((name) => taken.has(name));
  if (clash !== undefined) throw invalidModel(`The model already has a tensor named "${clash}"; it cannot be rewritten`);
  if (new Set(added).size !== added.length) throw invalidModel('The rewrite would give two tensors the same name');
  const nodeName = (base: string): string => {
    let name = `simili_${base}`;
    for (let i = 1; nodeNames.has(name); i++) name = `simili_${base}_${i}`;
    nodeNames.add(name);
    return name;
  };

  const graph: Uint8Array[][] = [];
  // Nodes must stay topologically sorted: the input alias comes before every consumer.
  if (spec.inputName !== spec.sourceInput) graph.push(node('Identity', nodeName('input'), [spec.inputName], [spec.sourceInput]));
  for (const field of parsed.graph) {
    if (field.number === GRAPH.valueInfo) continue; // recorded shapes assume the fixed input size
    if (field.number === GRAPH.input && tensorInfo(field).name === spec.sourceInput) {
      const channels = input.dims[1];
      graph.push(inputValueInfo(spec.inputName, typeof channels === 'number' ? channels : null));
      continue;
    }
    if (field.number === GRAPH.output) {
      graph.push(withoutShape(field));
      continue;
    }
    graph.push(put.field(field));
  }
  graph.push(node('Identity', nodeName('features'), [spec.featureTensor], [spec.outputs.features]));
  graph.push(node('GlobalAveragePool', nodeName('gap'), [spec.featureTensor], [gap]));
  graph.push(node('Flatten', nodeName('embedding'), [gap], [spec.outputs.embedding], { axis: 1 }));
  if (spec.outputs.logits !== undefined) graph.push(node('Identity', nodeName('logits'), [spec.logitsTensor!], [spec.outputs.logits]));
  graph.push(floatValueInfo(GRAPH.output, spec.outputs.embedding, ['N', 'C']));
  graph.push(floatValueInfo(GRAPH.output, spec.outputs.features, ['N', 'C', 'h', 'w']));
  if (spec.outputs.logits !== undefined) graph.push(floatValueInfo(GRAPH.output, spec.outputs.logits, ['N', 'classes']));

  const model: Uint8Array[][] = [];
  for (const field of parsed.model) {
    model.push(field.number === MODEL.graph ? put.message(MODEL.graph, graph) : put.field(field));
  }
  for (const [key, value] of Object.entries(spec.metadata ?? {})) {
    model.push(put.message(MODEL.metadataProps, [put.string(1, key), put.string(2, value)]));
  }
  return writeMessage(model);
}

/**
 * NCHW float input with symbolic N, H, W; the channel count stays fixed when the source
 * declares it, so the runtime still rejects a wrong number of colour planes.
 */
function inputValueInfo(name: string, channels: number | null): Uint8Array[] {
  const dimFields = ['N', 'C', 'H', 'W'].map((d, i) =>
    i === 1 && channels !== null ? put.message(SHAPE.dim, [put.varint(DIM.value, channels)]) : put.message(SHAPE.dim, [put.string(DIM.param, d)]),
  );
  return put.message(GRAPH.input, [
    put.string(VALUE_INFO.name, name),
    put.message(VALUE_INFO.type, [put.message(TYPE.tensor, [put.varint(TENSOR_TYPE.elemType, FLOAT), put.message(TENSOR_TYPE.shape, dimFields)])]),
  ]);
}

/** Metadata the rewrite recorded (model metadata_props). */
export function modelMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of parse(bytes, 'model')) {
    if (field.number !== MODEL.metadataProps) continue;
    const entry = parse(field.bytes, 'metadata');
    const key = entry.find((f) => f.number === 1);
    const value = entry.find((f) => f.number === 2);
    if (key !== undefined) out[fieldString(key)] = value === undefined ? '' : fieldString(value);
  }
  return out;
}
