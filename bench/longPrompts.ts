/**
 * The long-prompt adversarial set (issue 31; test/e2e/longPrompts.e2e.test.ts, and bench/longPrompt for its cost): prompts longer than the
 * embedding model's window, where a semantic cache that compares only what
 * the model saw serves one question's answer to another.
 *
 * Each case stores `stored`, then asks `negative` (a different question in the
 * same surroundings: it must miss) and `positive` (a rewording of the stored
 * question in the same surroundings: it may be served, and only with the
 * stored answer). The documents are generated deterministically: a hand-written
 * passage about a fictional bridge, extended to the wanted length with
 * sentences that never repeat.
 */

export interface LongPromptCase {
  name: string;
  /** Messages of the request stored first. */
  stored: Message[];
  /** Must be a miss. */
  negative: Message[];
  /** May be a hit (with `stored`'s answer), when the difference lies in text the comparison saw. */
  positive?: Message[];
}

export interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const PASSAGE = `The Ardent River Bridge is a suspension bridge that carries the old coast road across the mouth of the Ardent River. \
Its construction was approved by the provincial council after a ferry accident in the winter storms, and the design competition \
attracted entries from eleven engineering firms. The winning design proposed two granite towers and a deck hung from steel cables \
spun on site, which was unusual for a crossing of that size at the time. Work on the foundations began in spring, when engineers \
sank caissons into the riverbed and pumped them dry so that masons could lay the footings by hand. Progress was slow because the \
tides reached the workings twice a day, and two caissons flooded during the first autumn. The towers rose steadily once the \
foundations were finished, and the cable spinning took the better part of a year, with crews working from catwalks suspended \
high above the water. Local newspapers followed every stage, and crowds gathered on the banks each weekend to watch the deck \
sections lifted into place by barge cranes. The deck was finally joined in the middle of the river in a ceremony attended by \
the governor and most of the town. When the bridge opened to traffic it carried carts, trams and pedestrians, and tolls were \
collected at a stone lodge on the northern approach until the debt was repaid. In later decades the deck was strengthened \
for heavier lorries, the tram tracks were removed, and a footpath was added on the seaward side. A major restoration replaced \
the original suspender cables and repainted the steelwork in its first colour, a deep green chosen by the architect. Today the \
bridge is a protected monument, carries about twelve thousand vehicles a day, and is lit at night by lamps along its cables.`;

const PEOPLE = ['Margaret Hale', 'Tomas Varga', 'Elena Ruiz', 'Samuel Okafor', 'Ingrid Berg', 'Arjun Mehta', 'Claire Dubois', 'Henrik Lund', 'Mei Lin', 'Oscar Brandt', 'Fatima Haddad', 'Peter Novak', 'Lucia Moretti'];
const ROLES = ['surveyor', 'mason', 'clerk of works', 'toll keeper', 'painter', 'inspector', 'historian', 'councillor', 'photographer', 'foreman', 'diver', 'rigger'];
const DEEDS = [
  'recorded the tides at the northern footing',
  'measured the sag of the main cables',
  'repaired the railings on the footpath',
  'wrote a report on the state of the anchorages',
  'photographed the towers from the harbour wall',
  'replaced rotten planks on the service catwalk',
  'argued before the council for lower tolls',
  'catalogued the original drawings in the town archive',
  'checked the rivets of the deck stiffening girders',
  'organised a festival on the southern approach',
  'cleaned the lamps that hang along the cables',
  'led a survey of corrosion under the deck',
  'petitioned for a second footpath on the landward side',
];
const PLACES = ['the northern tower', 'the southern approach', 'the toll lodge', 'the east anchorage', 'the harbour office', 'the town archive', 'the river pilots\u2019 hall', 'the west caisson', 'the lamp store'];

/** Unique sentences of local history, for padding a document to length. */
function history(words: number): string {
  const out: string[] = [];
  let count = 0;
  for (let i = 0; count < words; i++) {
    const who = PEOPLE[i % PEOPLE.length]!;
    const role = ROLES[(i * 5) % ROLES.length]!;
    const deed = DEEDS[(i * 7) % DEEDS.length]!;
    const place = PLACES[(i * 3) % PLACES.length]!;
    const sentence = `In the year ${1890 + i}, ${who}, the ${role} based at ${place}, ${deed}.`;
    out.push(sentence);
    count += sentence.split(/\s+/).length;
  }
  return out.join(' ');
}

