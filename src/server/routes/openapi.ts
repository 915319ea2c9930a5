/** GET /openapi.json: an OpenAPI 3.1 description of the JSON API, written by hand to stay readable. */
import { Hono } from 'hono';

const error = { $ref: '#/components/responses/Error' };
const k = { name: 'k', in: 'query', description: 'How many results (default 10)', schema: { type: 'integer', minimum: 1 } };
const threshold = { name: 'threshold', in: 'query', description: 'Drop results scoring below this cosine similarity', schema: { type: 'number', minimum: -1, maximum: 1 } };
const rerank = { name: 'rerank', in: 'query', description: 'Re-rank the first-stage candidates', schema: { enum: ['none', 'ssim', 'ms-ssim', 'ssim-euclid', 'learned'] } };
const rerankTop = { name: 'rerankTop', in: 'query', description: 'How many first-stage candidates are re-ranked (default 100)', schema: { type: 'integer', minimum: 1 } };
const byCategory = { name: 'byCategory', in: 'query', description: "Scan only images sharing the query's predicted categories (widens when too few)", schema: { type: 'boolean' } };
const topCategories = { name: 'topCategories', in: 'query', description: 'A fixed number of predicted categories opens the gate (default: those covering categoryMass)', schema: { type: 'integer', minimum: 1 } };
const categoryMass = { name: 'categoryMass', in: 'query', description: "The query's predicted categories until their probabilities sum to this (default 0.9)", schema: { type: 'number', minimum: 0.01, maximum: 1 } };
const category = { name: 'category', in: 'query', description: 'Only images labelled with this class (name, word or synset id)', schema: { type: 'string' } };
const exact = { name: 'exact', in: 'query', description: 'true: scan every code; false: use the ANN index', schema: { type: 'boolean' } };
const addQuery = { name: 'addQuery', in: 'query', description: 'Also store the query image in the collection (needs the bearer token)', schema: { type: 'boolean' } };
const searchParams = [k, threshold, rerank, rerankTop, byCategory, topCategories, categoryMass, category, exact, addQuery];
const idParam = { name: 'id', in: 'path', required: true, description: 'Image id from the catalogue', schema: { type: 'integer', minimum: 1 } };
const bearer = [{ bearer: [] }];

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'simili',
      version: '0.1.0',
      description: 'Content-based image retrieval: search a collection by an example image. Errors are always `{ "error": { "code", "message" } }`.',
    },
    paths: {
      '/api/stats': { get: { summary: 'Collection statistics, model and recipe', responses: { 200: json('#/components/schemas/Stats'), default: error } } },
      '/api/search': {
        get: {
          summary: 'Search by an image of the collection (id) or by URL',
          parameters: [
            { name: 'id', in: 'query', schema: { type: 'integer', minimum: 1 } },
            { name: 'url', in: 'query', schema: { type: 'string', format: 'uri' } },
            ...searchParams,
          ],
          responses: { 200: json('#/components/schemas/SearchResult'), default: error },
        },
        post: {
          summary: 'Search by an uploaded image, a URL or an id',
          description: 'Parameters may also be sent as form fields or JSON fields (the body wins).',
          parameters: searchParams,
          requestBody: {
            required: true,
            content: {
              'image/*': { schema: { type: 'string', contentMediaType: 'image/*' } },
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  properties: { image: { type: 'string', contentMediaType: 'image/*' }, url: { type: 'string' }, id: { type: 'integer' }, k: { type: 'integer' }, threshold: { type: 'number' } },
                },
              },
              'application/json': {
                schema: { type: 'object', properties: { url: { type: 'string' }, id: { type: 'integer' }, k: { type: 'integer' }, threshold: { type: 'number' } } },
              },
            },
          },
          responses: { 200: json('#/components/schemas/SearchResult'), default: error },
        },
      },
      '/api/images': {
        get: {
          summary: 'Browse the collection, a page at a time (ordered by id)',
          parameters: [
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
            { name: 'status', in: 'query', schema: { enum: ['indexed', 'failed', 'all'] } },
          ],
          responses: { 200: json('#/components/schemas/ImageList'), default: error },
        },
        post: {
          summary: 'Add an image (needs the bearer token)',
          security: bearer,
          requestBody: {
            required: true,
            content: {
              'image/*': { schema: { type: 'string', contentMediaType: 'image/*' } },
              'multipart/form-data': { schema: { type: 'object', properties: { image: { type: 'string', contentMediaType: 'image/*' } } } },
              'application/json': { schema: { type: 'object', properties: { url: { type: 'string' } } } },
            },
          },
          responses: { 201: json('#/components/schemas/Image'), default: error },
        },
      },
      '/api/images/{id}': {
        get: { summary: 'One image record', parameters: [idParam], responses: { 200: json('#/components/schemas/Image'), default: error } },
        delete: { summary: 'Remove an image from the collection (needs the bearer token)', security: bearer, parameters: [idParam], responses: { 200: { description: 'Removed' }, default: error } },
      },
      '/api/images/{id}/file': {
        get: {
          summary: 'The image itself (a redirect for images known by URL)',
          parameters: [idParam],
          responses: { 200: { description: 'Image bytes', content: { 'image/*': {} } }, 302: { description: 'Image lives at a URL' }, default: error },
        },
      },
      '/api/images/{id}/thumb': {
        get: { summary: 'A small JPEG/WebP preview', parameters: [idParam], responses: { 200: { description: 'Thumbnail', content: { 'image/*': {} } }, default: error } },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      responses: { Error: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
        },
        Image: {
          type: 'object',
          properties: {
            id: { type: 'integer' },
            path: { type: 'string' },
            name: { type: 'string' },
            width: { type: ['integer', 'null'] },
            height: { type: ['integer', 'null'] },
            format: { type: ['string', 'null'] },
            status: { enum: ['indexed', 'failed'] },
            file: { type: 'string' },
            thumb: { type: 'string' },
          },
        },
        ImageList: {
          type: 'object',
          properties: { total: { type: 'integer' }, offset: { type: 'integer' }, limit: { type: 'integer' }, images: { type: 'array', items: { $ref: '#/components/schemas/Image' } } },
        },
        Hit: {
          type: 'object',
          properties: { rank: { type: 'integer' }, id: { type: 'integer' }, path: { type: 'string' }, name: { type: 'string' }, score: { type: 'number', description: 'what the list is ordered by' }, similarity: { type: 'number', description: 'cosine similarity of the codes; threshold applies to it' }, file: { type: 'string' }, thumb: { type: 'string' } },
        },
        SearchResult: {
          type: 'object',
          properties: {
            query: { type: 'object', properties: { kind: { enum: ['upload', 'url', 'id'] }, label: { type: 'string' }, id: { type: 'integer' }, thumb: { type: 'string' } } },
            gate: { type: 'object', description: 'How the category gate chose the candidates (byCategory or category only)' },
            added: { type: 'array', items: { $ref: '#/components/schemas/Image' }, description: 'The query as stored (addQuery only)' },
            k: { type: 'integer' },
            hits: { type: 'array', items: { $ref: '#/components/schemas/Hit' } },
            scanned: { type: 'integer' },
            timings: { type: 'object', properties: { encodeMs: { type: 'number' }, searchMs: { type: 'number' }, rerankMs: { type: 'number' }, totalMs: { type: 'number' } } },
          },
        },
        Stats: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            images: { type: 'integer' },
            indexed: { type: 'integer' },
            failed: { type: 'integer' },
            dim: { type: ['integer', 'null'] },
            encoderId: { type: ['string', 'null'] },
            model: { type: ['string', 'null'] },
            recipe: { type: ['object', 'null'] },
            features: { type: 'object' },
            limits: { type: 'object' },
            search: {
              type: ['object', 'null'],
              description: 'How a search is answered: every code scanned, or an approximate index whose candidates are re-scored exactly',
              properties: {
                mode: { enum: ['scan', 'graph', 'store'] },
                threshold: { type: 'integer', description: 'indexed images from which the approximate index answers' },
                storage: { enum: ['f32', 'f16', 'i8', 'b1'] },
                graphVectors: { type: ['integer', 'null'] },
              },
            },
          },
        },
      },
    },
  };
}

function json(ref: string): Record<string, unknown> {
  return { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } };
}

export function openApiRoutes(): Hono {
  const app = new Hono();
  const doc = openApiDocument();
  app.get('/', (c) => c.json(doc));
  return app;
}
