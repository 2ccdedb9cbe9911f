import type { CrlEntry } from "../pki/crl.js";
import type { Executor } from "./transaction.js";

/** What the CRL is made from. */
export class CrlRepository {
  constructor(private readonly db: Executor) {}

  /** The CRL's revision: it changes (in the revoking transaction) whenever the CRL's content may have. */
  async revision(): Promise<string> {
    const result = await this.db.query({ name: "crl-revision", text: `SELECT revision::text AS revision FROM crl_state` });
    return result.rows[0].revision as string;
  }

  /**
   * What the CRL lists, read in one snapshot with its revision: every certificate of ours (no
   * manufacturer CA) revoked or deleted and not yet expired, and, on hold, the live certificates of
   * disabled devices. Expired certificates are left out, as RFC 5280 allows.
   */
  async content(): Promise<{ revision: string; entries: CrlEntry[] }> {
    const result = await this.db.query({
      name: "crl-content",
      text: `SELECT s.revision::text AS revision, (
             SELECT coalesce(json_agg(json_build_object('serial', serial, 'revoked_at', revoked_at, 'on_hold', on_hold) ORDER BY serial), '[]')
             FROM (
               SELECT serial, revoked_at, false AS on_hold FROM revoked_certificates WHERE ca_id IS NULL AND not_after > now()
               UNION ALL
               SELECT c.certificate_serial, d.updated_at, true FROM device_credentials c JOIN devices d USING (device_id)
               WHERE d.status = 'disabled' AND c.kind = 'client_certificate' AND c.ca_id IS NULL AND c.revoked_at IS NULL AND c.not_after > now()
             ) e) AS entries
           FROM crl_state s`,
    });
    const row = result.rows[0] as { revision: string; entries: { serial: string; revoked_at: string; on_hold: boolean }[] };
    return { revision: row.revision, entries: row.entries.map((e) => ({ serial: e.serial, revokedAt: new Date(e.revoked_at), onHold: e.on_hold })) };
  }

  /** The next CRL number: increasing across replicas and restarts (RFC 5280 5.2.3). */
  async nextNumber(): Promise<number> {
    const result = await this.db.query({ name: "next-crl-number", text: `SELECT nextval('crl_number_seq')::int AS n` });
    return result.rows[0].n as number;
  }
}
