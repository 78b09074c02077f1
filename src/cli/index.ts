#!/usr/bin/env node
/** `reflex [command] [options]`; no command = `start`. `reflex --help` lists the commands. */
import { ConfigError } from '../config';
import { buildProgram } from './program';

const argv = process.argv.slice(2);
buildProgram()
  .parseAsync(argv.length ? argv : ['start'], { from: 'user' })
  .catch((err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  });
