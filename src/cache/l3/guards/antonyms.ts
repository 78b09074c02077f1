/**
 * Opposite terms ("enable"/"disable", "ascending"/"descending",
 * "upload"/"download") sit almost on top of each other in embedding space.
 * A conflict needs one term on one side only and its opposite on the other
 * side only, or both on both sides in the other order.
 */
import type { Guard } from './guard';
import { stem, stems } from '../text';

const PAIRS = (
  'enable/disable activate/deactivate on/off start/stop begin/end open/close buy/sell add/remove add/delete ' +
  'create/delete insert/delete show/hide allow/block allow/deny accept/reject win/lose gain/lose love/hate ' +
  'best/worst better/worse good/bad positive/negative true/false rich/poor male/female men/women man/woman ' +
  'boy/girl husband/wife father/mother son/daughter brother/sister first/last old/new young/old cheap/expensive ' +
  'fast/slow faster/slower hot/cold high/low higher/lower big/small bigger/smaller large/small larger/smaller ' +
  'long/short longer/shorter more/less most/least above/below inside/outside before/after early/late ' +
  'north/south east/west left/right push/pull send/receive give/take lend/borrow import/export input/output ' +
  'client/server maximum/minimum max/min ascending/descending asc/desc increase/decrease increase/reduce ' +
  'pros/cons advantage/disadvantage success/failure pass/fail profit/loss day/night summer/winter light/dark ' +
  'white/black sunrise/sunset upload/download upgrade/downgrade upvote/downvote uppercase/lowercase ' +
  'upper/lower encrypt/decrypt encode/decode compress/decompress serialize/deserialize login/logout ' +
  'signin/signout checkin/checkout optin/optout logon/logoff include/exclude inbound/outbound internal/external legal/illegal happy/sad easy/hard ' +
  'easy/difficult strong/weak safe/dangerous agree/disagree like/dislike always/never everyone/nobody ' +
  'all/none import/export lock/unlock mount/unmount follow/unfollow block/unblock subscribe/unsubscribe ' +
  'install/uninstall zip/unzip connect/disconnect online/offline sender/receiver buyer/seller import/export ' +
  'student/teacher employee/employer parent/child love/hatred ' +
  // Movement of a quantity: "why are rates rising" and "why are rates falling" embed at cosine ~0.90.
  'rise/fall rise/drop rise/decline rose/fell risen/fallen up/down upward/downward uptrend/downtrend ' +
  'increase/drop increase/decline increase/fall grow/shrink grow/decline growth/decline expand/contract expand/shrink ' +
  'gain/drop climb/fall climb/drop strengthen/weaken accelerate/decelerate speed/slow appreciate/depreciate ' +
  'inflate/deflate surplus/deficit bull/bear bullish/bearish boom/bust overvalue/undervalue ' +
  // Superlatives embed like their opposites too: "shortest" vs "longest".
  'shortest/longest highest/lowest biggest/smallest largest/smallest fastest/slowest oldest/youngest ' +
  'oldest/newest strongest/weakest easiest/hardest richest/poorest hottest/coldest cheapest/costliest ' +
  'earliest/latest nearest/farthest closest/farthest ' +
  // One side's superlative against the other's "most …": "cheaper" / "more expensive" (0.955, model verifier).
  'cheaper/expensive cheapest/expensive cheapest/priciest safest/dangerous quickest/slowest rarest/common ' +
  // Comparatives and their plain forms: "who is older, A or B" and "who is younger, A or B" embed at ~0.97.
  'older/younger elder/younger taller/shorter tall/short heavier/lighter heavy/light wider/narrower wide/narrow ' +
  'thicker/thinner thick/thin deeper/shallower deep/shallow warmer/cooler warm/cool hotter/colder richer/poorer ' +
  'stronger/weaker easier/harder cheaper/dearer closer/farther nearer/farther ' +
  // When, where and which way: "what happened yesterday" and "... today" embed at ~0.96.
  'yesterday/today today/tomorrow yesterday/tomorrow next/last next/previous past/future ancient/modern ' +
  'horizontal/vertical horizontally/vertically local/remote locally/remotely front/back top/bottom ' +
  'inner/outer forward/backward head/tail wet/dry full/empty odd/even public/private static/dynamic ' +
  'sync/async synchronous/asynchronous explicit/implicit singular/plural major/minor absolute/relative ' +
  'debit/credit asset/liability offense/defense attack/defend adult/child adults/children ' +
  'fahrenheit/celsius celsius/kelvin fahrenheit/kelvin metric/imperial ' +
  // Keeping against throwing away: "undo the commit but keep the changes" / "… and discard the changes" (~0.97).
  'keep/discard keep/delete keep/remove keep/drop save/discard commit/rollback read/write get/set ' +
  'enter/exit arrive/depart arrival/departure expand/collapse attach/detach join/leave ' +
  // "The similarities between cats and dogs" against "the differences" (0.928, served by the model verifier).
  'similar/different similarity/difference same/different alike/different'
)
  .split(' ')
  .map((p) => p.split('/').map((w) => stem(w.replace('-', ''))) as [string, string]);

