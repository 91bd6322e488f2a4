import { buildApp } from './app.js';
import { boot, listen } from './boot.js';
import { startWorkers, workerOptions } from './jobs/runtime.js';
import { systemClock } from './lib/clock.js';

// `npm start`: the API, its first-start bootstrap and `WORKERS` job loops (boot.ts does the rest).
await boot('wasl', async ({ config, logger, store, container }) => {
  const app = await buildApp({ config, db: store.db, engine: store.engine, listen: store.listen, clock: systemClock, logger, container });
  const report = await container.bootstrap.run();
  if (report.created.length) logger.info({ created: report.created, workspaceId: report.defaultWorkspaceId }, 'first start: bootstrapped');
  const { adminToken, clientId, clientSecret, ownerInvitation } = report.printed; // ownerInvitation
  if (adminToken || clientId || ownerInvitation) { // ownerInvitation
    // Shown once, on stderr, apart from the JSON log on stdout: they are stored hashed.
    const lines = ['', '  Wasl is set up. Keep these; they are not shown again.'];
    if (adminToken) lines.push(`  WASL_ADMIN_TOKEN=${adminToken}`);
    if (clientId) lines.push(`  client_id=${clientId}`, `  client_secret=${clientSecret}`);
    if (ownerInvitation) lines.push(`  Owner sign-in (set a password, within 72 hours): ${ownerInvitation}`);
    process.stderr.write(`${lines.join('\n')}\n\n`);
  }

  await listen(app, config);
  const workers = await startWorkers({ repo: container.workerJobsRepo, queue: container.queue, metrics: container.jobMetrics, store, clock: systemClock, logger }, workerOptions(config));
  logger.info(
    { node: process.version, store: store.engine, workers: config.workers, startupMs: Math.round(performance.now()), docs: `${config.publicUrl}/docs` },
    'wasl is serving',
  );
  return { markDraining: app.markDraining, workers, close: () => app.close() };
});
