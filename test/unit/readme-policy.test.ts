import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formatPolicyTable } from "../../src/auth/policy.js";

test("the README's access policy table is the enforced one", () => {
  const readme = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "../../README.md"), "utf8");
  const section = /<!-- policy-table -->\n([\s\S]*?)\n<!-- \/policy-table -->/.exec(readme);
  expect(section?.[1]?.trim()).toBe(formatPolicyTable().trim());
});
