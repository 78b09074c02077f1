/** `reflex eval`: hit quality of a running gateway over HTTP; progress on stderr, the result on stdout. */
import type { GatewayArgs } from '../../tools/eval/args';
import { formatGatewayEval, runGatewayEval } from '../../tools/eval/gateway';

export async function evalCommand(args: GatewayArgs): Promise<void> {
  const result = await runGatewayEval({ ...args, log: (line) => process.stderr.write(`${line}\n`) });
  console.log(args.json ? JSON.stringify(result, null, 2) : formatGatewayEval(result));
}
