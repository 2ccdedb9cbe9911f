import { RevokeClaimKeysResponseSchema } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import type { Command } from "./cli-command.js";
import { writeMessage } from "./json-output.js";

/** revoke-claim: one imported device's claim key stops working; exit 3 when it had none, as import does for failed rows. */
export const revokeClaimCommand: Command = {
  summary: "revoke an imported device's claim key (lost or leaked); its hardware_id may then be imported again",
  usage: "revoke-claim <hardware_id>",
  help: "",
  options: {},
  positionals: ["hardware_id"],
  async run({ client, positionals, out }) {
    const reply = await client.revokeClaimKeys({ hardwareIds: [positionals[0]!] });
    await writeMessage(out, RevokeClaimKeysResponseSchema, reply);
    return reply.results.some((r) => r.error !== undefined) ? 3 : 0;
  },
};
