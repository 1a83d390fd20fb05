// Names offered in the join form. Pure, so Node tests import it.

import { MAX_NAME_LEN } from './protocol.js';

const ADJECTIVES = ['Swift', 'Quiet', 'Brave', 'Lucky', 'Rapid', 'Sly', 'Bold', 'Keen', 'Wild', 'Calm'];
const ANIMALS = ['Otter', 'Falcon', 'Lynx', 'Badger', 'Heron', 'Viper', 'Wolf', 'Mantis', 'Fox', 'Raven'];

/** generateName makes a name such as "SwiftOtter42"; random returns [0, 1). */
export function generateName(random = Math.random) {
  const pick = (list) => list[Math.floor(random() * list.length) % list.length];
  const n = Math.floor(random() * 100) % 100;
  return `${pick(ADJECTIVES)}${pick(ANIMALS)}${n}`.slice(0, MAX_NAME_LEN);
}
