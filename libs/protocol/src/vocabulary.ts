// Small embedded word lists for synthetic challenges and the deterministic reference model. Changing them
// changes every generated challenge and reference completion for a given seed: treat them as stored data
// and only ever append.

function words(list: string): readonly string[] {
  return list.trim().split(/\s+/);
}

function phrases(list: string): readonly string[] {
  return list.split('|').map((phrase) => phrase.trim());
}

export const nouns = words(`
  river engine garden market library harbor village bridge forest station orchard factory mountain school
  council festival museum railway bakery lighthouse farmer teacher engineer painter sailor doctor merchant
  student pilot gardener storm harvest network machine lantern journal compass telescope violin canal
`);

export const adjectives = words(`
  old quiet busy bright narrow ancient modern small famous remote crowded gentle sturdy hidden colorful
  patient curious careful steady simple
`);

export const verbs = words(`
  repaired visited described protected measured painted opened studied crossed built cleaned followed
  explored improved supplied watched recorded moved restored guided
`);

export const adverbs = words('slowly carefully quickly quietly often rarely gladly proudly early finally');

export const places = phrases(`
  the coast | the valley | the old town | the northern hills | the city center | the river bank | the island |
  the border | the plains | the harbor district
`);

export const timeframes = phrases(`
  every spring | last winter | in the morning | after the flood | for many years | during the festival |
  before sunrise | each autumn | in recent decades | on market days
`);

/** Words the deterministic reference model writes with. */
export const completionWords: readonly string[] = [
  ...nouns,
  ...adjectives,
  ...verbs,
  ...adverbs,
  ...words(
    'the a and of to in with near while because many some every people light water stone wind road time',
  ),
];

/** Function words that carry no topic; sentence scoring for extractive summaries ignores them. */
export const stopwords: ReadonlySet<string> = new Set(
  words(`
    a an and are as at be been but by for from had has have he her his i in is it its of on or she that the
    their them then there they this to was we were what when which while who will with you your not no so than
    too very can did do does into over after before each every many some more most other our us also only just
  `),
);
