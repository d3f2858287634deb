/** eems-watch lab: placeholder until its capability lands (see the issue that builds it). */
import { type Command, UsageError } from '../cli-io.js';

export const command: Command = {
  name: 'lab',
  summary: '',
  usage: 'eems-watch lab: not built yet.',
  async run() {
    throw new UsageError('this command is not built yet in this version.');
  },
};
