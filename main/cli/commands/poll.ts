/** eems-watch poll: placeholder until its capability lands (see the issue that builds it). */
import { type Command, UsageError } from '../cli-io.js';

export const command: Command = {
  name: 'poll',
  summary: '',
  usage: 'eems-watch poll: not built yet.',
  async run() {
    throw new UsageError('this command is not built yet in this version.');
  },
};
