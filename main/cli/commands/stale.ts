/** eems-watch stale: placeholder until its capability lands (see the issue that builds it). */
import { type Command, UsageError } from '../cli-io.js';

export const command: Command = {
  name: 'stale',
  summary: '',
  usage: 'eems-watch stale: not built yet.',
  async run() {
    throw new UsageError('this command is not built yet in this version.');
  },
};
