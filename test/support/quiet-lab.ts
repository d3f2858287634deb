/** A temporary folder holding a healthy ("quiet") simulated lab and its host, for engine tests. */
import { join } from 'node:path';
import { createLabHost, initLab, type LabHost } from '../../main/lab/index.js';
import { withTempDir } from './temp-dir.js';

/** Run fn with a new folder and a 3-server quiet lab in `<folder>/lab`; the host is closed and the folder removed after. */
export function withQuietLab(prefix: string, fn: (dir: string, host: LabHost) => Promise<void>, servers = 3): Promise<void> {
  return withTempDir(prefix, async (dir) => {
    await initLab(join(dir, 'lab'), { scenario: 'quiet', servers });
    const host = await createLabHost(join(dir, 'lab'));
    try {
      await fn(dir, host);
    } finally {
      host.close();
    }
  });
}
