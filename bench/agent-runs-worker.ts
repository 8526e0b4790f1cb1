// agent-runs' worker for the benchmark: tests/helpers/worker-process.ts (worker/main.ts with a
// pre-built bundle) with Prometheus metrics on, in a process of its own.
import { installMetrics } from './metrics.ts';

installMetrics();
await import('../tests/helpers/worker-process.ts');
// The worker has drained (SIGTERM): exit now, with open connections, so a CPU profile (BENCH_CPU_PROFILE) is written.
process.exit(0);
