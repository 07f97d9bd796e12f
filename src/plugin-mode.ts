// `-m NAME`: plugin-only mode, as the original: watch the plugin's roots and hand every change to
// the plugin, with no rsync at all. Shell.
import type { PluginName } from './config/types.js';
import { exitCodeFor, waitForShutdownSignal, type DaemonContext } from './daemon-support.js';
import { ExitCode } from './exit-codes.js';
import { createPlugin, pluginWatchRoots } from './plugins/registry.js';
import { startWatcher } from './watch/create-watcher.js';

const MASK = {
  closeWrite: 0x8,
  modify: 0x2,
  attrib: 0x4,
  create: 0x100,
  delete: 0x200,
  moveFrom: 0x40,
  moveTo: 0x80,
} as const;

/** Runs plugin `name` on every change under its watch roots until SIGTERM/SIGINT. */
export async function runPluginOnly(ctx: DaemonContext, name: PluginName): Promise<ExitCode> {
  const { config, logger } = ctx;
  const roots = pluginWatchRoots(name, config);
  if (roots.length === 0) {
    logger.error(
      `plugin ${name}: no <localpath watch> to watch in its <plugin name="${name}"> section`,
    );
    return ExitCode.CONFIG;
  }
  const plugin = createPlugin(name, config, logger);
  const started = await startWatcher(
    config,
    roots,
    {
      onChange(change, ev) {
        const absPath = ev.root === '/' ? `/${ev.path}` : `${ev.root}/${ev.path}`;
        plugin.notify({
          root: ev.root,
          absPath,
          isDir: ev.isDir,
          op: change.op,
          mask: MASK[ev.kind] | (ev.isDir ? 0x40000000 : 0),
        });
      },
      onRescan(root, reason, detail) {
        logger.error(`watcher lost events under ${root} (${reason}): ${detail}`);
      },
    },
    logger,
  );
  if (!started.ok) {
    logger.error(`cannot start watching: ${started.error.message}`);
    await plugin.close();
    return exitCodeFor(started.error);
  }
  const watcher = started.value;
  logger.info(`ready: watching ${roots.join(', ')} (plugin-only mode: ${name})`);
  ctx.onReady?.();
  const signals = waitForShutdownSignal();
  const sig = await signals.next();
  logger.info(`${sig}: stopping`);
  await watcher.close();
  await plugin.close();
  signals.dispose();
  return ExitCode.OK;
}
