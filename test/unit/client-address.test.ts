import { createHandlerContext } from "@connectrpc/connect";
import type http from "node:http";
import { DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { clientAddressOf, peerContextValues, trustedProxyList } from "../../src/server/client-address.js";

/** The context of a ClaimDevice call from `peer` (undefined: the REST layer's call). */
function claimContext(peer: string | undefined, forwardedFor?: string) {
  return createHandlerContext({
    service: DeviceProvisioningService,
    method: DeviceProvisioningService.method.claimDevice,
    protocolName: "grpc",
    requestMethod: "POST",
    url: "http://registry.test/deviceregistry.v1.DeviceProvisioningService/ClaimDevice",
    requestHeader: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
    ...(peer === undefined ? {} : { contextValues: peerContextValues({ socket: { remoteAddress: peer } } as http.IncomingMessage) }),
  });
}

describe("the client address the claim limits count", () => {
  const none = trustedProxyList([]);
  const proxies = trustedProxyList(["10.0.0.0/8", "192.0.2.7", "fd00::/8"]);

  test.each([
    ["no proxy trusted: the peer, whatever x-forwarded-for says", none, "10.1.2.3", "203.0.113.9", "10.1.2.3"],
    ["a trusted peer: the address it appended", proxies, "10.1.2.3", "203.0.113.9", "203.0.113.9"],
    ["entries the client sent before the proxy's are not believed", proxies, "10.1.2.3", "6.6.6.6, 203.0.113.9", "203.0.113.9"],
    ["a chain of trusted proxies is passed over", proxies, "192.0.2.7", "203.0.113.9, 10.9.9.9", "203.0.113.9"],
    ["an untrusted peer is the client even when it forwards", proxies, "198.51.100.4", "203.0.113.9", "198.51.100.4"],
    ["a trusted peer without x-forwarded-for is the client", proxies, "10.1.2.3", undefined, "10.1.2.3"],
    ["only trusted addresses: the farthest one", proxies, "10.1.2.3", "10.4.4.4", "10.4.4.4"],
    ["IPv6 proxies and clients", proxies, "fd00::1", "2001:db8::7", "2001:db8::7"],
    ["an IPv4-mapped IPv6 peer counts as its IPv4 address", proxies, "::ffff:10.1.2.3", "::ffff:203.0.113.9", "203.0.113.9"],
    ["junk the proxy forwarded is not an address to pass over", proxies, "10.1.2.3", "203.0.113.9, not-an-ip", "not-an-ip"],
  ])("%s", (_, trusted, peer, forwardedFor, client) => {
    expect(clientAddressOf(claimContext(peer, forwardedFor), trusted)).toBe(client);
  });

  test("a REST call: the peer is the last x-forwarded-for entry, which the REST layer appended", () => {
    expect(clientAddressOf(claimContext(undefined, "6.6.6.6, 127.0.0.1"), none)).toBe("127.0.0.1");
    expect(clientAddressOf(claimContext(undefined, "6.6.6.6, 203.0.113.9, 10.1.2.3"), proxies)).toBe("203.0.113.9");
  });

  test.each(["10.0.0.0/33", "fd00::/129", "10.0.0.0/8/8", "10.0.0.0/", "10.0.0.0/x", "proxy.internal", "10.0.0"])("%s is refused", (entry) => {
    expect(() => trustedProxyList([entry])).toThrow(`"${entry}" is not an IP address or a CIDR range`);
  });
});
