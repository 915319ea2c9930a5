/**
 * `--rerank <method>` and `--rerank-top <n>`, shared by `simili search` and `simili eval`.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_RERANK_TOP, RERANK_METHODS, validateRerankOptions, type RerankMethod, type RerankOptions } from '../rerank/rerankers.js';
import { parseInteger } from './parse.js';

export interface RerankFlags {
  rerank?: RerankMethod;
  rerankTop?: number;
}

export function rerankMethodOption(): Option {
  return new Option('--rerank <method>', 're-order the first-stage top N: SSIM, multi-scale SSIM, SSIM / code distance, or the trained network (train similarity)').choices(RERANK_METHODS);
}

export function rerankTopOption(): Option {
  return new Option('--rerank-top <n>', `how many first-stage results are re-ranked (default ${DEFAULT_RERANK_TOP})`).argParser(parseInteger);
}

export function addRerankOptions(command: Command): Command {
  return command.addOption(rerankMethodOption()).addOption(rerankTopOption());
}

/** The library option, validated; undefined when no re-ranking was asked for. */
export function rerankFromFlags(flags: RerankFlags): Required<RerankOptions> | undefined {
  if (!flags.rerank) {
    if (flags.rerankTop !== undefined) validateRerankOptions({ method: 'none', topN: flags.rerankTop });
    return undefined;
  }
  return validateRerankOptions({ method: flags.rerank, ...(flags.rerankTop !== undefined ? { topN: flags.rerankTop } : {}) });
}
