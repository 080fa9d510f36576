/** `wharf-logmon DIR`: the json-file log monitor process (log-monitor.ts), started by the runc driver. */
import { runLogMonitor } from './log-monitor.ts';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: wharf-logmon DIR\n');
  process.exit(2);
}
runLogMonitor(dir);
