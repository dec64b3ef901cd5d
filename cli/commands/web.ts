import type { Command } from 'commander';
import { integerOption } from '../options.js';
import { print } from '../terminal.js';

export function register(program: Command): void {
  program
    .command('web')
    .description('serve the page that proves this model in the browser (the input never leaves it), cross-origin isolated for proofs on several threads')
    .argument('<dir>', 'artifacts folder (after setup)')
    .option('-p, --port <n>', 'port to listen on (default 0: any free port, printed)', integerOption('--port', 0, 65535), 0)
    .option('--host <address>', 'interface to listen on (default 127.0.0.1: this machine only)', '127.0.0.1')
    .option('--max-threads <n>', 'the most threads a proof in the page may use (default 8)', integerOption('--max-threads', 1, 64))
    .option('--no-isolation', 'leave out the COOP/COEP headers (the page then proves on one thread)')
    .action(async (dir: string, flags: { port: number; host: string; maxThreads?: number; isolation: boolean }) => {
      const { serveWeb } = await import('../../pipeline/web.js');
      const server = await serveWeb(dir, { port: flags.port, host: flags.host, isolate: flags.isolation, ...(flags.maxThreads !== undefined ? { maxThreads: flags.maxThreads } : {}) });
      print(`serving the page for ${server.site.manifest.model} on ${server.url}${flags.isolation ? '' : ' (not cross-origin isolated: one thread)'}; Ctrl-C stops`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await server.close();
    });

  program
    .command('export-web')
    .description('write the page that proves this model in the browser as static files, to host anywhere (with COOP/COEP headers for proofs on several threads)')
    .argument('<dir>', 'artifacts folder (after setup)')
    .requiredOption('-o, --out <folder>', 'folder to write the site into (new, empty, or a previous export)')
    .option('--max-threads <n>', 'the most threads a proof in the page may use (default 8)', integerOption('--max-threads', 1, 64))
    .action(async (dir: string, flags: { out: string; maxThreads?: number }) => {
      const { exportWeb } = await import('../../pipeline/web.js');
      const site = await exportWeb(dir, flags.out, flags.maxThreads !== undefined ? { maxThreads: flags.maxThreads } : {});
      const mib = (site.firstDownloadBytes / 2 ** 20).toFixed(1);
      print(`wrote ${site.out}: the page for ${site.manifest.model} (${mib} MiB to download before the first proof, ${site.manifest.samples.length} test images)`);
      print(`serve it with the headers in ${site.out}/_headers (COOP/COEP) for proofs on several threads; without them the page proves on one`);
    });
}
