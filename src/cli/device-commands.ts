import { create, fromJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import { DeviceSchema, type Device } from "../../gen/deviceregistry/v1/device_pb.js";
import {
  ListDevicesRequestSchema,
  RegisterDeviceRequestSchema,
  RotateDeviceCredentialResponseSchema,
} from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { integerOption, stringOption, UsageError, type Command, type CommandContext, type OptionValues } from "./cli-command.js";
import { writeJsonList, writeJsonPage, writeMessage } from "./json-output.js";
import { flagHelp, flagOptions, messageJson, type FieldFlag } from "./message-flags.js";

const registerFlags: readonly FieldFlag[] = [
  { flag: "hardware-id", field: "hardware_id", kind: "string", help: "required; unique in the tenant" },
  { flag: "name", field: "name", kind: "string", help: "required; 1-200 characters" },
  { flag: "group", field: "groups", kind: "list", help: "a group (repeatable)" },
  { flag: "tag", field: "tags", kind: "map", help: "a tag key=value (repeatable)" },
  { flag: "meta", field: "meta", kind: "map", help: "a metadata entry key=value (repeatable)" },
  { flag: "profile-id", field: "profile_id", kind: "string", help: "profile to inherit defaults from" },
  { flag: "gateway-id", field: "gateway_id", kind: "string", help: "device_id of the parent gateway" },
  { flag: "gateway", field: "is_gateway", kind: "boolean", help: "the device is a gateway" },
  { flag: "firmware", field: "firmware", kind: "string", help: "firmware version" },
  { flag: "sub-model", field: "sub_model", kind: "string", help: "sub-model" },
  { flag: "anchor-mode", field: "anchor_mode", kind: "string", help: "e.g. ANCHOR_MODE_PER_EVENT" },
  { flag: "config", field: "config", kind: "json", help: "desired config, a JSON object" },
];

const listFlags: readonly FieldFlag[] = [
  { flag: "group", field: "group", kind: "string", help: "devices in this group" },
  { flag: "tag", field: "tag", kind: "string", help: "devices with this tag, key=value" },
  { flag: "status", field: "status", kind: "string", help: "registered or disabled" },
  { flag: "gateway-id", field: "gateway_id", kind: "string", help: "children of this gateway" },
  { flag: "profile-id", field: "profile_id", kind: "string", help: "devices of this profile" },
  { flag: "hardware-id", field: "hardware_id", kind: "string", help: "the device with this hardware_id" },
];

// The fields update may change (UpdateDevice's update_mask; hardware_id is immutable).
const updateFlags: readonly FieldFlag[] = [...registerFlags.filter((f) => !["hardware-id", "gateway"].includes(f.flag))];

/** UpdateDevice of the fields named in `paths`. */
function updateDevice(client: CommandContext["client"], deviceId: string, device: Device, paths: readonly string[], etag: string | undefined): Promise<Device> {
  return client.updateDevice({ device: { ...device, deviceId }, updateMask: { paths: [...paths] }, etag: etag ?? "" });
}

/** disable / enable: an update of the status alone. */
function statusCommand(status: string, summary: string): Command {
  return {
    summary,
    usage: `${status === "disabled" ? "disable" : "enable"} <device_id> [--etag <etag>]`,
    help: "  --etag <etag>                 apply only if the device is still at this etag (else ABORTED)",
    options: { etag: { type: "string" } },
    positionals: ["device_id"],
    async run({ client, values, positionals, out }) {
      const device = await updateDevice(client, positionals[0]!, create(DeviceSchema, { status }), ["status"], stringOption(values, "etag"));
      await writeMessage(out, DeviceSchema, device);
      return 0;
    },
  };
}

/** fromJson with its complaint (a bad enum name, a wrong type) as a usage error. */
export function requestFromFlags<D extends DescMessage>(schema: D, flags: readonly FieldFlag[], values: OptionValues): MessageShape<D> {
  try {
    return fromJson(schema, messageJson(flags, values) as never);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Whether one page was asked for; otherwise every page is fetched. */
export function onePage(values: OptionValues): { pageSize: number; pageToken: string } | undefined {
  if (values["page-size"] === undefined && values["page-token"] === undefined) return undefined;
  return { pageSize: integerOption(values, "page-size", 0, 1, 1000), pageToken: stringOption(values, "page-token") ?? "" };
}

/** Help lines of --page-size and --page-token. */
export const pageHelp =
  "  --page-size <n>               one page of n (1-1000) with its next_page_token; default: every page\n" +
  "  --page-token <token>          the page after the one that returned this token";

const pageOptions = { "page-size": { type: "string" }, "page-token": { type: "string" } } as const;

/** register, get, list, update, disable, enable, delete and rotate. */
export const deviceCommands: Readonly<Record<string, Command>> = {
  register: {
    summary: "register a device; prints it with its api_key (shown only this once)",
    usage: "register --hardware-id <id> --name <name> [options]",
    help: flagHelp(registerFlags),
    options: flagOptions(registerFlags),
    positionals: [],
    async run({ client, values, out }) {
      await writeMessage(out, DeviceSchema, await client.registerDevice(requestFromFlags(RegisterDeviceRequestSchema, registerFlags, values)));
      return 0;
    },
  },
  get: {
    summary: "print a device",
    usage: "get <device_id>",
    help: "",
    options: {},
    positionals: ["device_id"],
    async run({ client, positionals, out }) {
      await writeMessage(out, DeviceSchema, await client.getDevice({ deviceId: positionals[0]! }));
      return 0;
    },
  },
  list: {
    summary: "list devices, oldest first",
    usage: "list [filters] [--page-size <n>] [--page-token <token>]",
    help: `${flagHelp(listFlags)}\n${pageHelp}`,
    options: { ...flagOptions(listFlags), ...pageOptions },
    positionals: [],
    async run({ client, values, out }) {
      const filters = requestFromFlags(ListDevicesRequestSchema, listFlags, values);
      const page = onePage(values);
      if (page) {
        const res = await client.listDevices({ ...filters, ...page });
        await writeJsonPage(out, "devices", DeviceSchema, res.devices, res.nextPageToken);
        return 0;
      }
      await writeJsonList(
        out,
        "devices",
        DeviceSchema,
        (async function* () {
          let pageToken = "";
          do {
            const res = await client.listDevices({ ...filters, pageSize: 1000, pageToken });
            yield res.devices;
            pageToken = res.nextPageToken;
          } while (pageToken !== "");
        })(),
      );
      return 0;
    },
  },
  update: {
    summary: "change the fields given (and only those); prints the device",
    usage: "update <device_id> [fields] [--etag <etag>]",
    help:
      `${flagHelp(updateFlags)}\n  --etag <etag>                 apply only if the device is still at this etag (else ABORTED)\n` +
      "  A list or map flag replaces the whole field; --clear <field> empties one (repeatable).",
    options: { ...flagOptions(updateFlags), etag: { type: "string" }, clear: { type: "string", multiple: true } },
    positionals: ["device_id"],
    async run({ client, values, positionals, out }) {
      const device = requestFromFlags(DeviceSchema, updateFlags, values);
      const cleared = (values["clear"] as string[] | undefined) ?? [];
      const unknown = cleared.find((field) => !updateFlags.some((f) => f.field === field));
      if (unknown !== undefined) throw new UsageError(`--clear: "${unknown}" is not one of ${updateFlags.map((f) => f.field).join(", ")}`);
      const paths = [...updateFlags.filter((f) => values[f.flag] !== undefined).map((f) => f.field), ...cleared];
      if (paths.length === 0) throw new UsageError("nothing to update: give at least one field flag or --clear");
      await writeMessage(out, DeviceSchema, await updateDevice(client, positionals[0]!, device, paths, stringOption(values, "etag")));
      return 0;
    },
  },
  disable: statusCommand("disabled", "disable a device: its credential is refused until it is enabled again"),
  enable: statusCommand("registered", "enable a disabled device again"),
  delete: {
    summary: "delete a device (a gateway's children with it); its credential stops working at once",
    usage: "delete <device_id> [--revoke-claim-key]",
    help:
      "  --revoke-claim-key            also revoke the claim key of an imported device, in the same call; without it the\n" +
      "                                key can claim (create) a new device, as a factory-reset device needs",
    options: { "revoke-claim-key": { type: "boolean" } },
    positionals: ["device_id"],
    async run({ client, values, positionals, out }) {
      await writeMessage(out, EmptySchema, await client.deleteDevice({ deviceId: positionals[0]!, revokeClaimKey: values["revoke-claim-key"] === true }));
      return 0;
    },
  },
  rotate: {
    summary: "issue a new credential, revoking the old one; prints the new api_key (shown only this once)",
    usage: "rotate <device_id>",
    help: "",
    options: {},
    positionals: ["device_id"],
    async run({ client, positionals, out }) {
      await writeMessage(out, RotateDeviceCredentialResponseSchema, await client.rotateDeviceCredential({ deviceId: positionals[0]! }));
      return 0;
    },
  },
};
