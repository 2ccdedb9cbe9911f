import type { ServiceImpl } from "@connectrpc/connect";
import { ManufacturerCaService } from "../../gen/deviceregistry/v1/manufacturer_ca_service_pb.js";
import { caMessageToSettings, caToMessage, emptyCa } from "../convert/manufacturer-ca.js";
import type { ManufacturerCaService as ManufacturerCas } from "../domain/manufacturer-ca-service.js";
import { actorOf } from "./device-registry-service.js";

/** ManufacturerCaService: identify the caller, call the domain, convert. */
export function createManufacturerCaService(cas: ManufacturerCas): ServiceImpl<typeof ManufacturerCaService> {
  return {
    async getCaRegistrationCode(_req, context) {
      return { registrationCode: await cas.registrationCode(actorOf(context)) };
    },
    async registerManufacturerCa(req, context) {
      const message = req.ca ?? emptyCa;
      const ca = await cas.register(actorOf(context), message.certificatePem, caMessageToSettings(message), req.verificationCertificatePem);
      return caToMessage(ca);
    },
    async getManufacturerCa(req, context) {
      return caToMessage(await cas.get(actorOf(context), req.caId));
    },
    async listManufacturerCas(req, context) {
      const page = await cas.list(actorOf(context), req.pageSize, req.pageToken);
      return { cas: page.cas.map(caToMessage), nextPageToken: page.next };
    },
    async updateManufacturerCa(req, context) {
      const message = req.ca ?? emptyCa;
      const ca = await cas.update(actorOf(context), message.caId, caMessageToSettings(message), req.updateMask?.paths ?? [], req.etag);
      return caToMessage(ca);
    },
    async deleteManufacturerCa(req, context) {
      await cas.delete(actorOf(context), req.caId);
      return {};
    },
  };
}
