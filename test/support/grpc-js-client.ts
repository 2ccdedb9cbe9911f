import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

/** Calls one unary method of a service with @grpc/grpc-js, messages encoded by protobuf-es. */
export type GrpcJsUnary = <I extends DescMessage, O extends DescMessage>(
  method: { input: I; output: O; name: string },
  request: MessageShape<I>,
  metadata?: Record<string, string>,
) => Promise<MessageShape<O>>;

/**
 * A @grpc/grpc-js client for any service of gen/: grpc-js does the HTTP/2 and gRPC framing,
 * protobuf-es the message encoding.
 */
export function createGrpcJsClient(
  service: DescService,
  address: string,
  credentials = grpc.credentials.createInsecure(),
  options: grpc.ClientOptions = {},
): { call: GrpcJsUnary; close(): void } {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.name] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (m) => Buffer.from(toBinary(method.input, m as MessageShape<DescMessage>)),
      requestDeserialize: (b) => fromBinary(method.input, b),
      responseSerialize: (m) => Buffer.from(toBinary(method.output, m as MessageShape<DescMessage>)),
      responseDeserialize: (b) => fromBinary(method.output, b),
    };
  }
  const Client = grpc.makeGenericClientConstructor(definition, service.name);
  const client = new Client(address, credentials, options) as grpc.Client & Record<string, Function>;
  const call: GrpcJsUnary = (method, request, metadata = {}) =>
    new Promise((resolve, reject) => {
      const md = new grpc.Metadata();
      for (const [k, v] of Object.entries(metadata)) md.set(k, v);
      client[method.name]!.call(client, request, md, (err: grpc.ServiceError | null, res: never) => (err ? reject(err) : resolve(res)));
    });
  return { call, close: () => client.close() };
}
