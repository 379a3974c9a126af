/**
 * `eyemulator model <init|info|forward|merge>`: create, describe and inspect Hugging Face model folders.
 * Each subcommand lives in ./model/.
 */
import type { CommandModule } from 'yargs';
import init from './model/init.ts';
import info from './model/info.ts';
import forward from './model/forward.ts';
import merge from './model/merge.ts';

const model: CommandModule = {
  command: 'model <command>',
  describe: 'create (init), describe (info), inspect (forward) and merge adapters into (merge) Hugging Face model folders',
  builder: (y) =>
    y
      .command(init).command(info).command(forward).command(merge).demandCommand(1, 'name a model subcommand: init, info, forward or merge')
      .example('$0 model info --model models/demo-base', 'what a model folder holds'),
  handler: () => {},
};
export default model;
