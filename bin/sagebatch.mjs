#!/usr/bin/env node
// Runs the TypeScript CLI directly (the repository ships no build step).
import { register } from 'tsx/esm/api';

register();
await import('../lib/cli/main.ts');
