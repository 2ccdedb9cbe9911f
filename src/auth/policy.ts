import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { CertificateRegistrationService } from "../../gen/deviceregistry/v1/certificate_registration_service_pb.js";
import { DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { ManufacturerCaService } from "../../gen/deviceregistry/v1/manufacturer_ca_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { Caller, Role } from "./caller.js";

/**
 * One way to be allowed: a role, and optionally a permission the caller must also hold. A grant
 * `acrossTenants` reaches resources of every tenant; any other reaches only the token's tenant.
 */
interface Grant {
  readonly role: Role;
  readonly permission?: string;
  readonly acrossTenants?: true;
}

/**
 * One row of the access policy. `jwt` rows list who may call; `device` rows are authenticated by
 * a device credential elsewhere, skipped by the JWT interceptor and never open to a JWT caller;
 * `none` rows are open to anyone, token or not.
 */
export type PolicyRow =
  | { readonly method: DescMethod; readonly authentication: "jwt"; readonly allow: readonly Grant[] }
  | { readonly method: DescMethod; readonly authentication: "device" | "none" };

const admins: readonly Grant[] = [{ role: "tenant_admin" }, { role: "platform_admin" }];
const writers: readonly Grant[] = [...admins, { role: "member", permission: "devices" }];
const readers: readonly Grant[] = [...admins, { role: "member" }, { role: "service" }];

const registry = DeviceRegistryService.method;
const cas = ManufacturerCaService.method;

/** The access policy of every procedure, the single source for enforcement and the README. */
export const accessPolicyRows: readonly PolicyRow[] = [
  { method: registry.registerDevice, authentication: "jwt", allow: writers },
  { method: registry.getDevice, authentication: "jwt", allow: readers },
  { method: registry.listDevices, authentication: "jwt", allow: readers },
  { method: registry.updateDevice, authentication: "jwt", allow: writers },
  { method: registry.deleteDevice, authentication: "jwt", allow: writers },
  { method: registry.rotateDeviceCredential, authentication: "jwt", allow: writers },
  { method: registry.importDevices, authentication: "jwt", allow: writers },
  { method: registry.listDeviceClaims, authentication: "jwt", allow: readers },
  { method: registry.revokeClaimKeys, authentication: "jwt", allow: writers },
  { method: registry.createDeviceProfile, authentication: "jwt", allow: writers },
  { method: registry.getDeviceProfile, authentication: "jwt", allow: readers },
  { method: registry.listDeviceProfiles, authentication: "jwt", allow: readers },
  { method: registry.updateDeviceProfile, authentication: "jwt", allow: writers },
  { method: registry.deleteDeviceProfile, authentication: "jwt", allow: writers },
  // Manufacturer CAs are tenant configuration, as profiles are.
  { method: cas.getCaRegistrationCode, authentication: "jwt", allow: writers },
  { method: cas.registerManufacturerCa, authentication: "jwt", allow: writers },
  { method: cas.getManufacturerCa, authentication: "jwt", allow: readers },
  { method: cas.listManufacturerCas, authentication: "jwt", allow: readers },
  { method: cas.updateManufacturerCa, authentication: "jwt", allow: writers },
  { method: cas.deleteManufacturerCa, authentication: "jwt", allow: writers },
  // Devices prove themselves with the claim key in the request.
  { method: DeviceProvisioningService.method.claimDevice, authentication: "device" },
  // Devices present their own api_key.
  { method: DeviceProvisioningService.method.registerChildDevices, authentication: "device" },
  { method: DeviceProvisioningService.method.getDeviceConfig, authentication: "device" },
  // Devices present a manufacturer certificate in the TLS handshake.
  { method: CertificateRegistrationService.method.registerDeviceByCertificate, authentication: "device" },
  // A tenant's own hub checks its tenant's devices; a hub of the whole platform holds the role made for it.
  {
    method: DeviceAuthService.method.authenticateDevice,
    authentication: "jwt",
    allow: [{ role: "service" }, { role: "platform_service", acrossTenants: true }],
  },
  // Probes (load balancers, Kubernetes) hold no token; the status reveals nothing about tenants.
  { method: Health.method.check, authentication: "none" },
  { method: Health.method.watch, authentication: "none" },
  { method: Health.method.list, authentication: "none" },
  // The schema is the published contract (proto/); tools fetch it without credentials by default.
  { method: ServerReflection.method.serverReflectionInfo, authentication: "none" },
  { method: ServerReflectionV1alpha.method.serverReflectionInfo, authentication: "none" },
];

/** Looks up and enforces an access policy. */
export interface Policy {
  /** The row of a method, or undefined when the method is not in the policy. */
  rowOf(method: DescMethod): PolicyRow | undefined;
  /** How a method's callers authenticate; methods not in the policy count as `jwt` (and are then denied). */
  authenticationOf(method: DescMethod): PolicyRow["authentication"];
  /** Throws PermissionDenied unless the caller may call the method. */
  authorize(caller: Caller, method: DescMethod): void;
  /** Whether the caller's grant for the method reaches every tenant, not only the token's. */
  acrossTenants(caller: Caller, method: DescMethod): boolean;
}

/** Creates a policy from rows; a procedure listed twice is a programming error. */
export function createPolicy(rows: readonly PolicyRow[]): Policy {
  const byProcedure = new Map<string, PolicyRow>();
  for (const row of rows) {
    const key = procedureOf(row.method);
    if (byProcedure.has(key)) throw new Error(`access policy lists ${key} twice`);
    byProcedure.set(key, row);
  }
  // Keyed by procedure name, not object identity: descriptors loaded twice must still match.
  const rowOf = (method: DescMethod) => byProcedure.get(procedureOf(method));
  return {
    rowOf,
    authenticationOf: (method) => rowOf(method)?.authentication ?? "jwt",
    authorize(caller, method) {
      const row = rowOf(method);
      // Fail closed: a procedure nobody wrote a row for is open to no one.
      if (row === undefined) throw denied(`${method.name} is not in the access policy`);
      if (row.authentication === "none") return;
      if (row.authentication !== "jwt") throw denied(`${method.name} is for devices only`);
      const forRole = row.allow.filter((grant) => grant.role === caller.role);
      if (forRole.length === 0) throw denied(`role ${caller.role} may not call ${method.name}`);
      if (forRole.some((grant) => grant.permission === undefined || caller.permissions.includes(grant.permission))) {
        return;
      }
      throw denied(`role ${caller.role} lacks permission ${forRole.map((g) => g.permission).join(" or ")}`);
    },
    acrossTenants(caller, method) {
      const row = rowOf(method);
      return row?.authentication === "jwt" && row.allow.some((grant) => grant.role === caller.role && grant.acrossTenants === true);
    },
  };
}

/** The service's policy, built from {@link accessPolicyRows}. */
export const accessPolicy: Policy = createPolicy(accessPolicyRows);

/** The gRPC procedure path of a method, e.g. "/deviceregistry.v1.DeviceRegistryService/RegisterDevice". */
export function procedureOf(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/**
 * Renders policy rows as a Markdown table (procedure, authentication, who may call) for the README.
 * Services of other packages (gRPC health, both reflection versions) are named in full.
 */
export function formatPolicyTable(rows: readonly PolicyRow[] = accessPolicyRows): string {
  const lines = ["| procedure | authentication | allowed callers |", "| --- | --- | --- |"];
  for (const row of rows) {
    const who =
      row.authentication === "jwt"
        ? row.allow.map((g) => `${g.role}${g.permission === undefined ? "" : ` with ${g.permission}`}${g.acrossTenants ? " (every tenant)" : ""}`).join(", ")
        : row.authentication === "device"
          ? "the device itself"
          : "anyone";
    const service = row.method.parent;
    const name = service.file.proto.package === DeviceRegistryService.file.proto.package ? service.name : service.typeName;
    lines.push(`| ${name}.${row.method.name} | ${row.authentication} | ${who} |`);
  }
  return lines.join("\n");
}

function denied(message: string): ConnectError {
  return new ConnectError(message, Code.PermissionDenied);
}
