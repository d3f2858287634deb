/** eems-watch parse-log: placeholder until its capability lands (see the issue that builds it). */
import { type Command, UsageError } from '../cli-io.js';

export const command: Command = {
  name: 'parse-log',
  summary: '',
  usage: 'eems-watch parse-log: not built yet.',
  async run() {
    throw new UsageError('this command is not built yet in this version.');
  },
};
