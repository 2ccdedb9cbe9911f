// Points the branch `client` and the tag `client-v<version>` at a commit whose root is this
// package as committed at HEAD (dist/ included), so that npm, which cannot install a git
// repository's subfolder, installs it from a git URL: `npm install git+https://…/device-registry.git#client`.
// Each run adds a commit on `client` when the package changed; a version already tagged with
// other contents is refused, so a changed package needs a new version.
import { execFileSync } from "node:child_process";

const git = (...args) => execFileSync("git", args, { encoding: "utf8" }).trim();
const ref = (name) => {
  try {
    return git("rev-parse", "--verify", "--quiet", `${name}^{commit}`);
  } catch {
    return undefined;
  }
};

const tree = git("rev-parse", "HEAD:clients/typescript");
const { name, version } = JSON.parse(git("show", "HEAD:clients/typescript/package.json"));
const tag = `client-v${version}`;
const tagged = ref(`refs/tags/${tag}`);
if (tagged !== undefined && git("rev-parse", `${tagged}^{tree}`) !== tree) {
  console.error(`${tag} already holds other contents: raise the version in clients/typescript/package.json`);
  process.exit(1);
}

const previous = ref("refs/heads/client");
let commit = previous;
if (previous === undefined || git("rev-parse", `${previous}^{tree}`) !== tree) {
  const parent = previous === undefined ? [] : ["-p", previous];
  commit = git("commit-tree", tree, ...parent, "-m", `${name} ${version} from ${git("rev-parse", "--short", "HEAD")}`);
  git("update-ref", "refs/heads/client", commit, ...(previous === undefined ? [] : [previous]));
}
if (tagged === undefined) git("tag", tag, commit);
console.log(`client ${commit}, ${tag}`);
