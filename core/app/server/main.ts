/**
 * `npm run serve`: the app in a browser. Starts the browser-mode server on 127.0.0.1, optionally opens a slide
 * folder, and prints the URL (with the launch token) to open.
 */
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { handleRequest } from '../handlers.ts';
import { formatError } from '../../base/errors.ts';
import { integer } from '../../base/option-parsers.ts';
import { UsageError } from '../../base/errors.ts';
import { startServer } from './server.ts';
import { DEFAULT_USER_DATA } from '../../jobs/project.ts';

const DEFAULT_RENDERER = fileURLToPath(new URL('../../../renderer/dist', import.meta.url));

interface Options {
  port: number;
  userData: string;
  openFolder?: string;
  renderer: string;
}

async function serve(options: Options): Promise<void> {
  const server = await startServer({
    host: '127.0.0.1',
    port: options.port,
    userDataDir: options.userData,
    rendererDir: options.renderer,
  });
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (options.openFolder) {
    const opened = await handleRequest(server.context, 'folders.open', { path: options.openFolder });
    if (!opened.ok) {
      await server.close();
      throw new UsageError(opened.error.file, opened.error.problem);
    }
  }
  process.stdout.write(`PatchGD Studio is running at ${server.url}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('serve')
    .description('Run PatchGD Studio in a browser, served on 127.0.0.1 only')
    .option('--port <n>', 'port (0 picks a free one)', integer('port', 0), 0)
    .option('--user-data <dir>', 'folder for the project store and runs', DEFAULT_USER_DATA)
    .option('--open-folder <dir>', 'open this slide folder at start')
    .option('--renderer <dir>', "the renderer's built files", DEFAULT_RENDERER)
    .exitOverride();
  try {
    await program.parseAsync(argv);
    await serve(program.opts<Options>());
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(formatError(err) + '\n');
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = await main(process.argv);
  if (code !== 0) process.exit(code);
}
