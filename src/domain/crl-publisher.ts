import type { CrlRepository } from "../db/crl-repository.js";
import type { IssuingCa } from "../pki/issuing-ca.js";
import { x509 } from "../pki/x509.js";

/** A signed CRL, DER and PEM. */
export interface PublishedCrl {
  readonly der: Buffer;
  readonly pem: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/**
 * The issuing CA's CRL. A new one is signed when a certificate was revoked (or a device disabled
 * or enabled) since the last one, on any replica, and at least every `refreshMs`; its nextUpdate
 * is twice that ahead, so a hub that reloads every `refreshMs` never holds an expired one.
 */
export class CrlPublisher {
  private current: { crl: PublishedCrl; revision: string } | undefined;
  private signing: Promise<PublishedCrl> | undefined;

  constructor(
    private readonly repository: CrlRepository,
    private readonly ca: IssuingCa,
    private readonly refreshMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The CRL as of now: the last one signed while still current, else a new one. */
  async crl(): Promise<PublishedCrl> {
    const revision = await this.repository.revision();
    const current = this.current;
    if (current && current.revision === revision && this.now().getTime() - current.crl.thisUpdate.getTime() < this.refreshMs) return current.crl;
    // Concurrent requests share one signature.
    this.signing ??= this.sign().finally(() => (this.signing = undefined));
    return this.signing;
  }

  private async sign(): Promise<PublishedCrl> {
    const { revision, entries } = await this.repository.content();
    // X.509 times are whole seconds.
    const thisUpdate = new Date(Math.floor(this.now().getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + 2 * this.refreshMs);
    const signed = await this.ca.signCrl(entries, await this.repository.nextNumber(), thisUpdate, nextUpdate);
    const crl = { der: Buffer.from(signed.rawData), pem: `${x509.PemConverter.encode(signed.rawData, "X509 CRL")}\n`, thisUpdate, nextUpdate };
    this.current = { crl, revision };
    return crl;
  }
}
