/** `reflex eval`: hit quality of a running gateway over HTTP; progress on stderr, the result on stdout, the picture to --plot. */
import type { GatewayArgs } from '../../ops/eval/args';
import { formatGatewayEval, plotGatewayEval, runGatewayEval } from '../../ops/eval/gateway';

export async function evalCommand(args: GatewayArgs): Promise<void> {
  const result = await runGatewayEval({ ...args, log: (line) => process.stderr.write(`${line}\n`) });
  if (args.plot) await plotGatewayEval(result, args.plot);
  console.log(args.json ? JSON.stringify(result, null, 2) : formatGatewayEval(result));
}
