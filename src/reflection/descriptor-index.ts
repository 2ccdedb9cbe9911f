import { createRegistry, toBinary, type DescFile, type DescService, type Registry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/**
 * The descriptors of the served services — their files and every file those import, as protobuf-es
 * holds them from gen/ — looked up the ways gRPC server reflection asks.
 */
export class DescriptorIndex {
  /** Full names of the served services, e.g. "deviceregistry.v1.DeviceRegistryService". */
  readonly serviceNames: readonly string[];
  /** Keyed by proto file name, e.g. "deviceregistry/v1/device.proto". */
  private readonly files = new Map<string, DescFile>();
  private readonly registry: Registry;

  constructor(services: readonly DescService[]) {
    const add = (file: DescFile) => {
      if (this.files.has(file.proto.name)) return;
      this.files.set(file.proto.name, file);
      file.dependencies.forEach(add);
    };
    services.forEach((service) => add(service.file));
    this.registry = createRegistry(...this.files.values());
    this.serviceNames = services.map((service) => service.typeName);
  }

  /** The file of that name, e.g. "grpc/health/v1/health.proto". */
  fileByName(name: string): DescFile | undefined {
    return this.files.get(name);
  }

  /** The file declaring a type, service or extension, or a method, field or oneof of one. */
  fileContainingSymbol(symbol: string): DescFile | undefined {
    const desc = this.registry.get(symbol);
    if (desc !== undefined) return desc.file;
    const dot = symbol.lastIndexOf(".");
    if (dot < 0) return undefined;
    const parent = this.registry.get(symbol.slice(0, dot));
    const member = symbol.slice(dot + 1);
    if (parent?.kind === "service" && parent.methods.some((m) => m.name === member)) return parent.file;
    if (parent?.kind === "message" && [...parent.fields, ...parent.oneofs].some((f) => f.name === member)) return parent.file;
    return undefined;
  }

  /** The file declaring extension `number` of message `typeName`. */
  fileContainingExtension(typeName: string, number: number): DescFile | undefined {
    const extendee = this.registry.getMessage(typeName);
    return extendee && this.registry.getExtensionFor(extendee, number)?.file;
  }

  /** The numbers of all known extensions of message `typeName`, or undefined for an unknown message. */
  extensionNumbersOf(typeName: string): number[] | undefined {
    if (this.registry.getMessage(typeName) === undefined) return undefined;
    const numbers: number[] = [];
    for (const desc of this.registry) {
      if (desc.kind === "extension" && desc.extendee.typeName === typeName) numbers.push(desc.number);
    }
    return numbers;
  }

  /**
   * The serialized FileDescriptorProtos of `file` and of its transitive imports, leaving out imports
   * already in `sent` (those sent earlier on the same stream); adds what it returns to `sent`.
   */
  encodeWithImports(file: DescFile, sent: Set<string>): Uint8Array[] {
    const encoded: Uint8Array[] = [];
    const queue = [file];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      if (next !== file && sent.has(next.proto.name)) continue;
      sent.add(next.proto.name);
      encoded.push(toBinary(FileDescriptorProtoSchema, next.proto));
      queue.push(...next.dependencies);
    }
    return encoded;
  }
}
