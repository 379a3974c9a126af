/**
 * `eyemulator model <init|info|forward>`: create, describe and inspect Hugging Face model folders.
 * Each subcommand lives in ./model/.
 */
import type { CommandModule } from 'yargs';
import init from './model/init.ts';
import info from './model/info.ts';
import forward from './model/forward.ts';

const model: CommandModule = {
  command: 'model <command>',
  describe: 'create (init), describe (info) and inspect (forward) Hugging Face model folders',
  builder: (y) => y.command(init).command(info).command(forward).demandCommand(1, 'name a model subcommand: init, info or forward'),
  handler: () => {},
};
export default model;
