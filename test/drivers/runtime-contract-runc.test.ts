/** The RuntimeDriver contract suite against runc + conmon (root; runtime-harness.ts). */
import { Harness } from './runtime-harness.ts';
import { runtimeContract } from './runtime-contract.ts';

runtimeContract('runc', () => new Harness().init());
