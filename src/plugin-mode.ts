// `-m NAME`: plugin-only mode, as the original: watch the plugin's roots and hand every change to
// the plugin, with no rsync at all. Shell.
import type { DaemonContext } from './daemon.js';
import type { PluginName } from './config/types.js';
import { ExitCode } from './exit-codes.js';
import { createPlugin, pluginWatchRoots } from './plugins/registry.js';
import { createWatcher } from './watch/create-watcher.js';
import { createEventFilter, unwantedKinds } from './watch/filter.js';
import { waitForShutdownSignal } from './daemon-support.js';

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
  const filter = createEventFilter(config);
  const watcher = createWatcher(
    config.daemon.watcher,
    {
      roots,
      isExcluded: filter.isExcluded,
      statWalk: config.xfs,
      unwantedKinds: unwantedKinds(config.inotify),
    },
    {
      onEvents(events) {
        for (const ev of events) {
          const change = filter.toChange(ev);
          if (!change) continue;
          const absPath = ev.root === '/' ? `/${ev.path}` : `${ev.root}/${ev.path}`;
          plugin.notify({
            root: ev.root,
            absPath,
            isDir: ev.isDir,
            op: change.op,
            mask: MASK[ev.kind] | (ev.isDir ? 0x40000000 : 0),
          });
        }
      },
      onRescan(root, reason, detail) {
        logger.error(`watcher lost events under ${root} (${reason}): ${detail}`);
      },
      onWarning(message) {
        logger.warn(message);
      },
    },
    logger,
  );
  try {
    await watcher.start();
  } catch (e) {
    // e.g. -m command with a <sersync><localpath> that does not exist (a warning at load)
    logger.error(`cannot start watching: ${e instanceof Error ? e.message : String(e)}`);
    await plugin.close();
    return ExitCode.NO_INPUT;
  }
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
