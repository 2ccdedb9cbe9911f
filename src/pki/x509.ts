// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API
// loaded before it: this module is the one door to the library.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

export { x509 };
