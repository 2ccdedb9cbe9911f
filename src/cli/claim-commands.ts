import { DeviceClaim_State, DeviceClaimSchema } from "../../gen/deviceregistry/v1/device_claim_pb.js";
import { RevokeClaimKeysResponseSchema } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { stringOption, UsageError, type Command } from "./cli-command.js";
import { writeJsonList, writeMessage } from "./json-output.js";

// The API's names, as REST's ?state= and the listed claims' "state" spell them.
const states: Readonly<Record<string, DeviceClaim_State>> = {
  STATE_PENDING: DeviceClaim_State.PENDING,
  STATE_CLAIMED: DeviceClaim_State.CLAIMED,
  STATE_EXPIRED: DeviceClaim_State.EXPIRED,
};

/** claims and revoke-claim: the claim keys of imported devices (never the keys themselves). */
export const claimCommands: Readonly<Record<string, Command>> = {
  claims: {
    summary: "list imported devices by hardware_id with the state of their claim keys",
    usage: "claims [--state STATE_PENDING|STATE_CLAIMED|STATE_EXPIRED]",
    help: "  --state <state>               only claims in this state: STATE_PENDING, STATE_CLAIMED or STATE_EXPIRED",
    options: { state: { type: "string" } },
    positionals: [],
    async run({ client, values, out }) {
      const name = stringOption(values, "state");
      const state = name === undefined ? DeviceClaim_State.UNSPECIFIED : states[name];
      if (state === undefined) throw new UsageError(`--state must be one of ${Object.keys(states).join(", ")}, got "${name}"`);
      await writeJsonList(
        out,
        "claims",
        DeviceClaimSchema,
        (async function* () {
          let pageToken = "";
          do {
            const res = await client.listDeviceClaims({ state, pageSize: 1000, pageToken });
            yield res.claims;
            pageToken = res.nextPageToken;
          } while (pageToken !== "");
        })(),
      );
      return 0;
    },
  },
  "revoke-claim": {
    summary: "revoke an imported device's claim key (lost or leaked); its hardware_id may then be imported again",
    usage: "revoke-claim <hardware_id>",
    help: "",
    options: {},
    positionals: ["hardware_id"],
    // Exit 3 when it had no claim key, as import does for rows that failed.
    async run({ client, positionals, out }) {
      const reply = await client.revokeClaimKeys({ hardwareIds: [positionals[0]!] });
      await writeMessage(out, RevokeClaimKeysResponseSchema, reply);
      return reply.results.some((r) => r.error !== undefined) ? 3 : 0;
    },
  },
};
