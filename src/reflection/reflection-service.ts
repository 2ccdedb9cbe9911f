import { create, fromBinary, toBinary, type DescFile, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { DescriptorIndex } from "./descriptor-index.js";

/**
 * gRPC server reflection (https://github.com/grpc/grpc/blob/master/doc/server-reflection.md) over
 * the descriptors of `services`, in both protocol versions: v1 and the v1alpha older tools use.
 */
export function createReflectionServices(services: readonly DescService[]): {
  readonly v1: ServiceImpl<typeof v1.ServerReflection>;
  readonly v1alpha: ServiceImpl<typeof v1alpha.ServerReflection>;
} {
  const index = new DescriptorIndex(services);
  return {
    v1: {
      async *serverReflectionInfo(requests) {
        const sent = new Set<string>();
        for await (const request of requests) yield answer(index, request, sent);
      },
    },
    // v1alpha is v1 in another package, identical on the wire: each message is re-read as the other.
    v1alpha: {
      async *serverReflectionInfo(requests) {
        const sent = new Set<string>();
        for await (const request of requests) {
          const asV1 = fromBinary(v1.ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, request));
          const response = answer(index, asV1, sent);
          yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(v1.ServerReflectionResponseSchema, response));
        }
      },
    },
  };
}

type MessageResponse = NonNullable<MessageInitShape<typeof v1.ServerReflectionResponseSchema>["messageResponse"]>;

/**
 * The answer to one request. A lookup that finds nothing answers NOT_FOUND in the stream, which
 * goes on; `sent` holds the files already sent on the stream, whose imports are not sent again.
 */
function answer(index: DescriptorIndex, request: v1.ServerReflectionRequest, sent: Set<string>): v1.ServerReflectionResponse {
  const reply = (messageResponse: MessageResponse) =>
    create(v1.ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse });
  const files = (file: DescFile | undefined, what: string) =>
    reply(file === undefined ? notFound(what) : { case: "fileDescriptorResponse", value: { fileDescriptorProto: index.encodeWithImports(file, sent) } });
  const ask = request.messageRequest;
  switch (ask.case) {
    case "fileByFilename":
      return files(index.fileByName(ask.value), `file "${ask.value}"`);
    case "fileContainingSymbol":
      return files(index.fileContainingSymbol(ask.value), `symbol "${ask.value}"`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = ask.value;
      return files(index.fileContainingExtension(containingType, extensionNumber), `extension ${extensionNumber} of "${containingType}"`);
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbersOf(ask.value);
      return reply(
        numbers === undefined
          ? notFound(`message "${ask.value}"`)
          : { case: "allExtensionNumbersResponse", value: { baseTypeName: ask.value, extensionNumber: numbers } },
      );
    }
    case "listServices":
      return reply({ case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } });
    case undefined:
      throw new ConnectError("message_request is required", Code.InvalidArgument);
  }
}

function notFound(what: string): MessageResponse {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } };
}
