import type { Command } from 'commander';
import { register as audit } from './audit.js';
import { register as bench } from './bench.js';
import { register as ceremony } from './ceremony.js';
import { register as compile } from './compile.js';
import { register as contracts } from './contracts.js';
import { register as demo } from './demo.js';
import { register as inspect } from './inspect.js';
import { register as prove } from './prove.js';
import { register as quantize } from './quantize.js';
import { register as queue } from './queue.js';
import { register as report } from './report.js';
import { register as serve } from './serve.js';
import { register as setup } from './setup.js';
import { register as throughput } from './throughput.js';
import { register as verify } from './verify.js';
import { register as web } from './web.js';
import { register as worker } from './worker.js';

/** The program's global flags, read when a verb runs. */
export type Globals = () => { verbose?: boolean; quiet?: boolean };

export function registerCommands(program: Command): void {
  const globals: Globals = () => program.opts();
  demo(program, globals);
  quantize(program, globals);
  report(program, globals);
  compile(program, globals);
  setup(program, globals);
  ceremony(program, globals);
  prove(program, globals);
  serve(program);
  web(program);
  worker(program);
  queue(program);
  verify(program);
  contracts(program);
  inspect(program);
  audit(program, globals);
  throughput(program, globals);
  bench(program, globals);
}
