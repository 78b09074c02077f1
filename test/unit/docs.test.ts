/** The README's configuration table is the users' reference: every setting the schema reads must be in it. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema } from '../../src/config';

test('every REFLEX_* setting is documented in the README', () => {
  const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const settings = Object.keys(configSchema.innerType().shape);
  expect(settings.length).toBeGreaterThan(20);
  expect(settings.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
});