/** A document of about `words` words: the passage, then history to fill it. */
export function documentOf(words: number): string {
  const passageWords = PASSAGE.split(/\s+/).length;
  return words <= passageWords ? PASSAGE.split(/\s+/).slice(0, words).join(' ') : `${PASSAGE}\n\n${history(words - passageWords)}`;
}

/** A second document on another subject, the same size: "a different document with the same question". */
export function otherDocumentOf(words: number): string {
  return documentOf(words)
    .replace(/Ardent River/g, 'Kestrel Estuary')
    .replace(/suspension bridge/g, 'cantilever bridge')
    .replace(/granite towers/g, 'brick piers')
    .replace(/In the year (\d+)/g, (_, y: string) => `In the year ${Number(y) + 40}`);
}

export interface Question {
  asked: string;
  other: string;
  reworded: string;
}

/** A stored question, a near question with another answer, and a rewording of the stored one. */
export const QUESTIONS: Question[] = [
  { asked: 'In what year was the bridge completed?', other: 'Who was the chief engineer of the bridge?', reworded: 'In which year was the bridge completed?' },
  { asked: 'How long is the main span of the bridge?', other: 'How tall are the towers of the bridge?', reworded: 'How long is the bridge\u2019s main span?' },
  { asked: 'Why were the tram tracks removed from the bridge?', other: 'Why was the footpath added to the bridge?', reworded: 'Why were the tram tracks taken off the bridge?' },
];

type Place = 'end' | 'start' | 'middle';

function around(doc: string, question: string, place: Place): string {
  if (place === 'end') return `${doc}\n\nQuestion: ${question}`;
  if (place === 'start') return `Question: ${question}\n\n${doc}`;
  const paragraphs = doc.split(/(?<=\.) /);
  const half = Math.floor(paragraphs.length / 2);
  return `${paragraphs.slice(0, half).join(' ')}\n\nQuestion: ${question}\n\n${paragraphs.slice(half).join(' ')}`;
}

const user = (content: string): Message => ({ role: 'user', content });

/** Every case of the set; the word counts are those the issue names. */
export function longPromptCases(): LongPromptCase[] {
  const cases: LongPromptCase[] = [];
  const sizes = [300, 900, 5000];
  const places: Place[] = ['end', 'start', 'middle'];
  sizes.forEach((words, s) =>
    places.forEach((place, p) => {
      const q = QUESTIONS[(s + p) % QUESTIONS.length]!;
      const doc = documentOf(words);
      cases.push({
        name: `${words}-word document, question at the ${place}`,
        stored: [user(around(doc, q.asked, place))],
        negative: [user(around(doc, q.other, place))],
        positive: [user(around(doc, q.reworded, place))],
      });
    }),
  );
  for (const words of sizes) {
    const q = QUESTIONS[0]!;
    cases.push({
      name: `a different ${words}-word document with the same question`,
      stored: [user(around(documentOf(words), q.asked, 'end'))],
      negative: [user(around(otherDocumentOf(words), q.asked, 'end'))],
    });
  }
  const system: Message = { role: 'system', content: `You answer questions about this document only.\n\n${documentOf(900)}` };
  cases.push({
    name: 'a long system prompt with different short requests',
    stored: [system, user(QUESTIONS[1]!.asked)],
    negative: [system, user(QUESTIONS[1]!.other)],
    positive: [system, user(QUESTIONS[1]!.reworded)],
  });
  const turns: Message[] = [user(`Here is a document.\n\n${documentOf(900)}`), { role: 'assistant', content: 'I have read it. What would you like to know?' }];
  cases.push({
    name: 'a conversation that differs only in its last turn',
    stored: [...turns, user(QUESTIONS[2]!.asked)],
    negative: [...turns, user(QUESTIONS[2]!.other)],
    positive: [...turns, user(QUESTIONS[2]!.reworded)],
  });
  const longTurn = (q: string) => [...turns, user(`${documentOf(900)}\n\nGiven all that: ${q}`)];
  cases.push({
    name: 'a conversation whose last turn is long and differs at its end',
    stored: longTurn(QUESTIONS[0]!.asked),
    negative: longTurn(QUESTIONS[0]!.other),
    positive: longTurn(QUESTIONS[0]!.reworded),
  });
  return cases;
}
