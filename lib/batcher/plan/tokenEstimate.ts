/**
 * Bytes of input JSON per model token, the estimate's divisor. WordPiece and BPE tokenizers
 * give about one token per 4 characters of English text; on the benchmark corpora,
 * all-MiniLM-L6-v2's tokenizer gives one per 5.1-5.5 bytes of JSON (bench/REPORT.md), so the
 * estimate errs high and a token budget errs on the safe side.
 */
export const bytesPerToken = 4;

/**
 * A cheap estimate of how many tokens a model sees for one input, from the byte length of
 * its JSON text: no tokenizer in the function, no per-model table. It only has to rank
 * inputs by length and bound a batch's padded size roughly; the model still truncates.
 */
export function estimateTokens(inputBytes: number): number {
  return Math.max(1, Math.ceil(inputBytes / bytesPerToken));
}
