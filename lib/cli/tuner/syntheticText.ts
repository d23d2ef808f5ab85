import { bytesPerToken } from '../../batcher/plan/tokenEstimate.js';

const words = (
  'the order arrived late but the support team answered every question about the delivery ' +
  'and the battery lasted through a long flight while the screen stayed bright in the sun ' +
  'price quality shipping refund manual colour fabric laptop blender headphones kitchen ' +
  'morning weekend family office travel comfort sound signal update review product'
).split(' ');

/**
 * English-like text whose JSON string is exactly `tokens x bytesPerToken` bytes, so the
 * planner estimates it at `tokens` tokens; `seed` varies the words (no two calls identical,
 * so no cache anywhere can answer from memory).
 */
export function textOfTokens(tokens: number, seed: number): string {
  const target = Math.max(1, tokens * bytesPerToken - 2); // the JSON string's quotes
  let text = '';
  for (let i = 0; text.length < target; i++) {
    text += `${words[(seed * 7 + i * 13 + (i >> 3)) % words.length]} `;
  }
  return text.slice(0, target);
}
