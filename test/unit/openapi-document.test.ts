import { Validator } from "@seriousme/openapi-schema-validator";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { services } from "../../src/routes.js";
import { createServiceOpenApiDocument } from "../../src/service/openapi-document.js";

type Json = Record<string, any>;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const doc = createServiceOpenApiDocument(services) as Json;
const operations = Object.values(doc["paths"] as Json).flatMap((item: Json) => Object.values(item) as Json[]);
const op = (p: string, method: string): Json => doc["paths"][p][method];
const schema = (typeName: string): Json => doc["components"]["schemas"][`deviceregistry.v1.${typeName}`];

describe("the service's OpenAPI document", () => {
  it("has zero errors and zero warnings under redocly's recommended ruleset", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "openapi-"));
    try {
      writeFileSync(path.join(dir, "openapi.json"), JSON.stringify(doc));
      const redocly = path.join(ROOT, "node_modules/@redocly/cli/bin/cli.js");
      const { stdout } = await promisify(execFile)(process.execPath, [redocly, "lint", "--extends", "recommended", "--format", "json", "openapi.json"], {
        cwd: dir,
      });
      const report = JSON.parse(stdout.slice(stdout.indexOf("{")));
      expect({ totals: report.totals, problems: report.problems }).toEqual({ totals: { errors: 0, warnings: 0, ignored: 0 }, problems: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("is valid OpenAPI 3.1 with a server relative to where it is served", async () => {
    expect((await new Validator().validate(doc)).valid).toBe(true);
    expect(doc["servers"]).toEqual([{ url: "/", description: "The service that serves this document" }]);
    expect(doc["info"]["license"]).toEqual({ name: "Apache-2.0", identifier: "Apache-2.0" });
  });

  it("summarises and describes every operation and tag from the proto comments", () => {
    const register = op("/api/v1/devices", "post");
    expect(register["summary"]).toBe("Registers one device by hand and returns it with its credential (returned only here)");
    expect(register["description"]).toContain("The RPC deviceregistry.v1.DeviceRegistryService/RegisterDevice.");
    for (const o of operations)
      expect({ id: o["operationId"], summary: /^[A-Z][^.]+[^.]$/.test(o["summary"]) }).toEqual({ id: o["operationId"], summary: true });
    expect(doc["tags"].map((t: Json) => t["name"])).toEqual([
      "DeviceRegistryService",
      "DeviceProvisioningService",
      "DeviceAuthService",
      "ManufacturerCaService",
      "CertificateRegistrationService",
    ]);
    for (const tag of doc["tags"]) expect(tag["description"]).toEqual(expect.any(String));
    expect(schema("Device")["description"]).toBe("A device known to the registry, scoped to one tenant.");
    expect(schema("Device")["properties"]["hardware_id"]["description"]).toBe("Stable hardware identifier, unique within the tenant. Immutable.");
    const listDevices = op("/api/v1/devices", "get")["parameters"].find((p: Json) => p["name"] === "page_size");
    expect(listDevices["description"]).toEqual(expect.stringContaining("At most"));
  });

  it("marks output-only fields readOnly, so the Device schema also reads right as the PATCH body", () => {
    const readOnly = (typeName: string) =>
      Object.entries(schema(typeName)["properties"] as Json)
        .filter(([, s]) => s["readOnly"] === true)
        .map(([name]) => name);
    expect(readOnly("Device")).toEqual([
      "device_id",
      "tenant_id",
      "api_key",
      "created_at",
      "updated_at",
      "hub_id",
      "hub_url",
      "hub_url_static_cert",
      "mqtt_hub_url",
      "certificate",
      "private_key",
    ]);
    expect(readOnly("DeviceProfile")).toEqual(["tenant_id", "created_at", "updated_at"]);
    expect(op("/api/v1/devices/{device_id}", "patch")["requestBody"]["content"]["application/json"]["schema"]).toEqual({
      $ref: "#/components/schemas/deviceregistry.v1.Device",
    });
  });

  it("gives every operation its {code, message} error responses, and the seed's examples", () => {
    for (const o of operations) {
      for (const status of ["4XX", "5XX"])
        expect(o["responses"][status]["content"]["application/json"]["schema"]).toEqual({ $ref: "#/components/schemas/Error" });
    }
    expect(doc["components"]["schemas"]["Error"]).toMatchObject({ required: ["code", "message"] });
    const register = op("/api/v1/devices", "post");
    expect(register["requestBody"]["content"]["application/json"]["example"]).toMatchObject({
      name: "Lab Bench Thermometer",
      hardware_id: "HW-LAB-0001",
      anchor_mode: "ANCHOR_MODE_MERKLE_BATCH",
    });
    expect(register["responses"]["200"]["content"]["application/json"]["example"]).toMatchObject({
      status: "registered",
      api_key: "sk_live_Zr8K2mQx...redacted...",
      created_at: "2026-05-29T10:15:00Z",
    });
    expect(register["responses"]["4XX"]["content"]["application/json"]["examples"]).toEqual({
      ALREADY_EXISTS: {
        summary: "HTTP 409",
        value: { code: "ALREADY_EXISTS", message: 'device with hardware_id "HW-LAB-0001" already exists in this tenant' },
      },
    });
    expect(op("/api/v1/devices:authenticate", "post")["responses"]["4XX"]["content"]["application/json"]["examples"]).toEqual({
      UNAUTHENTICATED: { summary: "HTTP 401", value: { code: "UNAUTHENTICATED", message: "Not authorized" } },
    });
  });
});
