import type { ServiceImpl } from "@connectrpc/connect";
import type net from "node:net";
import { CertificateRegistrationService } from "../../gen/deviceregistry/v1/certificate_registration_service_pb.js";
import type { CertificateRegistration } from "../domain/certificate-registration.js";
import { presentedCertificateOf } from "../server/peer-certificate.js";

/** CertificateRegistrationService: devices authenticated by the certificate of their TLS handshake. */
export function createCertificateRegistrationService(
  registration: CertificateRegistration,
  trustedProxies: net.BlockList,
): ServiceImpl<typeof CertificateRegistrationService> {
  return {
    async registerDeviceByCertificate(req, context) {
      const { device, created, credential } = await registration.register(presentedCertificateOf(context, trustedProxies), req);
      return {
        deviceId: device.deviceId,
        hardwareId: device.hardwareId,
        created,
        hubUrl: device.hub.hubUrl,
        hubUrlStaticCert: device.hub.hubUrlStaticCert,
        mqttHubUrl: device.hub.mqttHubUrl,
        certificate: credential?.certificate ?? "",
        privateKey: credential?.privateKey ?? "",
      };
    },
  };
}
