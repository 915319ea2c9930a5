/** Every CLI command, in help order. A new command adds one line here. */
import type { RegisterCommand } from './registry.js';
import { register as index } from './index-cmd.js';
import { register as search } from './search.js';
import { register as evaluate } from './eval.js';
import { register as info } from './info.js';
import { register as labels } from './labels.js';
import { register as ls } from './ls.js';
import { register as add } from './add.js';
import { register as remove } from './remove.js';
import { register as trainSimilarity } from './train-similarity.js';
import { register as serve } from './serve.js';
import { register as worker } from './worker.js';
import { register as duplicates } from './duplicates.js';
import { register as trainAutoencoder } from './train-autoencoder.js';
import { register as trainItq } from './train-itq.js';

export const COMMANDS: RegisterCommand[] = [index, search, evaluate, info, duplicates, add, remove, ls, labels, trainSimilarity, trainAutoencoder, trainItq, serve, worker];
