/** The benchmarks' questions: distinct per run and index, and light rewrites of them that must be semantic hits. */
const TOPICS = ['router', 'garden', 'invoice', 'kubernetes', 'passport', 'bicycle', 'mortgage', 'python', 'guitar', 'vaccine'];
const VERBS = ['explain', 'compare', 'summarise', 'plan', 'debug', 'price', 'translate', 'schedule', 'review', 'design'];
const THINGS = ['a budget', 'a recipe', 'an API', 'a lease', 'a playlist', 'a workout', 'a trip', 'a poem', 'a schema', 'a garden bed'];

/** A question no other index of this run asks, nor a paraphrase of one (the index is an entity the verifier checks). */
export const newQuestion = (run: string, i: number) =>
  `Load ${run} task ${i}: ${VERBS[i % 10]} ${THINGS[Math.floor(i / 10) % 10]} about my ${TOPICS[Math.floor(i / 100) % 10]}, step by step.`;

/** A question to store, and its rewrite that the gateway must serve from it (HIT_L3_VERIFIED). */
export const storedQuestion = (run: string, i: number) => `Question ${run} ${i}: how should I maintain my ${TOPICS[i % TOPICS.length]} over the next few months?`;
export const rewriteOf = (question: string) => question.toLowerCase().replace(/[?:]/g, '');

export const chatBody = (content: string) => JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content }] });