/** Each pole's opposites, both ways, so a text is checked word by word, not pair by pair. */
const OPPOSITES = new Map<string, string[]>();
for (const [x, y] of PAIRS) {
  OPPOSITES.set(x, [...(OPPOSITES.get(x) ?? []), y]);
  OPPOSITES.set(y, [...(OPPOSITES.get(y) ?? []), x]);
}

// Generic prefix opposites for terms the list misses: "do"/"undo", "encode"/"decode".
const ADDED_PREFIXES = ['un', 'dis', 'de', 'non', 'anti', 'mis', 'in', 'im', 'il', 'ir'];
const SWAPPED_PREFIXES: Array<[string, string]> = [
  ['en', 'de'], ['in', 'de'], ['in', 'ex'], ['im', 'ex'], ['in', 'out'], ['up', 'down'],
  ['over', 'under'], ['pre', 'post'], ['as', 'de'], ['upper', 'lower'], ['max', 'min'],
];
const MIN_ROOT = 4;
const PARTICLE_PAIRS: Array<[string, string]> = [['in', 'out'], ['on', 'off']];

function prefixOpposite(x: string, y: string): boolean {
  // Every rule below needs a shared root at the end, or a shared stem before a particle.
  if (x.slice(-MIN_ROOT) !== y.slice(-MIN_ROOT) && x.slice(0, 3) !== y.slice(0, 3)) return false;
  for (const p of ADDED_PREFIXES) {
    if (y === p + x && x.length >= MIN_ROOT) return true;
    if (x === p + y && y.length >= MIN_ROOT) return true;
  }
  for (const [p, q] of SWAPPED_PREFIXES) {
    const root = x.startsWith(p) ? x.slice(p.length) : x.startsWith(q) ? x.slice(q.length) : '';
    if (root.length >= MIN_ROOT && ((x === p + root && y === q + root) || (x === q + root && y === p + root))) return true;
  }
  return particleSwap(x, y) || particleSwap(y, x);
}

/** Joined phrasal verbs carry the particle at the end: "zoomin" / "zoomout". */
function particleSwap(x: string, y: string): boolean {
  return PARTICLE_PAIRS.some(([p, q]) => x.endsWith(p) && y.endsWith(q) && x.length > p.length + 2 && x.slice(0, -p.length) === y.slice(0, -q.length));
}

// Phrasal verbs whose particle carries the polarity: "log in" vs "log out".
const joinParticles = (text: string) => text.replace(/\b(log|sign|check|opt|clock|plug|zoom|print|fade)[\s-]+(in|out|on|off)\b/gi, '$1$2');

const JOINERS = new Set(['or', 'and', 'vs', 'versus', 'nor']);

/**
 * Both poles on both sides, in the other order: "I loved the battery and hated
 * the screen" against "I hated the battery and loved the screen" (0.984). Poles
 * joined as one choice ("enable or disable") may come in either order.
 */
function polesSwapped(a: readonly string[], b: readonly string[], [x, y]: [string, string]): boolean {
  const order = (t: readonly string[]) => {
    const [i, j] = [t.indexOf(x), t.indexOf(y)];
    if (i < 0 || j < 0) return 0;
    const [lo, hi] = i < j ? [i, j] : [j, i];
    return hi - lo === 1 || (hi - lo === 2 && JOINERS.has(t[lo + 1]!)) ? 0 : Math.sign(j - i);
  };
  return order(a) * order(b) === -1;
}

export function opposed(query: string, candidate: string): boolean {
  const [ta, tb] = [stems(joinParticles(query)), stems(joinParticles(candidate))];
  const a = new Set(ta);
  const b = new Set(tb);
  const onlyA = [...a].filter((w) => !b.has(w));
  const onlyB = [...b].filter((w) => !a.has(w));
  // One pole on one side only, its opposite on the other side only.
  if (onlyA.some((x) => OPPOSITES.get(x)?.some((y) => b.has(y) && !a.has(y)))) return true;
  // Both poles on both sides, in the other order.
  const both = [...a].filter((w) => b.has(w) && OPPOSITES.has(w));
  if (both.some((x) => OPPOSITES.get(x)!.some((y) => both.includes(y) && polesSwapped(ta, tb, [x, y])))) return true;
  return onlyA.some((x) => onlyB.some((y) => prefixOpposite(x, y)));
}

export const antonymGuard: Guard = { name: 'antonym_mismatch', conflict: opposed };
