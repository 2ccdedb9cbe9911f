import { EmptySchema } from "@bufbuild/protobuf/wkt";
import { DeviceProfileSchema } from "../../gen/deviceregistry/v1/device_profile_pb.js";
import { ListDeviceProfilesResponseSchema } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import type { Command } from "./cli-command.js";
import { onePage, pageHelp, requestFromFlags } from "./device-commands.js";
import { writeJsonList, writeMessage } from "./json-output.js";
import { flagHelp, flagOptions, type FieldFlag } from "./message-flags.js";

const profileFlags: readonly FieldFlag[] = [
  { flag: "display-name", field: "display_name", kind: "string", help: "human-readable name" },
  { flag: "group", field: "groups", kind: "list", help: "a default group (repeatable)" },
  { flag: "tag", field: "tags", kind: "map", help: "a default tag key=value (repeatable)" },
  { flag: "meta", field: "meta", kind: "map", help: "a default metadata entry key=value (repeatable)" },
  { flag: "firmware", field: "firmware", kind: "string", help: "default firmware version" },
  { flag: "anchor-mode", field: "anchor_mode", kind: "string", help: "e.g. ANCHOR_MODE_PER_EVENT" },
  { flag: "credential-type", field: "credential_type", kind: "string", help: "e.g. CREDENTIAL_TYPE_API_KEY" },
  { flag: "config", field: "config", kind: "json", help: "default desired config, a JSON object" },
];

/** profiles list, get, create and delete. */
export const profileCommands: Readonly<Record<string, Command>> = {
  list: {
    summary: "list device profiles",
    usage: "profiles list [--page-size <n>] [--page-token <token>]",
    help: pageHelp,
    options: { "page-size": { type: "string" }, "page-token": { type: "string" } },
    positionals: [],
    async run({ client, values, out }) {
      const page = onePage(values);
      if (page) {
        await writeMessage(out, ListDeviceProfilesResponseSchema, await client.listDeviceProfiles(page));
        return 0;
      }
      await writeJsonList(
        out,
        "profiles",
        DeviceProfileSchema,
        (async function* () {
          let pageToken = "";
          do {
            const res = await client.listDeviceProfiles({ pageSize: 1000, pageToken });
            yield res.profiles;
            pageToken = res.nextPageToken;
          } while (pageToken !== "");
        })(),
      );
      return 0;
    },
  },
  get: {
    summary: "print a device profile",
    usage: "profiles get <profile_id>",
    help: "",
    options: {},
    positionals: ["profile_id"],
    async run({ client, positionals, out }) {
      await writeMessage(out, DeviceProfileSchema, await client.getDeviceProfile({ profileId: positionals[0]! }));
      return 0;
    },
  },
  create: {
    summary: "create a device profile",
    usage: "profiles create <profile_id> [options]",
    help: flagHelp(profileFlags),
    options: flagOptions(profileFlags),
    positionals: ["profile_id"],
    async run({ client, values, positionals, out }) {
      const profile = { ...requestFromFlags(DeviceProfileSchema, profileFlags, values), profileId: positionals[0]! };
      await writeMessage(out, DeviceProfileSchema, await client.createDeviceProfile({ profile }));
      return 0;
    },
  },
  delete: {
    summary: "delete a device profile no device uses",
    usage: "profiles delete <profile_id>",
    help: "",
    options: {},
    positionals: ["profile_id"],
    async run({ client, positionals, out }) {
      await writeMessage(out, EmptySchema, await client.deleteDeviceProfile({ profileId: positionals[0]! }));
      return 0;
    },
  },
};
