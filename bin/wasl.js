#!/usr/bin/env node
// npx and npm link run this file with plain node, so tsx is registered here to load the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
