import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { Caller, Role } from "../../src/auth/caller.js";
import { accessPolicy, accessPolicyRows, createPolicy, formatPolicyTable, procedureOf } from "../../src/auth/policy.js";

const TENANT = "9d2f1b4c-7e3a-4c1d-8b6f-5a4e3d2c1b0a";
const caller = (role: Role, permissions: readonly string[] = []): Caller => ({
  subject: "alice",
  tenantId: TENANT,
  role,
  permissions,
});

function denial(fn: () => void): ConnectError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }
  throw new Error("expected PermissionDenied");
}

// The rule as the product states it, written independently of the table it checks.
const isRead = (method: DescMethod) => /^(Get|List)[A-Z]/.test(method.name);
function expected(role: Role, permissions: readonly string[], method: DescMethod): boolean {
  if (role === "tenant_admin" || role === "platform_admin") return true;
  if (role === "member") return permissions.includes("devices") || isRead(method);
  // A hub of the whole platform checks device credentials and nothing else.
  if (role === "platform_service") return false;
  return isRead(method);
}

const callers: Array<[string, Caller]> = [
  ["tenant_admin", caller("tenant_admin")],
  ["platform_admin", caller("platform_admin")],
  ["member with devices", caller("member", ["devices"])],
  ["member with devices among others", caller("member", ["billing", "devices"])],
  ["member without devices", caller("member", ["billing"])],
  ["member with no permissions", caller("member")],
  ["service", caller("service")],
  ["service with devices", caller("service", ["devices"])],
  ["platform_service", caller("platform_service")],
  ["platform_service with devices", caller("platform_service", ["devices"])],
];
const matrix = DeviceRegistryService.methods.flatMap((method) =>
  callers.map(([name, who]) => ({ method, name, who, allowed: expected(who.role, who.permissions, method) })),
);

describe("access policy", () => {
  test("every DeviceRegistryService method has exactly one JWT row", () => {
    for (const method of DeviceRegistryService.methods) {
      const rows = accessPolicyRows.filter((row) => procedureOf(row.method) === procedureOf(method));
      expect(rows.map((row) => row.authentication)).toEqual(["jwt"]);
    }
  });

  test.each(matrix)("$method.name by $name: allowed=$allowed", ({ method, who, allowed }) => {
    if (allowed) {
      expect(() => accessPolicy.authorize(who, method)).not.toThrow();
      return;
    }
    const err = denial(() => accessPolicy.authorize(who, method));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toBe(who.role === "member" ? "role member lacks permission devices" : `role ${who.role} may not call ${method.name}`);
  });

  test("a method not in the table is denied to everyone (fail closed)", () => {
    const partial = createPolicy(accessPolicyRows.filter((row) => row.method.name !== "DeleteDeviceProfile"));
    const method = DeviceRegistryService.method.deleteDeviceProfile;
    expect(partial.rowOf(method)).toBeUndefined();
    expect(partial.authenticationOf(method)).toBe("jwt");
    for (const [, who] of callers) {
      const err = denial(() => partial.authorize(who, method));
      expect([err.code, err.rawMessage]).toEqual([Code.PermissionDenied, "DeleteDeviceProfile is not in the access policy"]);
    }
  });

  test("a device-authenticated row is skipped by JWT auth and never open to a JWT caller", () => {
    const method = DeviceRegistryService.method.getDeviceProfile;
    const policy = createPolicy([{ method, authentication: "device" }]);
    expect(policy.authenticationOf(method)).toBe("device");
    const err = denial(() => policy.authorize(caller("platform_admin"), method));
    expect([err.code, err.rawMessage]).toEqual([Code.PermissionDenied, "GetDeviceProfile is for devices only"]);
  });

  test("health and reflection need no credential: JWT auth skips them and any caller may call them", () => {
    for (const method of [...Health.methods, ...ServerReflection.methods, ...ServerReflectionV1alpha.methods]) {
      expect([method.name, accessPolicy.authenticationOf(method)]).toEqual([method.name, "none"]);
      for (const [, who] of callers) expect(() => accessPolicy.authorize(who, method)).not.toThrow();
    }
  });

  test("a procedure listed twice is a programming error", () => {
    const row = accessPolicyRows[0]!;
    expect(() => createPolicy([row, row])).toThrow(/twice/);
  });

  test("only platform_service reaches every tenant, and only in AuthenticateDevice", () => {
    const authenticate = DeviceAuthService.method.authenticateDevice;
    expect(accessPolicy.acrossTenants(caller("platform_service"), authenticate)).toBe(true);
    expect(accessPolicy.acrossTenants(caller("service"), authenticate)).toBe(false);
    for (const method of DeviceRegistryService.methods) {
      for (const [, who] of callers) expect(accessPolicy.acrossTenants(who, method)).toBe(false);
    }
  });

  test("the default policy is the table", () => {
    for (const row of accessPolicyRows) expect(accessPolicy.rowOf(row.method)).toBe(row);
  });

  test("the table renders as Markdown for the README", () => {
    const table = formatPolicyTable().split("\n");
    expect(table).toHaveLength(2 + accessPolicyRows.length);
    expect(table).toContain("| DeviceAuthService.AuthenticateDevice | jwt | service, platform_service (every tenant) |");
    expect(table).toContain("| grpc.health.v1.Health.Check | none | anyone |");
    expect(table).toContain("| grpc.reflection.v1alpha.ServerReflection.ServerReflectionInfo | none | anyone |");
    expect(table).toContain("| DeviceRegistryService.RegisterDevice | jwt | tenant_admin, platform_admin, member with devices |");
    expect(table).toContain("| DeviceRegistryService.ListDeviceProfiles | jwt | tenant_admin, platform_admin, member, service |");
  });
});
